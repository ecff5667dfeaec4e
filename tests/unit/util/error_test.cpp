#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("error: with_context names what was being done, then the cause") {
    CHECK(quote(std::filesystem::path("in/x.tar.zst")) == "'in/x.tar.zst'");
    CHECK(with_context("cannot import " + quote("x.tar.zst"), "entry '../x' leaves the package") ==
          "cannot import 'x.tar.zst': entry '../x' leaves the package");
}

TEST_CASE("error: in_context keeps the kind and the exit code of what it rethrows") {
    CHECK(in_context("unused", [] { return 3; }) == 3);
    try {
        in_context("cannot import 'p'", [] { throw VerifyError("bad digest"); });
        FAIL("no error");
    } catch (const VerifyError& e) {
        CHECK(std::string(e.what()) == "cannot import 'p': bad digest");
        CHECK(e.code() == Exit::verify_failed);
    }
    try {
        in_context("while locking", [] { throw Error("held", Exit::locked); });
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "while locking: held");
        CHECK(e.code() == Exit::locked);
    }
    // Anything else is not ours to reword.
    CHECK_THROWS_AS(in_context("x", [] { throw std::logic_error("bug"); }), std::logic_error);
}

TEST_CASE("error: require throws the message with its code") {
    CHECK_NOTHROW(require(true, "unused"));
    CHECK_THROWS_WITH(require(false, "--batch must be positive", Exit::usage), "--batch must be positive");
}
