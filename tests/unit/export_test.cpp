#include "export.hpp"

#include "bag.hpp"
#include "error.hpp"
#include "fixture.hpp"
#include "sha256.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// Adds n items with one insight each (every third an anomaly) straight into the store.
void add_insights(Store& store, int n) {
    Transaction tx(store.db());
    Statement item(store.db(), "INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES (?, 'f', ?, 't', '{\"v\":1}')");
    Statement insight(store.db(), "INSERT INTO insights (item_id, model, model_version, label, score, anomaly, scored_at) "
                                  "VALUES (?, 'm', '1.0.0', 'a', 0.5, ?, 't')");
    for (int i = 0; i < n; ++i) {
        item.bind(1, random_hex(8)).bind(2, i).run();
        insight.bind(1, store.db().last_insert_rowid()).bind(2, i % 3 == 0 ? 1 : 0).run();
    }
    tx.commit();
}

} // namespace

TEST_CASE_METHOD(test::TempDirFixture, "export: archives hold each row once, in sequence, chained") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 10);
    ExportResult first = export_next(store, {dir / "out"});
    REQUIRE(first.archives.size() == 1);
    CHECK(first.archives[0].name == "site-000001");
    CHECK(first.archives[0].insights == 10);
    CHECK(first.archives[0].anomalies == 4);
    CHECK(fs::exists(dir / "out/site-000001.tar.zst.sha256"));
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq = 1") == 10);

    CHECK(export_next(store, {dir / "out"}).archives.empty());
    add_insights(store, 3);
    ExportResult second = export_next(store, {dir / "out"});
    REQUIRE(second.archives.size() == 1);
    CHECK(second.archives[0].insights == 3);
    BagReport one = verify_bag_archive(dir / "out/site-000001.tar.zst");
    BagReport two = verify_bag_archive(dir / "out/site-000002.tar.zst");
    CHECK((one.ok() && two.ok()));
    CHECK(two.info["Edgectl-Previous-Tagmanifest-SHA256"] == one.tagmanifest_sha256);
    CHECK(two.info["Bag-Count"] == "1 of 1");
}

TEST_CASE_METHOD(test::TempDirFixture, "export: a failed export leaves nothing marked and no file") {
    Store store = Store::init(dir / "s", "site");
    add_insights(store, 5);
    CHECK_THROWS_WITH(export_next(store, {dir / "missing"}), Catch::Contains("does not exist"));
    fs::create_directories(dir / "out");
    write_file_atomic(dir / "out/site-000001.tar.zst", "someone else's file");
    CHECK_THROWS_WITH(export_next(store, {dir / "out"}), Catch::Contains("refusing to overwrite"));
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq IS NOT NULL") == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM exports") == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "export: an archive renamed into place before a crash is finished by the next run") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 6);
    export_next(store, {dir / "out"});
    // Undo the marking, as if the run was killed between the rename and the ledger commit.
    store.db().exec("UPDATE insights SET export_seq = NULL; UPDATE exports SET state = 'pending'");
    fs::remove(dir / "out/site-000001.tar.zst.sha256");
    add_insights(store, 2);
    ExportResult r = export_next(store, {dir / "out"});
    REQUIRE(r.archives.size() == 2);
    CHECK(r.archives[0].recovered);
    CHECK(r.archives[0].insights == 6);
    CHECK(r.archives[1].insights == 2);
    CHECK(fs::exists(dir / "out/site-000001.tar.zst.sha256"));
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights WHERE export_seq IS NULL") == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "export: a pending export whose archive never reached its name is dropped") {
    Store store = Store::init(dir / "s", "site");
    fs::create_directories(dir / "out");
    add_insights(store, 4);
    store.db().exec("INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at) "
                    "VALUES (1, 'site-000001', 'n', '" + (dir / "out").string() + "', 'pending', 4, 't')");
    write_file_atomic(dir / "out/.site-000001.tar.zst.partial", "half");
    ExportResult r = export_next(store, {dir / "out"});
    REQUIRE(r.archives.size() == 1);
    CHECK_FALSE(r.archives[0].recovered);
    CHECK(r.archives[0].seq == 1);
    CHECK(r.archives[0].insights == 4);
    CHECK_FALSE(fs::exists(dir / "out/.site-000001.tar.zst.partial"));
}
