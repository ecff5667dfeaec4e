#include "util/sha256.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace edgectl;

TEST_CASE("sha256: digests match the published test vectors") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // The bytes count, NUL included, not a C string's prefix.
    CHECK(sha256_hex(std::string_view("abc\0", 4)) != sha256_hex("abc"));
}

TEST_CASE("sha256: feeding the bytes in pieces gives the digest of the whole") {
    const std::string message = "The quick brown fox jumps over the lazy dog";
    Sha256 h;
    h.update(message.substr(0, 10));
    h.update(message.data() + 10, 0);
    h.update(message.substr(10));
    CHECK(h.finish() == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
    CHECK(sha256_hex(message) == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

TEST_CASE_METHOD(test::TempDirFixture, "sha256: a file's digest is the digest of its bytes, however large") {
    test::write_file(dir / "empty", "");
    CHECK(sha256_file(dir / "empty") == sha256_hex(""));

    // 3 MiB plus a tail that is not a multiple of any buffer size, each region different, so that a
    // chunk read twice, skipped or cut short changes the digest.
    std::string big;
    big.reserve((3u << 20) + 777);
    for (std::size_t i = 0; i < (3u << 20) + 777; ++i)
        big.push_back(char((i * 2654435761u) >> 13));
    test::write_file(dir / "big", big);
    CHECK(sha256_file(dir / "big") == sha256_hex(big));

    std::string changed = big;
    changed[(2u << 20) + 5] ^= 1;
    test::write_file(dir / "changed", changed);
    CHECK(sha256_file(dir / "changed") != sha256_file(dir / "big"));

    CHECK_THROWS_WITH(sha256_file(dir / "missing"), Catch::Contains((dir / "missing").string()));
}

TEST_CASE("sha256: random_hex gives that many random bytes as lowercase hex") {
    for (std::size_t bytes : {std::size_t(0), std::size_t(1), std::size_t(16), std::size_t(32)}) {
        std::string r = random_hex(bytes);
        CHECK(r.size() == 2 * bytes);
        CHECK(r.find_first_not_of("0123456789abcdef") == std::string::npos);
    }
    CHECK(is_sha256_hex(random_hex(32)));
    // Two draws of 128 bits never collide in practice; a constant or reused buffer would.
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i)
        seen.insert(random_hex(16));
    CHECK(seen.size() == 50);
    // Over many bytes every hex digit turns up (a digit table cut short would not).
    std::string many = random_hex(4096);
    for (char c : std::string_view("0123456789abcdef"))
        CHECK(many.find(c) != std::string::npos);
}

TEST_CASE("sha256: is_sha256_hex takes exactly 64 lowercase hex digits") {
    const std::string good = sha256_hex("abc");
    CHECK(is_sha256_hex(good));
    CHECK(is_sha256_hex(std::string(64, '0')));
    CHECK_FALSE(is_sha256_hex(""));
    CHECK_FALSE(is_sha256_hex(good.substr(0, 63)));
    CHECK_FALSE(is_sha256_hex(good + "0"));
    std::string upper = good;
    upper[0] = 'B';
    CHECK_FALSE(is_sha256_hex(upper));
    std::string g = good;
    g[63] = 'g';
    CHECK_FALSE(is_sha256_hex(g));
    std::string space = good;
    space[10] = ' ';
    CHECK_FALSE(is_sha256_hex(space));
}
