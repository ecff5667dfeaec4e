#include "util/log.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("log: what reaches a terminal has its control characters escaped") {
    CHECK(log::printable("plain text, café, €") == "plain text, café, €");
    CHECK(log::printable("a\x1b[2Jb") == "a\\x1b[2Jb");
    CHECK(log::printable("title\x1b]0;pwned\x07") == "title\\x1b]0;pwned\\x07");
    CHECK(log::printable("line\nbreak\ttab\rcr") == "line\\x0abreak\\x09tab\\x0dcr");
    CHECK(log::printable("del\x7f") == "del\\x7f");
    CHECK(log::printable("c1 \xc2\x9b"
                         "31m") == "c1 \\xc2\\x9b31m");  // U+009B, the 8-bit CSI
    CHECK(log::printable("bad \xff utf-8") == "bad \\xff utf-8");
}
