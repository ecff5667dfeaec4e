#include "ingest/ingest.hpp"
#include "ingest/reader.hpp"

#include "fixture.hpp"
#include "util/error.hpp"
#include "util/pipe.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE_METHOD(test::TempDirFixture,
                 "ingest: records become items, bad records are quarantined, re-ingest adds nothing") {
    Store store = Store::init(dir / "s", "x");
    fs::create_directories(dir / "in");
    test::write_file(dir / "in/a.csv", "id,v\n1,2.5\n2,3,extra\n3,\"q\"\n");
    test::write_file(dir / "in/b.ndjson", "{\"id\": 4}\n\n[1]\n{\"id\": 5\n");
    test::write_file(dir / "in/.hidden.csv", "id\n9\n");
    test::write_file(dir / "in/c.csv.partial", "id\n9\n");

    IngestResult r = ingest(store, store.lock("ingest"), test::paths({dir / "in"}));
    CHECK(r.added == 3);
    CHECK(r.quarantined == 3);
    CHECK(r.partial());
    REQUIRE(r.files.size() == 2);
    Statement q(store.db(), "SELECT source, line, reason FROM quarantine ORDER BY source, line");
    REQUIRE(q.step());
    CHECK(q.column_text(0) == (dir / "in/a.csv").string());
    CHECK(q.column_int(1) == 3);
    CHECK(q.column_text(2) == "expected 2 fields, found 3");
    REQUIRE(q.step());
    CHECK(q.column_int(1) == 3);
    CHECK(q.column_text(2) == "expected a JSON object, found array");
    // A CSV record is stored as its values, under its ingest's column names.
    Statement payload(store.db(), "SELECT i.payload, g.columns FROM items i JOIN ingests g ON g.id = i.ingest_id "
                                  "ORDER BY i.id LIMIT 1");
    REQUIRE(payload.step());
    CHECK(payload.column_text(0) == R"([1,2.5])");
    CHECK(payload.column_text(1) == R"(["id","v"])");

    IngestResult again = ingest(store, store.lock("ingest"), test::paths({dir / "in"}));
    CHECK(again.added == 0);
    CHECK(again.files[0].status == FileOutcome::unchanged);
    // The same bytes under another name are the same source.
    fs::copy_file(dir / "in/a.csv", dir / "copy.csv");
    CHECK(ingest(store, store.lock("ingest"), test::paths({dir / "copy.csv"})).added == 0);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 3);
}

TEST_CASE_METHOD(test::TempDirFixture, "ingest: an interrupted file is completed without duplicates") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.csv", "id\n1\n2\n3\n4\n5\n");
    // Simulate a run killed after its first batch: items 1-2 committed, the source not complete.
    IngestOptions first = test::paths({dir / "a.csv"});
    first.batch = 2;
    ingest(store, store.lock("ingest"), first);
    store.db().exec("UPDATE sources SET complete = 0, done = 2; DELETE FROM items WHERE line > 3");
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 2);
    CHECK(ingest(store, store.lock("ingest"), test::paths({dir / "a.csv"})).added == 3);
    CHECK(query_int(store.db(), "SELECT count(*) FROM items") == 5);
    CHECK(query_int(store.db(), "SELECT count(DISTINCT ordinal) FROM items") == 5);
    CHECK(query_int(store.db(), "SELECT done FROM sources") == 5);
}

TEST_CASE_METHOD(test::TempDirFixture, "ingest: duplicate header names reject the file with a reason") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.csv", "id,id\n1,2\n");
    IngestResult r = ingest(store, store.lock("ingest"), test::paths({dir / "a.csv"}));
    CHECK(r.added == 0);
    CHECK(r.quarantined == 1);
    Statement q(store.db(), "SELECT reason FROM quarantine");
    REQUIRE(q.step());
    CHECK(q.column_text(0) == "duplicate column name 'id' in header row");
}

TEST_CASE_METHOD(test::TempDirFixture, "ingest: unknown file types are rejected and named") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.txt", "hello\n");
    IngestResult r = ingest(store, store.lock("ingest"), test::paths({dir / "a.txt"}));
    CHECK(r.rejected_files == 1);
    CHECK(r.partial());
    CHECK_THROWS_WITH(ingest(store, store.lock("ingest"), test::paths({dir / "missing.csv"})),
                      Catch::Contains("no such file or directory"));
}

TEST_CASE_METHOD(test::TempDirFixture, "ingest: a CSV payload holds each cell as the JSON the cell is") {
    Store store = Store::init(dir / "s", "x");
    test::write_file(dir / "a.csv", "a,b,c,d,e,f\n007,-0.5,,1e999,\"say \"\"hi\"\"\ttab\",12345678901234567890\n");
    CHECK(ingest(store, store.lock("ingest"), test::paths({dir / "a.csv"})).added == 1);
    Statement payload(store.db(), "SELECT payload FROM items");
    REQUIRE(payload.step());
    // Strings stay strings (leading zeros, out-of-range numbers); numbers keep their text.
    CHECK(payload.column_text(0) == R"(["007",-0.5,null,"1e999","say \"hi\"\ttab",12345678901234567890])");
    CHECK(Json::parse(payload.column_view(0))[1] == csv_cell_value("-0.5"));
}

TEST_CASE("pipeline: batches arrive in order, and the producer's error after the batches before it") {
    int produced = 0;
    Pipeline<std::vector<int>> pipe([&produced](std::vector<int>& b) {
        if (produced == 5) throw Error("disk gone");
        b.assign(3, produced++);
        return true;
    });
    std::vector<int> got;
    try {
        while (auto* b = pipe.take())
            got.push_back(b->at(0));
        FAIL("the producer's error was lost");
    } catch (const Error& e) { CHECK(std::string(e.what()) == "disk gone"); }
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("pipeline: a consumer that stops early does not hang") {
    Pipeline<int> pipe([](int& b) {
        b = 1;
        return true;  // endless
    });
    CHECK(*pipe.take() == 1);
}
