#include "util/clock.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;
using namespace std::chrono_literals;

TEST_CASE("clock: wall times are written as ISO-8601 UTC to the second") {
    CHECK(format_utc(std::chrono::system_clock::time_point(0s)) == "1970-01-01T00:00:00Z");
    CHECK(format_utc(std::chrono::system_clock::time_point(1795000000s + 900ms)) == "2026-11-18T11:06:40Z");
}

TEST_CASE("clock: a deadline is the budget after now on the clock given, or none") {
    struct Fixed final : Clock {
        std::chrono::steady_clock::time_point steady() const override {
            return std::chrono::steady_clock::time_point(5s);
        }
        std::chrono::system_clock::time_point wall() const override { return {}; }
    } fixed;
    CHECK(deadline_after(fixed, 2.5) == std::chrono::steady_clock::time_point(7500ms));
    CHECK(deadline_after(fixed, 0) == std::chrono::steady_clock::time_point::max());
    CHECK(deadline_after(fixed, -1) == std::chrono::steady_clock::time_point::max());
}

TEST_CASE("clock: the system clock's monotonic time does not go back") {
    auto a = system_clock().steady();
    auto b = system_clock().steady();
    CHECK(b >= a);
    CHECK(system_clock().wall().time_since_epoch() > 0s);
}
