#include "store.hpp"

#include "error.hpp"
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace edgectl;

namespace {
mode_t mode_of(const fs::path& p) {
    struct stat st{};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
}
} // namespace

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
    CHECK_THROWS_WITH(Store::open(dir / "nope"), Catch::Contains((dir / "nope").string()) &&
                                                     Catch::Contains("edgectl init --site ID"));
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

TEST_CASE_METHOD(test::TempDirFixture, "store: a store newer than this build is refused, not damaged") {
    { Store store = Store::init(dir / "s", "x"); store.db().exec("PRAGMA user_version = 99"); }
    CHECK_THROWS_WITH(Store::open(dir / "s"), Catch::Contains("newer than this edgectl understands"));
}

namespace edgectl::embedded {
extern const std::string_view store_v1_sql;
}

TEST_CASE_METHOD(test::TempDirFixture, "store: a version 1 store is migrated forward on open, its rows kept") {
    fs::create_directories(dir / "s");
    const std::string digest(64, 'a'), other(64, 'b');
    {
        // As edgectl made stores then: SQLite's default 4 KiB pages, which the store keeps.
        Db db = Db::open(dir / "s/edgectl.db", true);
        db.exec("PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL");
        db.exec(embedded::store_v1_sql);
        db.exec("PRAGMA user_version = 1; INSERT INTO meta VALUES ('site', 'old');"
                "INSERT INTO sources (digest, name, path, format, complete, ingested_at) VALUES ('" + digest +
                "', 'f', 'f', 'csv', 0, 't1');"
                "INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES ('" + digest +
                ":1', 'f', 2, 't1', '{\"a\":1}'), ('" + digest + ":2', 'f', 3, 't1', '{\"a\":2}');"
                // An item whose source row is missing is kept too.
                "INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES ('" + other +
                ":7', 'g', 8, 't2', '{\"b\":3}');"
                "INSERT INTO quarantine (stage, source, line, source_key, reason, created_at) VALUES "
                "('ingest', 'f', 4, '" + digest + ":3', 'bad', 't1');"
                "INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES (2, 'm', '1', 0.5, 0, 't')");
    }
    Store store = Store::open(dir / "s");
    CHECK(store.db().user_version() == store_schema_version);
    CHECK(store.site() == "old");
    CHECK(query_int(store.db(), "SELECT count(*) FROM items WHERE export_seq IS NULL") == 3);
    CHECK(query_int(store.db(), "SELECT count(*) FROM pragma_table_info('exports') WHERE name = 'plan'") == 1);
    // Items keep their ids, source keys, lines and payloads; the insight still finds its item.
    Statement rows(store.db(), "SELECT it.id, g.name, f.digest || ':' || it.ordinal, it.line, g.ingested_at, it.payload "
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
    while (s.step()) out += (out.empty() ? "" : " | ") + s.column_text(3);
    return out;
}
} // namespace

TEST_CASE_METHOD(test::TempDirFixture, "store: lookups by export and by item use indexes that score does not grow") {
    Store store = Store::init(dir / "s", "x");
    Db& db = store.db();
    // An insight as score writes it (not exported) enters the table, its unique key and
    // insights_unexported, nothing else.
    Statement partial(db, "SELECT name, partial FROM pragma_index_list('insights') ORDER BY name");
    std::vector<std::string> indexes;
    while (partial.step()) indexes.push_back(partial.column_text(0) + (partial.column_int(1) ? " (partial)" : ""));
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
            "INSERT INTO items (ingest_id, source_id, ordinal, line, payload) VALUES (1, 1, 1, 2, '[]'), (1, 1, 2, 3, '[]');"
            "INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES "
            "(1, 'm', '1', 0.5, 0, 't'), (2, 'm', '1', 0.5, 0, 't'), (2, 'n', '1', 0.5, 1, 't')");
    CHECK(query_int(db, "SELECT count(*) FROM insights WHERE export_seq = 1") == 0);
    db.exec("UPDATE insights SET export_seq = 1 WHERE id <= 2");
    CHECK(query_int(db, "SELECT count(*) FROM insights INDEXED BY insights_by_export WHERE export_seq = 1") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM insights NOT INDEXED WHERE export_seq IS NULL") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM insights INDEXED BY insights_unexported WHERE export_seq IS NULL") == 1);
}
