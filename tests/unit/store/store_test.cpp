#include "store/store.hpp"

#include "export/ledger.hpp"
#include "fixture.hpp"
#include "store/purge.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <sys/stat.h>

using namespace edgectl;

namespace {
mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
}
}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "store: init creates an owner-only store in WAL mode at the current schema") {
    Store store = Store::init(dir / "s", "ship-7");
    CHECK(store.site() == "ship-7");
    CHECK(mode_of(dir / "s") == 0700);
    CHECK(mode_of(dir / "s" / "site.secret") == 0600);
    CHECK(mode_of(dir / "s" / "edgectl.db") == 0600);
    CHECK(store.db().user_version() == store_schema_version);
    Statement mode(store.db(), "PRAGMA journal_mode");
    REQUIRE(mode.step());
    CHECK(mode.column_text(0) == "wal");
    CHECK(query_int(store.db(), "PRAGMA page_size") == Db::new_page_size);
    CHECK_THROWS_WITH(Store::init(dir / "s", "ship-7"), Catch::Contains("a store already exists"));
}

TEST_CASE_METHOD(test::TempDirFixture, "store: a missing store is named, with the command that creates one") {
    CHECK_THROWS_WITH(Store::open(dir / "nope"),
                      Catch::Contains((dir / "nope").string()) && Catch::Contains("edgectl init --site ID"));
}

TEST_CASE("store: site ids must be safe in file names") {
    CHECK(is_valid_site_id("north-sea_1.a"));
    CHECK_FALSE(is_valid_site_id(""));
    CHECK_FALSE(is_valid_site_id("../x"));
    CHECK_FALSE(is_valid_site_id("-x"));
    CHECK_FALSE(is_valid_site_id("a b"));
    CHECK_FALSE(is_valid_site_id(std::string(65, 'a')));
}

TEST_CASE_METHOD(test::TempDirFixture, "store: a command's lock is exclusive and reports exit 75") {
    Store store = Store::init(dir / "s", "x");
    auto held = store.lock("ingest");
    try {
        store.lock("ingest");
        FAIL("second lock was granted");
    } catch (const Error& e) {
        CHECK(e.code() == Exit::locked);
        CHECK(std::string(e.what()).find("another 'edgectl ingest' is running") != std::string::npos);
    }
    CHECK_NOTHROW(store.lock("score"));  // other commands have their own lock
}

TEST_CASE_METHOD(test::TempDirFixture, "store: what a command owns changes only under that command's lock") {
    Store store = Store::init(dir / "s", "site");
    CHECK_THROWS_AS(purge(store, store.lock("ingest"), 1, false), std::logic_error);
    CHECK_THROWS_AS(ack_exports(store.db(), store.lock("score"), {}), std::logic_error);
    CHECK_NOTHROW(purge(store, store.lock("export"), 1, false));
}

TEST_CASE_METHOD(test::TempDirFixture, "store: a store newer than this build is refused, not damaged") {
    {
        Store store = Store::init(dir / "s", "x");
        store.db().exec("PRAGMA user_version = 99");
    }
    CHECK_THROWS_WITH(Store::open(dir / "s"), Catch::Contains("newer than this edgectl understands"));
}

