#include "cli.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("cli: sizes parse with binary units") {
    CHECK(cli::parse_size("4096") == 4096);
    CHECK(cli::parse_size("64K") == 65536);
    CHECK(cli::parse_size("1.5M") == 1572864);
    CHECK(cli::parse_size("4G") == 4294967296ULL);
    CHECK(cli::parse_size("1TiB") == 1099511627776ULL);
    CHECK_THROWS_AS(cli::parse_size("4Q"), Error);
    CHECK_THROWS_AS(cli::parse_size("-1M"), Error);
    CHECK_THROWS_AS(cli::parse_size("K"), Error);
}
