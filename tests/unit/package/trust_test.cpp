#include "package/trust.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace edgectl;

namespace {

std::vector<std::string> names(const std::vector<TrustedKey>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys)
        out.push_back(k.name);
    return out;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "trust: keygen writes a key pair once and refuses to overwrite it") {
    KeygenResult k = keygen(dir / "cloud");
    CHECK(k.public_key == dir / "cloud.pub");
    CHECK(k.secret_key == dir / "cloud.key");
    CHECK_FALSE(k.completed);
    CHECK(k.key_id.size() == 16);
    struct stat st {};
    REQUIRE(::stat(k.secret_key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // The two halves belong together: the public key is the secret key's.
    auto secret = load_secret_key(k.secret_key);
    auto pub = minisign::parse_public_key(test::slurp(k.public_key), "cloud.pub");
    CHECK(secret.public_key().key == pub.key);
    CHECK(minisign::key_id_hex(pub.key_id) == k.key_id);

    const std::string secret_bytes = test::slurp(k.secret_key);
    CHECK_THROWS_WITH(keygen(dir / "cloud"), Catch::Contains("already exists"));
    CHECK(test::slurp(k.secret_key) == secret_bytes);

    // A run killed between the two files left only the secret key: the pair is finished from it.
    fs::remove(k.public_key);
    KeygenResult again = keygen(dir / "cloud");
    CHECK(again.completed);
    CHECK(again.key_id == k.key_id);
    CHECK(test::slurp(again.secret_key) == secret_bytes);
    CHECK(minisign::parse_public_key(test::slurp(again.public_key), "cloud.pub").key == pub.key);

    CHECK(keygen(dir / "other").key_id != k.key_id);
}

TEST_CASE_METHOD(test::TempDirFixture, "trust: keys are added, listed by name, and each only once") {
    Store store = Store::init(dir / "s", "x");
    CHECK(trusted_keys(store).empty());
    KeygenResult cloud = keygen(dir / "cloud");
    KeygenResult lab = keygen(dir / "lab");

    TrustedKey added = trust_add(store, store.lock("trust"), cloud.public_key, "cloud");
    CHECK(added.name == "cloud");
    CHECK(added.key_id == cloud.key_id);
    // Without a name, the key id is its name.
    CHECK(trust_add(store, store.lock("trust"), lab.public_key, "").name == lab.key_id);

    auto keys = trusted_keys(store);
    REQUIRE(keys.size() == 2);
    CHECK(names(keys) == std::vector<std::string>{lab.key_id, "cloud"});  // sorted by name
    CHECK(keys[1].key_id == cloud.key_id);
    CHECK(keys[1].key.key == minisign::parse_public_key(test::slurp(cloud.public_key), "").key);
    Json listed = to_json(keys);
    CHECK(listed[1]["name"] == "cloud");
    CHECK(listed[1]["key_id"] == cloud.key_id);

    // The same key under another name, or another key under a taken name: refused, nothing written.
    CHECK_THROWS_WITH(trust_add(store, store.lock("trust"), cloud.public_key, "cloud-again"),
                      Catch::Contains("is trusted already, as 'cloud'"));
    KeygenResult third = keygen(dir / "third");
    CHECK_THROWS_WITH(trust_add(store, store.lock("trust"), third.public_key, "cloud"),
                      Catch::Contains("named 'cloud' exists already"));
    // A name that is not safe as a file name is a usage error.
    try {
        trust_add(store, store.lock("trust"), third.public_key, "../escape");
        FAIL("an unsafe name was accepted");
    } catch (const Error& e) { CHECK(e.code() == Exit::usage); }
    CHECK(trusted_keys(store).size() == 2);
    CHECK_FALSE(fs::exists(dir / "s/escape.pub"));
}

TEST_CASE_METHOD(test::TempDirFixture, "trust: a file that is not a public key is refused") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "garbage.pub", "untrusted comment: nothing\nnot base64 at all!\n");
    CHECK_THROWS_WITH(trust_add(store, store.lock("trust"), dir / "garbage.pub", "g"),
                      Catch::Contains("is not a minisign public key"));
    // A secret key is not a public key either.
    KeygenResult k = keygen(dir / "k");
    CHECK_THROWS_WITH(trust_add(store, store.lock("trust"), k.secret_key, "k"),
                      Catch::Contains("is not a minisign public key"));
    // Nor is an empty or a missing file.
    test::write_file(dir / "empty.pub", "");
    CHECK_THROWS_WITH(trust_add(store, store.lock("trust"), dir / "empty.pub", "e"),
                      Catch::Contains("is not a minisign public key"));
    CHECK_THROWS_WITH(trust_add(store, store.lock("trust"), dir / "missing.pub", "m"), Catch::Contains("cannot open"));
    CHECK(trusted_keys(store).empty());
    // And without the trust lock nothing happens at all.
    CHECK_THROWS_AS(trust_add(store, store.lock("ingest"), k.public_key, "k"), std::logic_error);
    CHECK(trusted_keys(store).empty());
}