namespace {

// A store at dir/s as edgectl left it at schema `version` (its migrations from 1 on), holding `rows`,
// opened by this edgectl: migrated.
Store open_old_store(const fs::path& dir, int version, const std::string& rows) {
    fs::create_directories(dir / "s");
    {
        Db db = Db::open(dir / "s/edgectl.db", true);
        for (int v = 0; v < version; ++v)
            db.exec(store_migrations()[std::size_t(v)]);
        db.exec("PRAGMA user_version = " + std::to_string(version) + "; INSERT INTO meta VALUES ('site', 'old');" +
                rows);
    }
    test::write_file(dir / "s/site.secret", std::string(64, 'a') + "\n");
    return Store::open(dir / "s");
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "store: a version 1 store is migrated forward on open, its rows kept") {
    fs::create_directories(dir / "s");
    const std::string digest(64, 'a'), other(64, 'b');
    {
        // As edgectl made stores then: SQLite's default 4 KiB pages, which the store keeps.
        Db db = Db::open(dir / "s/edgectl.db", true);
        db.exec("PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL");
        db.exec(store_migrations()[0]);
        db.exec("PRAGMA user_version = 1; INSERT INTO meta VALUES ('site', 'old');"
                "INSERT INTO sources (digest, name, path, format, complete, ingested_at) VALUES ('" +
                digest +
                "', 'f', 'f', 'csv', 0, 't1');"
                "INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES ('" +
                digest + ":1', 'f', 2, 't1', '{\"a\":1}'), ('" + digest +
                ":2', 'f', 3, 't1', '{\"a\":2}');"
                // An item whose source row is missing is kept too.
                "INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES ('" +
                other +
                ":7', 'g', 8, 't2', '{\"b\":3}');"
                "INSERT INTO quarantine (stage, source, line, source_key, reason, created_at) VALUES "
                "('ingest', 'f', 4, '" +
                digest +
                ":3', 'bad', 't1');"
                "INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES (2, 'm', '1', "
                "0.5, 0, 't')");
    }
    Store store = Store::open(dir / "s");
    CHECK(store.db().user_version() == store_schema_version);
    CHECK(store.site() == "old");
    CHECK(query_int(store.db(), "SELECT count(*) FROM items WHERE export_seq IS NULL") == 3);
    CHECK(query_int(store.db(), "SELECT count(*) FROM pragma_table_info('exports') WHERE name = 'plan'") == 1);
    // Items keep their ids, source keys, lines and payloads; the insight still finds its item.
    Statement rows(store.db(),
                   "SELECT it.id, g.name, f.digest || ':' || it.ordinal, it.line, g.ingested_at, it.payload "
                   "FROM items it JOIN ingests g ON g.id = it.ingest_id JOIN sources f ON f.id = g.source_id "
                   "ORDER BY it.id");
    std::vector<std::string> got;
    while (rows.step())
        got.push_back(std::to_string(rows.column_int(0)) + " " + rows.column_text(1) + " " + rows.column_text(2) + " " +
                      std::to_string(rows.column_int(3)) + " " + rows.column_text(4) + " " + rows.column_text(5));
    CHECK(got == std::vector<std::string>{"1 f " + digest + ":1 2 t1 {\"a\":1}", "2 f " + digest + ":2 3 t1 {\"a\":2}",
                                          "3 g " + other + ":7 8 t2 {\"b\":3}"});
    CHECK(query_int(store.db(), "SELECT count(*) FROM insights s JOIN items i ON i.id = s.item_id") == 1);
    // The unfinished file resumes after its last committed record (a quarantined one).
    Statement done(store.db(), "SELECT done FROM sources WHERE digest = ?");
    done.bind(1, digest);
    REQUIRE(done.step());
    CHECK(done.column_int(0) == 3);
    CHECK(query_int(store.db(), "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(query_int(store.db(), "PRAGMA foreign_keys") == 1);
    CHECK(query_int(store.db(), "PRAGMA page_size") == 4096);
    // Version 4: no index that repeats the unique key's first column; exported rows only by export.
    CHECK(query_int(store.db(), "SELECT count(*) FROM sqlite_schema WHERE name = 'insights_by_item'") == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM sqlite_schema WHERE name = 'insights_by_export' "
                                "AND sql LIKE '%WHERE export_seq IS NOT NULL'") == 1);
}

namespace {
/// What SQLite's planner says it does for SQL, its steps joined by " | ".
std::string plan_of(Db& db, const std::string& sql) {
    Statement s(db, "EXPLAIN QUERY PLAN " + sql);
    std::string out;
    while (s.step())
        out += (out.empty() ? "" : " | ") + s.column_text(3);
    return out;
}
}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "store: lookups by export and by item use indexes that score does not grow") {
    Store store = Store::init(dir / "s", "x");
    Db& db = store.db();
    // An insight as score writes it (not exported) enters the table, its unique key and
    // insights_unexported, nothing else.
    Statement partial(db, "SELECT name, partial FROM pragma_index_list('insights') ORDER BY name");
    std::vector<std::string> indexes;
    while (partial.step())
        indexes.push_back(partial.column_text(0) + (partial.column_int(1) ? " (partial)" : ""));
    CHECK(indexes == std::vector<std::string>{"insights_by_export (partial)", "insights_unexported (partial)",
                                              "sqlite_autoindex_insights_1"});
    // The lookups export's resend and purge make, as they make them.
    CHECK_THAT(plan_of(db, "SELECT id FROM insights i WHERE i.export_seq = 7 AND i.anomaly = 0 ORDER BY i.id"),
               Catch::Contains("USING INDEX insights_by_export (export_seq=?)"));
    CHECK_THAT(plan_of(db, "DELETE FROM insights WHERE scored_at <= 't' AND export_seq IN "
                           "(SELECT seq FROM exports WHERE acked_at IS NOT NULL)"),
               Catch::Contains("USING INDEX insights_by_export (export_seq=?)"));
    CHECK_THAT(plan_of(db, "SELECT 1 FROM items it WHERE EXISTS (SELECT 1 FROM insights s WHERE s.item_id = it.id "
                           "AND s.id <= 9)"),
               Catch::Contains("USING COVERING INDEX sqlite_autoindex_insights_1 (item_id=?)"));
    CHECK_THAT(plan_of(db, "UPDATE insights SET export_seq = 1 WHERE export_seq IS NULL AND anomaly = 0 "
                           "AND id > 0 AND id <= 9"),
               Catch::Contains("USING INDEX insights_unexported"));

    // The partial index answers like a full scan does, before and after rows are marked exported.
    db.exec("INSERT INTO sources (digest, name, path, format, ingested_at) VALUES ('d', 'f', 'f', 'csv', 't');"
            "INSERT INTO ingests (source_id, name, ingested_at) VALUES (1, 'f', 't');"
            "INSERT INTO items (ingest_id, source_id, ordinal, line, payload) VALUES (1, 1, 1, 2, '[]'), (1, 1, 2, 3, "
            "'[]');"
            "INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES "
            "(1, 'm', '1', 0.5, 0, 't'), (2, 'm', '1', 0.5, 0, 't'), (2, 'n', '1', 0.5, 1, 't')");
    CHECK(query_int(db, "SELECT count(*) FROM insights WHERE export_seq = 1") == 0);
    db.exec("UPDATE insights SET export_seq = 1 WHERE id <= 2");
    CHECK(query_int(db, "SELECT count(*) FROM insights INDEXED BY insights_by_export WHERE export_seq = 1") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM insights NOT INDEXED WHERE export_seq IS NULL") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM insights INDEXED BY insights_unexported WHERE export_seq IS NULL") == 1);
}

