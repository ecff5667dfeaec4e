#include "util/crash.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace edgectl;

// The points' effects (kill, stop, trace) are read from the environment once per process, so they
// are tested on the real binary (tests/cli/crash_*.sh); here: inert when no variable names them,
// from any number of threads at once.
TEST_CASE("crash: points are inert unless the environment names one") {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([] {
            for (int i = 0; i < 1000; ++i)
                crash::point("unit.test:commit", "/nowhere");
        });
    for (auto& t : threads)
        t.join();
    crash::point("unit.test:rename");
    SUCCEED("no point stopped the process");
}