TEST_CASE_METHOD(test::TempDirFixture, "trust: keys are removed by name or by key id; an unknown one is an error") {
    Store store = Store::init(dir / "s", "x");
    KeygenResult a = keygen(dir / "a");
    KeygenResult b = keygen(dir / "b");
    trust_add(store, store.lock("trust"), a.public_key, "alpha");
    trust_add(store, store.lock("trust"), b.public_key, "beta");

    CHECK_THROWS_WITH(trust_remove(store, store.lock("trust"), "gamma"),
                      Catch::Contains("no trusted key named 'gamma'"));
    CHECK(trusted_keys(store).size() == 2);

    TrustedKey gone = trust_remove(store, store.lock("trust"), b.key_id);
    CHECK(gone.name == "beta");
    CHECK(names(trusted_keys(store)) == std::vector<std::string>{"alpha"});
    CHECK_FALSE(fs::exists(dir / "s/trust/beta.pub"));

    CHECK(trust_remove(store, store.lock("trust"), "alpha").key_id == a.key_id);
    CHECK(trusted_keys(store).empty());
    CHECK_THROWS_AS(trust_remove(store, store.lock("trust"), "alpha"), Error);
    // A removed key can be trusted again.
    CHECK_NOTHROW(trust_add(store, store.lock("trust"), a.public_key, "alpha"));
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "trust: a package signature passes only from a trusted key over the exact sums") {
    Store store = Store::init(dir / "s", "x");
    KeygenResult cloud = keygen(dir / "cloud");
    KeygenResult stranger = keygen(dir / "stranger");
    trust_add(store, store.lock("trust"), cloud.public_key, "cloud");
    SignaturePolicy policy{trusted_keys(store)};

    const std::string sums = std::string(64, 'a') + "  model.json\n" + std::string(64, 'b') + "  model.pt\n";
    const std::string sig = minisign::sign(load_secret_key(cloud.secret_key), sums, "test package");
    CHECK(check_package_signature(sig, sums, policy, "p.tar.zst") == "cloud (" + cloud.key_id + ")");

    // One byte of the sums changed: the signature no longer holds.
    std::string tampered = sums;
    tampered[3] = 'c';
    CHECK_THROWS_AS(check_package_signature(sig, tampered, policy, "p.tar.zst"), VerifyError);
    CHECK_THROWS_AS(check_package_signature(sig, sums + "\n", policy, "p.tar.zst"), VerifyError);

    // A valid signature by a key not in the trust list.
    const std::string foreign = minisign::sign(load_secret_key(stranger.secret_key), sums, "test package");
    CHECK_THROWS_WITH(check_package_signature(foreign, sums, policy, "p.tar.zst"),
                      Catch::Contains("signed by key " + stranger.key_id) && Catch::Contains("not trusted"));
    // Without a store there is no trust list: the signer is reported, not vouched for.
    SignaturePolicy verify_only{{}, false, false};
    CHECK_THAT(*check_package_signature(foreign, sums, verify_only, "p.tar.zst"),
               Catch::Contains(stranger.key_id) && Catch::Contains("not checked"));

    // Unsigned: refused, unless the policy allows it.
    try {
        check_package_signature(std::nullopt, sums, policy, "p.tar.zst");
        FAIL("an unsigned package passed");
    } catch (const VerifyError& e) {
        CHECK(e.code() == Exit::verify_failed);
        CHECK_THAT(std::string(e.what()), Catch::Contains("is not signed"));
    }
    SignaturePolicy allow{trusted_keys(store), true};
    CHECK(check_package_signature(std::nullopt, sums, allow, "p.tar.zst") == std::nullopt);

    // A signature file that is not one.
    CHECK_THROWS_AS(check_package_signature(std::string("not a signature"), sums, policy, "p.tar.zst"), VerifyError);
}