TEST_CASE_METHOD(test::TempDirFixture, "store: ids never come back once purge deleted the newest rows") {
    Store store = Store::init(dir / "s", "x");
    Db& db = store.db();
    db.exec("INSERT INTO sources (digest, name, path, format, ingested_at) VALUES ('d', 'f', 'f', 'csv', 't');"
            "INSERT INTO ingests (source_id, name, ingested_at) VALUES (1, 'f', 't');"
            "INSERT INTO items (id, ingest_id, source_id, ordinal, line, payload) VALUES (1, 1, 1, 1, 2, '[]'), "
            "(2, 1, 1, 2, 3, '[]');");
    CHECK(next_row_id(db, RowTable::items) == 3);
    CHECK(next_row_id(db, RowTable::insights) == 1);
    {
        Transaction tx(db, "test");
        raise_id_floors(db);
        db.exec("DELETE FROM items");
        tx.commit();
    }
    CHECK(query_int(db, "SELECT coalesce(max(id), 0) FROM items") == 0);
    CHECK(next_row_id(db, RowTable::items) == 3);  // not 1
    // A floor never goes down, even when purge runs again on an emptier table.
    {
        Transaction tx(db, "test");
        raise_id_floors(db);
        tx.commit();
    }
    CHECK(next_row_id(db, RowTable::items) == 3);
}

