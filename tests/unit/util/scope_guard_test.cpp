#include "util/scope_guard.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace edgectl;

TEST_CASE("scope guard: ScopeExit runs on every way out unless dismissed") {
    int runs = 0;
    {
        ScopeExit guard([&] { ++runs; });
    }
    CHECK(runs == 1);
    try {
        ScopeExit guard([&] { ++runs; });
        throw std::runtime_error("x");
    } catch (const std::runtime_error&) {}
    CHECK(runs == 2);
    {
        ScopeExit guard([&] { ++runs; });
        guard.dismiss();
    }
    CHECK(runs == 2);
}

TEST_CASE("scope guard: ScopeFail runs only when an exception leaves the scope") {
    int undone = 0;
    {
        ScopeFail undo([&] { ++undone; });
    }
    CHECK(undone == 0);
    try {
        ScopeFail undo([&] { ++undone; });
        throw std::runtime_error("x");
    } catch (const std::runtime_error&) {}
    CHECK(undone == 1);
}

TEST_CASE("scope guard: ScopeFail made during unwinding does not mistake it for its own failure") {
    int undone = 0;
    struct Cleanup {
        int& undone;
        ~Cleanup() {
            ScopeFail undo([&] { ++undone; });  // made and left while an exception is in flight
        }
    };
    try {
        Cleanup c{undone};
        throw std::runtime_error("x");
    } catch (const std::runtime_error&) {}
    CHECK(undone == 0);
}
