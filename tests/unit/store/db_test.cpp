#include "store/db.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// A fresh database holding one table t(n, s), as edgectl opens its own.
Db table_db(const fs::path& dir) {
    Db db = Db::open(dir / "t.db", true);
    db.exec("CREATE TABLE t (n INTEGER, s TEXT)");
    return db;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "db: a transaction destroyed without commit leaves nothing behind") {
    Db db = table_db(dir);
    {
        Transaction tx(db, "test");
        db.exec("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
        CHECK(query_int(db, "SELECT count(*) FROM t") == 2);  // visible inside the transaction
    }
    CHECK(query_int(db, "SELECT count(*) FROM t") == 0);
    // Nor does it stay open: a new transaction can begin, and a second connection sees nothing.
    CHECK_NOTHROW(Transaction(db, "test"));
    Db other = Db::open(dir / "t.db", false);
    CHECK(query_int(other, "SELECT count(*) FROM t") == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "db: a committed transaction persists across connections") {
    {
        Db db = table_db(dir);
        Transaction tx(db, "test");
        db.exec("INSERT INTO t VALUES (7, 'kept')");
        tx.commit();
    }  // the destructor after commit must not roll anything back
    Db reopened = Db::open(dir / "t.db", false);
    CHECK(query_int(reopened, "SELECT count(*) FROM t") == 1);
    CHECK(query_int(reopened, "SELECT n FROM t WHERE s = 'kept'") == 7);
}

TEST_CASE_METHOD(test::TempDirFixture, "db: a read snapshot sees one state while another connection commits") {
    Db reader = table_db(dir);
    Db writer = Db::open(dir / "t.db", false);
    writer.exec("INSERT INTO t VALUES (1, 'a')");
    {
        ReadSnapshot snapshot(reader);
        CHECK(query_int(reader, "SELECT count(*) FROM t") == 1);
        writer.exec("INSERT INTO t VALUES (2, 'b')");  // not blocked by the reader
        CHECK(query_int(reader, "SELECT count(*) FROM t") == 1);
        CHECK(query_int(reader, "SELECT sum(n) FROM t") == 1);
    }
    CHECK(query_int(reader, "SELECT count(*) FROM t") == 2);
}

TEST_CASE_METHOD(test::TempDirFixture, "db: a rolled-back transaction after a failed statement keeps earlier commits") {
    Db db = table_db(dir);
    {
        Transaction tx(db, "test");
        db.exec("INSERT INTO t VALUES (1, 'first')");
        tx.commit();
    }
    try {
        Transaction tx(db, "test");
        db.exec("INSERT INTO t VALUES (2, 'second')");
        db.exec("INSERT INTO no_such_table VALUES (3)");
        tx.commit();
        FAIL("the bad statement did not throw");
    } catch (const Error&) {}
    Statement rows(db, "SELECT s FROM t ORDER BY n");
    std::vector<std::string> got;
    while (rows.step())
        got.push_back(rows.column_text(0));
    CHECK(got == std::vector<std::string>{"first"});
}

TEST_CASE_METHOD(test::TempDirFixture, "db: an error names the SQL it ran and SQLite's reason") {
    Db db = table_db(dir);
    try {
        db.exec("SELEKT oops FROM t");
        FAIL("bad SQL did not throw");
    } catch (const Error& e) {
        std::string what = e.what();
        CHECK(what.find("SELEKT oops FROM t") != std::string::npos);
        CHECK(what.find("syntax error") != std::string::npos);
        CHECK(e.code() == Exit::error);
    }
    CHECK_THROWS_WITH(Statement(db, "SELECT missing_column FROM t"),
                      Catch::Contains("preparing 'SELECT missing_column FROM t'") &&
                          Catch::Contains("no such column: missing_column"));
    // A constraint broken at step time names the statement too.
    db.exec("CREATE TABLE u (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    Statement insert(db, "INSERT INTO u (k, v) VALUES (?, ?)");
    insert.bind(1, 1).bind(2, std::nullopt);
    CHECK_THROWS_WITH(insert.step(), Catch::Contains("INSERT INTO u") && Catch::Contains("NOT NULL"));
}

TEST_CASE_METHOD(test::TempDirFixture, "db: integers, text, NULL and optionals round-trip through bound parameters") {
    Db db = table_db(dir);
    const std::string with_nul("a\0b", 3);
    Statement insert(db, "INSERT INTO t (n, s) VALUES (?, ?)");
    insert.bind(1, std::int64_t(1) << 40).bind(2, "text").run();  // run() resets: the statement is reusable
    insert.bind(1, -5).bind(2, with_nul).run();
    insert.bind(1, std::nullopt).bind(2, std::optional<std::string>()).run();
    insert.bind(1, 3).bind(2, std::optional<std::string>("some")).run();
    CHECK(db.changes() == 1);
    CHECK(db.last_insert_rowid() == 4);

    Statement rows(db, "SELECT n, s FROM t ORDER BY rowid");
    REQUIRE(rows.step());
    CHECK(rows.column_int(0) == (std::int64_t(1) << 40));
    CHECK(rows.column_text(1) == "text");
    REQUIRE(rows.step());
    CHECK(rows.column_int(0) == -5);
    CHECK(rows.column_text(1) == with_nul);  // by length, not cut at the NUL
    REQUIRE(rows.step());
    CHECK(rows.column_is_null(0));
    CHECK(rows.column_is_null(1));
    CHECK(rows.column_optional_text(1) == std::nullopt);
    CHECK(rows.column_view(1).empty());
    REQUIRE(rows.step());
    CHECK_FALSE(rows.column_is_null(0));
    CHECK(rows.column_optional_text(1) == std::optional<std::string>("some"));
    CHECK_FALSE(rows.step());

    // reset() clears the bindings too: an unbound parameter is NULL.
    Statement count(db, "SELECT count(*) FROM t WHERE n = ?");
    count.bind(1, -5);
    REQUIRE(count.step());
    CHECK(count.column_int(0) == 1);
    count.reset();
    REQUIRE(count.step());
    CHECK(count.column_int(0) == 0);
}

TEST_CASE_METHOD(test::TempDirFixture,
                 "db: a column's type is what SQLite stores, and a statement counts its columns") {
    Db db = table_db(dir);
    Statement row(db, "SELECT 1, 2.5, 'text', x'00ff', NULL");
    REQUIRE(row.step());
    CHECK(row.column_count() == 5);
    CHECK(row.column_type(0) == Statement::Type::integer);
    CHECK(row.column_type(1) == Statement::Type::real);
    CHECK(row.column_type(2) == Statement::Type::text);
    CHECK(row.column_type(3) == Statement::Type::blob);
    CHECK(row.column_type(4) == Statement::Type::null);
}

TEST_CASE_METHOD(test::TempDirFixture, "db: query_int returns the first column of the first row, 0 for no row") {
    Db db = table_db(dir);
    db.exec("INSERT INTO t VALUES (41, 'x'); INSERT INTO t VALUES (42, 'y')");  // exec runs several statements
    CHECK(query_int(db, "SELECT count(*) FROM t") == 2);
    CHECK(query_int(db, "SELECT n FROM t ORDER BY n DESC") == 42);
    CHECK(query_int(db, "SELECT n FROM t WHERE s = 'absent'") == 0);
    CHECK(query_int(db, "SELECT 9000000000") == 9000000000);
    CHECK_THROWS_AS(query_int(db, "SELECT n FROM nowhere"), Error);
}

TEST_CASE_METHOD(test::TempDirFixture, "db: opening a missing database without create fails, naming it") {
    CHECK_THROWS_WITH(Db::open(dir / "absent.db", false),
                      Catch::Contains("cannot open database") && Catch::Contains((dir / "absent.db").string()));
    CHECK_FALSE(fs::exists(dir / "absent.db"));
    Db created = Db::open(dir / "new.db", true);
    CHECK(query_int(created, "PRAGMA page_size") == Db::new_page_size);
    // A reader connection cannot write.
    created.exec("CREATE TABLE t (n INTEGER)");
    Db reader = Db::open_reader(dir / "new.db");
    CHECK_THROWS_WITH(reader.exec("INSERT INTO t VALUES (1)"), Catch::Contains("read-only"));
}
