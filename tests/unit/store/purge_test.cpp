#include "store/purge.hpp"

#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;
using namespace std::chrono_literals;

namespace {

// A clock whose wall time is `ahead` after the real one: the store's rows look that old.
struct Later final : Clock {
    explicit Later(std::chrono::seconds a) : ahead(a) {}
    std::chrono::steady_clock::time_point steady() const override { return system_clock().steady(); }
    std::chrono::system_clock::time_point wall() const override { return system_clock().wall() + ahead; }
    std::chrono::seconds ahead;
};

Store store_with_items(const fs::path& dir) {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.ndjson", "{\"n\": 1}\n{\"n\": 2}\n[3]\n");
    ingest(store, store.lock("ingest"), test::paths({dir / "a.ndjson"}));
    return store;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "purge: nothing unacknowledged goes without --force") {
    Store store = store_with_items(dir);
    PurgeResult r = purge(store, store.lock("export"), 0, false, Later(30 * 86400s));
    CHECK(r.items == 0);
    CHECK(r.quarantine == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 2);
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "purge: with --force, what is older than the days given goes, ids never return") {
    Store store = store_with_items(dir);
    std::int64_t last = query_int(store.db(), "SELECT max(id) FROM items");
    // Ten days on, rows are not older than 30 days: they stay.
    CHECK(purge(store, store.lock("export"), 30, true, Later(10 * 86400s)).items == 0);
    // Forty days on, they are.
    PurgeResult r = purge(store, store.lock("export"), 30, true, Later(40 * 86400s));
    CHECK(r.items == 2);
    CHECK(r.quarantine == 1);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 0);
    Transaction tx(store.db(), "test.ids");
    CHECK(next_row_id(store.db(), RowTable::items) > last);
}

TEST_CASE_METHOD(test::TempDirFixture, "purge: a negative age is a usage error, and the export lock is required") {
    Store store = Store::init(dir / "s", "x");
    try {
        purge(store, store.lock("export"), -1, false);
        FAIL("accepted -1 days");
    } catch (const Error& e) { CHECK(e.code() == Exit::usage); }
    CHECK_THROWS(purge(store, store.lock("ingest"), 1, false));
}
