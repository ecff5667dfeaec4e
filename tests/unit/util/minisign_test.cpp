#include "util/minisign.hpp"

#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("minisign: keys survive their file formats") {
    minisign::SecretKey k = minisign::generate();
    minisign::SecretKey back = minisign::parse_secret_key(minisign::format_secret_key(k), "k", std::nullopt);
    CHECK(back.key == k.key);
    CHECK(back.key_id == k.key_id);
    minisign::PublicKey pub = minisign::parse_public_key(minisign::format_public_key(k.public_key()), "p");
    CHECK(pub.key == k.public_key().key);
    CHECK(minisign::key_id_hex(pub.key_id).size() == 16);
    CHECK_FALSE(minisign::secret_key_is_encrypted(minisign::format_secret_key(k), "k"));
}

TEST_CASE("minisign: a signature verifies, and any change to message, comment or key is caught") {
    minisign::SecretKey k = minisign::generate();
    std::string text = minisign::sign(k, "the sums\n", "edgectl model m@1.0.0");
    minisign::Signature sig = minisign::parse_signature(text, "sig");
    CHECK(sig.prehashed);
    CHECK_NOTHROW(minisign::verify(k.public_key(), sig, "the sums\n", "sig"));
    CHECK_THROWS_WITH(minisign::verify(k.public_key(), sig, "the sumz\n", "sig"),
                      Catch::Contains("signature verification failed"));
    minisign::Signature forged = sig;
    forged.trusted_comment = "edgectl model m@9.9.9";
    CHECK_THROWS_WITH(minisign::verify(k.public_key(), forged, "the sums\n", "sig"),
                      Catch::Contains("trusted comment's signature does not verify"));
    minisign::SecretKey other = minisign::generate();
    CHECK_THROWS_WITH(minisign::verify(other.public_key(), sig, "the sums\n", "sig"),
                      Catch::Contains("is signed by key"));
}

TEST_CASE("minisign: damaged files are refused with their name") {
    CHECK_THROWS_WITH(minisign::parse_public_key("untrusted comment: x\nnot base64!\n", "a.pub"),
                      Catch::Contains("'a.pub' is not a minisign public key"));
    CHECK_THROWS_AS(minisign::parse_signature("untrusted comment: x\nAAAA\n", "s"), VerifyError);
    std::string key = minisign::format_secret_key(minisign::generate());
    key[key.find('\n') + 100] ^= 1;  // inside the key block: the checksum must catch it
    CHECK_THROWS_AS(minisign::parse_secret_key(key, "k", std::nullopt), Error);
}
