#include "verify/verify.hpp"

#include "export/export.hpp"
#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace edgectl;

namespace {

// One export archive of the sample inbox, each item with an insight (every fourth an anomaly),
// written by export_next into dir/out; returns its path.
fs::path sample_export(Store& store, const fs::path& dir) {
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox"}));
    store.db().exec("INSERT INTO insights (item_id, model, model_version, label, score, anomaly, scored_at) "
                    "SELECT id, 'm', '1.0.0', 'a', 0.5, id % 4 = 0, '2026-01-01T00:00:00Z' FROM items");
    fs::create_directories(dir / "out");
    ExportOptions o;
    o.to = dir / "out";
    ExportResult r = export_next(store, store.lock("export"), o);
    REQUIRE(r.archives.size() == 1);
    return r.archives[0].path;
}

// The sample model's files as a package holds them (unsigned).
std::vector<test::CraftedEntry> sample_package() {
    fs::path m = test::sample_dir() / "model";
    std::string spec = test::slurp(m / "model.json"), model = test::slurp(m / "model.pt"),
                golden = test::slurp(m / "golden.ndjson");
    std::string sums = sha256_hex(spec) + "  model.json\n" + sha256_hex(model) + "  model.pt\n" + sha256_hex(golden) +
                       "  golden.ndjson\n";
    return {{"model.json", spec}, {"model.pt", model}, {"golden.ndjson", golden}, {"SHA256SUMS", sums}};
}

void flip_byte(const fs::path& path, std::size_t at) {
    std::string bytes = test::slurp(path);
    REQUIRE(at < bytes.size());
    bytes[at] ^= 0x20;
    test::write_file(path, bytes);
}

std::string all_problems(const VerifyOutcome& v) {
    std::string out;
    for (const auto& p : v.problems)
        out += p + "\n";
    return out;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "verify: an export archive as written verifies, its signature too") {
    Store store = Store::init(dir / "s", "site");
    fs::path archive = sample_export(store, dir);
    VerifyKeys keys;
    keys.site_key = minisign::parse_public_key(test::slurp(store.site_public_key_path()), "site.pub");
    keys.require_signature = true;
    VerifyOutcome v = verify_artifact(archive, keys);
    INFO(all_problems(v));
    CHECK(v.ok());
    CHECK(v.kind == ArtifactKind::export_bag);
    CHECK(v.path == archive);
    CHECK(v.detail["bag"] == "site-000001");
    CHECK(v.detail["payload_files"].get<std::size_t>() > 0);
    CHECK_THAT(v.detail["signature"].get<std::string>(), Catch::StartsWith("valid"));

    // Signed, but by another key than the one given: a problem.
    VerifyKeys wrong;
    wrong.site_key = minisign::generate().public_key();
    wrong.site_key->key_id = keys.site_key->key_id;
    CHECK_FALSE(verify_artifact(archive, wrong).ok());

    // The signature required but gone: a problem; not required and no key: only reported.
    fs::remove(archive.string() + ".minisig");
    CHECK_THAT(all_problems(verify_artifact(archive, keys)), Catch::Contains("is not signed"));
    CHECK(verify_artifact(archive, {}).ok());
}

TEST_CASE_METHOD(test::TempDirFixture, "verify: an export archive with one byte changed fails") {
    Store store = Store::init(dir / "s", "site");
    fs::path archive = sample_export(store, dir);
    const std::size_t middle = fs::file_size(archive) / 2;

    // Beside its digest and signature: both disagree with the bytes.
    fs::copy_file(archive, dir / "copy", fs::copy_options::overwrite_existing);
    flip_byte(archive, middle);
    VerifyKeys keys;
    keys.site_key = minisign::parse_public_key(test::slurp(store.site_public_key_path()), "site.pub");
    VerifyOutcome v = verify_artifact(archive, keys);
    CHECK_FALSE(v.ok());
    CHECK(v.kind == ArtifactKind::export_bag);
    CHECK_THAT(all_problems(v), Catch::Contains("does not match its digest in 'site-000001.tar.zst.sha256'"));
    CHECK(v.detail["signature"] == "invalid");

    // Alone, with nothing beside it: the bag's own contents give it away.
    fs::create_directories(dir / "alone");
    fs::copy_file(archive, dir / "alone/site-000001.tar.zst");
    VerifyOutcome alone = verify_artifact(dir / "alone/site-000001.tar.zst", {});
    CHECK_FALSE(alone.ok());

    // The unchanged copy, alone, still verifies: the failure was the byte, not the move.
    fs::copy_file(dir / "copy", dir / "alone/site-000001.tar.zst", fs::copy_options::overwrite_existing);
    CHECK(verify_artifact(dir / "alone/site-000001.tar.zst", {}).ok());
}

TEST_CASE_METHOD(test::TempDirFixture, "verify: an export archive corrupt from its start is still an export") {
    // Its first frame unreadable, nothing inside says what it is: the sidecars beside it do, and
    // its bytes are checked against them.
    Store store = Store::init(dir / "s", "site");
    fs::path archive = sample_export(store, dir);
    flip_byte(archive, 8);
    VerifyKeys keys;
    keys.site_key = minisign::parse_public_key(test::slurp(store.site_public_key_path()), "site.pub");
    VerifyOutcome v = verify_artifact(archive, keys);
    CHECK_FALSE(v.ok());
    CHECK(v.kind == ArtifactKind::export_bag);
    CHECK_THAT(all_problems(v), Catch::Contains("does not match its digest"));
    CHECK(v.detail["signature"] == "invalid");

    // Without them it is only an unreadable archive.
    fs::remove(archive.string() + ".sha256");
    fs::remove(archive.string() + ".minisig");
    VerifyOutcome alone = verify_artifact(archive, {});
    CHECK_FALSE(alone.ok());
    CHECK(alone.kind == ArtifactKind::unknown);
}

TEST_CASE_METHOD(test::TempDirFixture, "verify: a model package is told from a bag and checked") {
    test::write_crafted(dir / "p.tar.zst", sample_package());
    VerifyOutcome v = verify_artifact(dir / "p.tar.zst", {});
    INFO(all_problems(v));
    CHECK(v.ok());
    CHECK(v.kind == ArtifactKind::model_package);
    CHECK(v.detail["name"] == "wine-cultivar");
    CHECK(v.detail["version"] == "1.0.0");
    CHECK(v.detail["signature_checked"] == false);
    CHECK(v.detail["model_run"] == false);  // unsigned and no --run-model: never loaded
    CHECK(v.detail["signer"].is_null());

    // Against a trust list (even an empty one), an unsigned package fails.
    VerifyKeys with_trust;
    with_trust.trusted = std::vector<TrustedKey>{};
    VerifyOutcome unsigned_pkg = verify_artifact(dir / "p.tar.zst", with_trust);
    CHECK(unsigned_pkg.kind == ArtifactKind::model_package);
    CHECK_THAT(all_problems(unsigned_pkg), Catch::Contains("is not signed"));

    // A file that does not match SHA256SUMS fails, and the trail says which check.
    auto entries = sample_package();
    entries[1].content[entries[1].content.size() / 2] ^= 1;
    test::write_crafted(dir / "bad.tar.zst", entries);
    VerifyOutcome bad = verify_artifact(dir / "bad.tar.zst", {});
    CHECK(bad.kind == ArtifactKind::model_package);
    CHECK_THAT(all_problems(bad), Catch::Contains("'model.pt' does not match its SHA-256"));
    CHECK(bad.detail["checks"].is_array());
}

TEST_CASE_METHOD(test::TempDirFixture, "verify: a bag is told by its base directory even without directory entries") {
    // As another tool may write one: files only, each under the bag's base directory; this one
    // incomplete, so it is a bag with problems rather than a broken package.
    test::write_crafted(dir / "b.tar.zst", {{"b/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"},
                                            {"b/data/x.ndjson", "{}\n"}});
    VerifyOutcome v = verify_artifact(dir / "b.tar.zst", {});
    CHECK(v.kind == ArtifactKind::export_bag);
    CHECK_FALSE(v.ok());
    CHECK(v.detail["bag"] == "b");
}

TEST_CASE_METHOD(test::TempDirFixture, "verify: what is not an archive is a problem, never a crash") {
    auto problem_of = [&](const fs::path& path) {
        VerifyOutcome v = verify_artifact(path, {});
        CHECK(v.kind == ArtifactKind::unknown);
        REQUIRE(v.problems.size() == 1);
        return v.problems[0];
    };
    test::write_file(dir / "empty.tar.zst", "");
    CHECK_THAT(problem_of(dir / "empty.tar.zst"), Catch::Contains("empty.tar.zst"));

    test::write_file(dir / "text.tar.zst", "just some words, not a tar archive\n");
    CHECK_THAT(problem_of(dir / "text.tar.zst"), Catch::Contains("text.tar.zst"));

    test::write_crafted(dir / "nothing.tar.zst", {});
    CHECK_THAT(problem_of(dir / "nothing.tar.zst"), Catch::Contains("empty archive"));

    CHECK_THAT(problem_of(dir / "missing.tar.zst"), Catch::Contains("missing.tar.zst"));

    // Neither a directory nor a FIFO (which would block a reader with no writer) is read as one.
    fs::create_directory(dir / "d.tar.zst");
    CHECK_THAT(problem_of(dir / "d.tar.zst"), Catch::Contains("d.tar.zst' is not a regular file"));
    REQUIRE(::mkfifo((dir / "f.tar.zst").c_str(), 0600) == 0);
    CHECK_THAT(problem_of(dir / "f.tar.zst"), Catch::Contains("f.tar.zst' is not a regular file"));

    // A truncated zstd stream (the first bytes of a real package).
    test::write_crafted(dir / "p.tar.zst", sample_package());
    std::string head = test::slurp(dir / "p.tar.zst").substr(0, 64);
    test::write_file(dir / "cut.tar.zst", head);
    CHECK_FALSE(verify_artifact(dir / "cut.tar.zst", {}).ok());
}
