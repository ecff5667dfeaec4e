#include "ingest/reader.hpp"

#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// Every row the reader hands over, in order.
std::vector<Row> read_all(RecordReader& reader) {
    std::vector<Row> rows;
    RowBatch batch;
    while (reader.fill(batch))
        rows.insert(rows.end(), batch.rows.begin(), batch.rows.begin() + std::ptrdiff_t(batch.size));
    return rows;
}

RecordReader reader_of(const fs::path& path, RecordFormat format, std::size_t done = 0) {
    return RecordReader(File::open_read(path), format, nullptr, done);
}

}  // namespace

TEST_CASE("reader: CSV cells become JSON numbers only when they are strict JSON numbers") {
    CHECK(csv_cell_value("12") == Json(12));
    CHECK(csv_cell_value("-0.5") == Json(-0.5));
    CHECK(csv_cell_value("1e3") == Json(1000.0));
    CHECK(csv_cell_value("007") == Json("007"));
    CHECK(csv_cell_value("1.") == Json("1."));
    CHECK(csv_cell_value("n/a") == Json("n/a"));
    CHECK(csv_cell_value("1e999") == Json("1e999"));
    CHECK(csv_cell_value("").is_null());
}
TEST_CASE("reader: formats are spelled as the store and --format spell them") {
    CHECK(to_string(RecordFormat::csv) == "csv");
    CHECK(*parse_record_format("ndjson") == RecordFormat::ndjson);
    CHECK(parse_record_format("auto").error() == "unknown format 'auto' (csv or ndjson)");
}

TEST_CASE_METHOD(test::TempDirFixture, "reader: a CSV file's header names the payload's columns") {
    test::write_file(dir / "a.csv", "id,v\n1,2.5\n2,x,extra\n");
    RecordReader reader = reader_of(dir / "a.csv", RecordFormat::csv);
    CHECK_FALSE(reader.read_header());
    CHECK(reader.columns() == R"(["id","v"])");
    auto rows = read_all(reader);
    REQUIRE(rows.size() == 2);
    CHECK_FALSE(rows[0].quarantined);
    CHECK(rows[0].text == "[1,2.5]");
    CHECK(rows[0].line == 2);
    CHECK(rows[1].quarantined);
    CHECK(rows[1].ordinal == 2);
    CHECK(reader.records() == 2);
}

TEST_CASE_METHOD(test::TempDirFixture, "reader: a bad CSV header is reported with its line, an empty file has none") {
    test::write_file(dir / "bad.csv", "id,,v\n1,2,3\n");
    RecordReader bad = reader_of(dir / "bad.csv", RecordFormat::csv);
    auto header = bad.read_header();
    REQUIRE(header);
    CHECK(header->why == "empty column name in header row");
    CHECK(header->raw == "id,,v");
    CHECK(header->line == 1);
    test::write_file(dir / "empty.csv", "");
    RecordReader empty = reader_of(dir / "empty.csv", RecordFormat::csv);
    CHECK_FALSE(empty.read_header());
    CHECK(empty.columns().empty());
}

TEST_CASE_METHOD(test::TempDirFixture, "reader: NDJSON lines are objects or quarantined with the reason") {
    test::write_file(dir / "b.ndjson", "{\"id\": 4}\n\n[1]\n{\"id\": 5\n");
    RecordReader reader = reader_of(dir / "b.ndjson", RecordFormat::ndjson);
    auto rows = read_all(reader);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].text == R"({"id":4})");
    CHECK(rows[1].quarantined);
    CHECK(rows[1].text == "expected a JSON object, found array");
    CHECK(rows[1].line == 3);
    CHECK(rows[2].quarantined);
    CHECK(rows[2].text.starts_with("invalid JSON at byte"));
}

TEST_CASE_METHOD(test::TempDirFixture, "reader: records an earlier run committed are counted, not handed over") {
    test::write_file(dir / "c.ndjson", "{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n");
    RecordReader reader = reader_of(dir / "c.ndjson", RecordFormat::ndjson, 2);
    auto rows = read_all(reader);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].ordinal == 3);
    CHECK(rows[0].text == R"({"n":3})");
    CHECK(reader.records() == 3);
}