TEST_CASE_METHOD(test::TempDirFixture, "store: one record of one file can never be two items") {
    Store store = Store::init(dir / "s", "x");
    Db& db = store.db();
    db.exec("INSERT INTO sources (digest, name, path, format, ingested_at) VALUES ('d', 'f', 'f', 'csv', 't');"
            "INSERT INTO ingests (source_id, name, ingested_at) VALUES (1, 'f', 't'), (1, 'f', 't2');"
            "INSERT INTO items (ingest_id, source_id, ordinal, line, payload) VALUES (1, 1, 1, 2, '[]')");
    // Even from another ingest run of the same file.
    CHECK_THROWS_WITH(
        db.exec("INSERT INTO items (ingest_id, source_id, ordinal, line, payload) VALUES (2, 1, 1, 2, '[]')"),
        Catch::Contains("UNIQUE constraint failed: items.source_id, items.ordinal"));
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "store: version 4 to 5 keeps every referred row, seeds the floors, keeps hashes") {
    Store store = open_old_store(
        dir, 4,
        "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES ('d', 'f', 'f', 'csv', 't');"
        "INSERT INTO ingests (source_id, name, ingested_at) VALUES (1, 'f', 't'), (1, 'f', 't2');"
        // Records 1 and 2, then both again from a second run killed at the wrong moment:
        // the copy of 1 is referred to by an insight, the copy of 2 by nothing.
        "INSERT INTO items (id, ingest_id, ordinal, line, payload) VALUES (1, 1, 1, 2, '[1]'), (2, 1, 2, 3, '[2]'),"
        " (3, 2, 1, 2, '[1]'), (4, 2, 2, 3, '[2]');"
        "INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES (3, 'm', '1', 0.5, "
        "0, 't');"
        // A purged store: the cursor and an export plan name ids above what is left.
        "INSERT INTO score_progress VALUES ('m', '1', 40);"
        "INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at, plan) VALUES "
        "(1, 'old-000001', 'n', '/t', 'complete', 77, 't', '{\"ranges\": {\"quarantine\": [0, 9]}}'),"
        "(2, 'old-000002', 'n', '/t', 'pending', 77, 't', '{\"ranges\": {}}')");
    Db& db = store.db();
    CHECK(db.user_version() == store_schema_version);
    Statement items(db, "SELECT id, ordinal FROM items ORDER BY id");
    std::vector<std::string> got;
    while (items.step())
        got.push_back(std::to_string(items.column_int(0)) + ":" + std::to_string(items.column_int(1)));
    CHECK(got == std::vector<std::string>{"1:1", "2:2", "3:-3"});
    CHECK(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(next_row_id(db, RowTable::items) == 41);
    CHECK(next_row_id(db, RowTable::insights) == 78);
    CHECK(next_row_id(db, RowTable::quarantine) == 10);
    // A volume left pending by version 4 is finished by version 4's rule (its archive was named
    // before any digest was recorded).
    CHECK(query_int(db, "SELECT json_extract(plan, '$.legacy') FROM exports WHERE seq = 2") == 1);
    CHECK(query_int(db, "SELECT json_extract(plan, '$.legacy') IS NULL FROM exports WHERE seq = 1") == 1);
    // The store's pseudonyms stay what they were: its keyed hashes still use the file's bytes.
    CHECK(store.pii_key() == std::string(64, 'a') + "\n");
    Store fresh = Store::init(dir / "new", "x");
    CHECK(fresh.pii_key().size() == 32);
}

TEST_CASE_METHOD(test::TempDirFixture, "store: purge finds an item's quarantine rows by index, not by scanning them") {
    Store store = Store::init(dir / "s", "x");
    CHECK_THAT(plan_of(store.db(),
                       "DELETE FROM items WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.item_id = items.id)"),
               Catch::Contains("USING COVERING INDEX quarantine_by_item (item_id=?)"));
}

TEST_CASE_METHOD(test::TempDirFixture, "store: a version 9 store's shadow answers keep their ids and values") {
    Store store = open_old_store(
        dir, 9,
        "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES ('d', 'f', 'f', 'csv', 't');"
        "INSERT INTO ingests (source_id, name, ingested_at) VALUES (1, 'f', 't');"
        "INSERT INTO items (id, ingest_id, source_id, ordinal, line, payload) VALUES (1, 1, 1, 1, 2, '[1]'),"
        " (2, 1, 1, 2, 3, '[2]');"
        "INSERT INTO shadow_insights (id, item_id, model, model_version, active_version, label, score, "
        "probabilities, anomaly, error, scored_at, model_digest, export_seq) VALUES "
        "(5, 1, 'm', '2', '1', 'a', 0.75, '{\"a\":0.75,\"b\":0.25}', 1, NULL, 't', 'x', 3),"
        "(9, 2, 'm', '2', '1', NULL, NULL, NULL, NULL, 'NaN', 't', 'x', NULL)");
    Db& db = store.db();
    CHECK(db.user_version() == store_schema_version);
    CHECK(query_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM shadow_answers WHERE answers = 1") == 2);
    // Read as the rows they were, through the store's view (for sqlite3, which trusts it).
    db.exec("PRAGMA trusted_schema = ON");
    Statement rows(db, "SELECT id, item_id, label, score, probabilities, anomaly, error, export_seq, model, "
                       "model_version, active_version FROM shadow_insights ORDER BY id");
    std::vector<std::string> got;
    auto text = [&](int col) { return rows.column_is_null(col) ? std::string("-") : rows.column_text(col); };
    while (rows.step()) {
        std::string row;
        for (int col = 0; col < 11; ++col)
            row += (col ? " " : "") + text(col);
        got.push_back(row);
    }
    CHECK(got == std::vector<std::string>{"5 1 a 0.75 {\"a\":0.75,\"b\":0.25} 1 - 3 m 2 1", "9 2 - - - - NaN - m 2 1"});
    // The next answer's id is above them; a row of many answers takes as many ids.
    CHECK(next_row_id(db, RowTable::shadow_insights) == 10);
    db.exec("INSERT INTO shadow_answers (id, answers, first_item_id, last_item_id, model, model_version, "
            "active_version, scored_at, model_digest, body) VALUES (10, 64, 1, 2, 'm', '2', '1', 't', 'x', '[]')");
    CHECK(next_row_id(db, RowTable::shadow_insights) == 74);
}
