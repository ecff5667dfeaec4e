#include "util/result.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace edgectl;

namespace {

Result<int> half(int n) {
    if (n % 2 != 0) return fail(std::to_string(n) + " is odd");
    return n / 2;
}

Result<> even(int n) {
    if (n % 2 != 0) return fail(std::to_string(n) + " is odd");
    return {};
}

}  // namespace

TEST_CASE("result: a value or why not, never both") {
    auto ok = half(4);
    REQUIRE(ok);
    CHECK(*ok == 2);
    CHECK(ok.value() == 2);
    CHECK_THROWS(ok.error());
    auto odd = half(3);
    REQUIRE_FALSE(odd);
    CHECK(odd.error() == "3 is odd");
    CHECK_THROWS(odd.value());
}

TEST_CASE("result: a move-only value moves out") {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
    std::unique_ptr<int> p = std::move(r).value();
    CHECK(*p == 7);
}

TEST_CASE("result: or_throw turns a failure the caller cannot handle into an Error with context") {
    CHECK(half(8).or_throw("cannot halve") == 4);
    try {
        (void)half(5).or_throw("cannot halve 'x'", Exit::usage);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "cannot halve 'x': 5 is odd");
        CHECK(e.code() == Exit::usage);
    }
}

TEST_CASE("result: without a value") {
    CHECK(even(2));
    CHECK(even(2).ok());
    CHECK(even(3).error() == "3 is odd");
    CHECK_NOTHROW(even(2).or_throw("context"));
    CHECK_THROWS_WITH(even(1).or_throw("checking 1"), "checking 1: 1 is odd");
}

TEST_CASE("result: a verification failure is thrown as a VerifyError") {
    CHECK_THROWS_AS(half(1).or_throw("checking 'p'", Exit::verify_failed), VerifyError);
}
