#include "score/score.hpp"

#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "package/package.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// A store with the sample model imported and active.
Store sample_store(const fs::path& dir) {
    Store store = Store::init(dir / "s", "x");
    fs::path s = test::sample_dir() / "model";
    pack_model({s / "model.pt", s / "model.json", s / "golden.ndjson", dir / "p.tar.zst", {}});
    import_model(store, store.lock("import-model"), {dir / "p.tar.zst", true, true});
    return store;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "score: every valid item gets one insight, bad ones are quarantined once") {
    Store store = sample_store(dir);
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox"}));
    std::int64_t items = query_int(store.db(), "SELECT count(*) FROM items");
    ScoreOptions o;
    o.batch = 7;  // batches that do not divide the item count
    ScoreResult r = score(store, store.lock("score"), o);
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].scored + r.models[0].quarantined == items);
    CHECK(r.models[0].quarantined == 3);
    CHECK(r.partial());
    CHECK(r.models[0].anomalies > 0);
    CHECK(r.models[0].anomalies < r.models[0].scored);
    Statement why(store.db(), "SELECT reason FROM quarantine WHERE stage = 'score' ORDER BY reason");
    REQUIRE(why.step());
    CHECK(why.column_text(0) == "field 'magnesium' is not a number: 'n/a'");

    ScoreResult again = score(store, store.lock("score"), o);
    CHECK(again.models[0].scored == 0);
    CHECK(again.models[0].quarantined == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights") == r.models[0].scored);
}

TEST_CASE_METHOD(test::TempDirFixture, "score: --limit stops early and the next run resumes at the cursor") {
    Store store = sample_store(dir);
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox/lab-south-2026-11-21.ndjson"}));
    ScoreOptions o;
    o.limit = 10;
    o.batch = 4;
    ScoreResult first = score(store, store.lock("score"), o);
    CHECK(first.models[0].scored + first.models[0].quarantined == 10);
    ScoreResult rest = score(store, store.lock("score"), {});
    std::int64_t items = query_int(store.db(), "SELECT count(*) FROM items");
    CHECK(first.models[0].scored + first.models[0].quarantined + rest.models[0].scored + rest.models[0].quarantined ==
          items);
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights") ==
          query_int(store.db(), "SELECT count(DISTINCT item_id) FROM insights"));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: an installed model file that changed on disk is refused") {
    Store store = sample_store(dir);
    fs::path pt = dir / "s/models/wine-cultivar/1.0.0/model.pt";
    std::string bytes = test::slurp(pt);
    bytes[bytes.size() / 2] ^= 1;
    fs::permissions(pt, fs::perms::owner_write, fs::perm_options::add);
    test::write_file(pt, bytes);
    // With nothing to score the model is not even loaded; with an item waiting it is refused.
    CHECK(score(store, store.lock("score"), {}).models.at(0).scored == 0);
    ingest(store, store.lock("ingest"), test::paths({test::sample_dir() / "inbox"}));
    CHECK_THROWS_WITH(score(store, store.lock("score"), {}), Catch::Contains("no longer matches its SHA256SUMS"));
}

TEST_CASE_METHOD(test::TempDirFixture, "score: options out of range are usage errors") {
    Store store = Store::init(dir / "s", "x");
    ScoreOptions o;
    o.batch = 0;
    try {
        score(store, store.lock("score"), o);
        FAIL("accepted --batch 0");
    } catch (const Error& e) { CHECK(e.code() == Exit::usage); }
}
