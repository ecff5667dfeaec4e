#include "ingest/sources.hpp"

#include "fixture.hpp"
#include "store/store.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE_METHOD(test::TempDirFixture, "sources: a file's digest is read from its start and leaves it there") {
    std::string content(200000, 'x');  // more than one read
    content += "end";
    test::write_file(dir / "f", content);
    File file = File::open_read(dir / "f");
    char first = 0;
    REQUIRE(file.read_some(&first, 1) == 1);
    file.rewind();
    CHECK(digest_of(file) == sha256_hex(content));
    char again = 0;
    REQUIRE(file.read_some(&again, 1) == 1);  // at its start again
    CHECK(again == 'x');
}

TEST_CASE_METHOD(test::TempDirFixture, "sources: a source counts as ingested only once it is complete") {
    Store store = Store::init(dir / "s", "x");
    Db& db = store.db();
    CHECK_FALSE(already_ingested(db, "d"));
    db.exec("INSERT INTO sources (digest, name, path, format, ingested_at) VALUES ('d', 'n', 'p', 'csv', 't')");
    CHECK_FALSE(already_ingested(db, "d"));  // begun, not finished
    db.exec("UPDATE sources SET complete = 1 WHERE digest = 'd'");
    CHECK(already_ingested(db, "d"));
    CHECK_FALSE(already_ingested(db, "e"));
}
