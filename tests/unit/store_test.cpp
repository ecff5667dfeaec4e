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
    {
        Db db = Db::open(dir / "s/edgectl.db", true);
        db.exec(embedded::store_v1_sql);
        db.exec("PRAGMA user_version = 1; INSERT INTO meta VALUES ('site', 'old');"
                "INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES ('k:1', 'f', 2, 't', '{}')");
    }
    Store store = Store::open(dir / "s");
    CHECK(store.db().user_version() == 2);
    CHECK(store.site() == "old");
    CHECK(query_int(store.db(), "SELECT count(*) FROM items WHERE export_seq IS NULL") == 1);
    CHECK(query_int(store.db(), "SELECT count(*) FROM pragma_table_info('exports') WHERE name = 'plan'") == 1);
}
