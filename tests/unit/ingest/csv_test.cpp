#include "ingest/csv.hpp"

#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

std::vector<CsvRecord> parse(test::TempDirFixture& t, const std::string& text) {
    fs::path path = t.dir / "in.csv";
    test::write_file(path, text);
    File file = File::open_read(path);
    CsvReader reader(file, 64);
    std::vector<CsvRecord> out;
    CsvRecord r;
    while (reader.next(r))
        out.push_back(r);
    return out;
}

}  // namespace

TEST_CASE_METHOD(test::TempDirFixture, "csv: RFC 4180 quoting, doubled quotes, embedded line breaks, CRLF") {
    auto r = parse(*this, "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"line\nbreak\",\r\n3,z,w");
    REQUIRE(r.size() == 4);
    CHECK(r[1].fields == std::vector<std::string>{"1", "x, y", "say \"hi\""});
    CHECK(r[2].fields == std::vector<std::string>{"2", "line\nbreak", ""});
    CHECK(r[2].line == 3);
    CHECK(r[3].line == 5);  // the quoted line break counts as a line
    CHECK(r[3].fields == std::vector<std::string>{"3", "z", "w"});
}

TEST_CASE_METHOD(test::TempDirFixture, "csv: blank lines are skipped and line numbers stay physical") {
    auto r = parse(*this, "a\n\n1\n\r\n2\n");
    REQUIRE(r.size() == 3);
    CHECK(r[1].line == 3);
    CHECK(r[2].line == 5);
}

TEST_CASE_METHOD(test::TempDirFixture, "csv: a malformed record is reported and the reader resynchronises") {
    auto r = parse(*this, "a,b\n1,x\"y\n2,\"ok\"junk\n3,fine\n");
    REQUIRE(r.size() == 4);
    CHECK(r[1].error == "quote inside an unquoted field");
    CHECK(r[1].raw == "1,x\"y");
    CHECK(r[2].error == "unexpected character after a closing quote");
    CHECK(r[3].error.empty());
    CHECK(r[3].fields == std::vector<std::string>{"3", "fine"});
    CHECK(r[3].line == 4);
}

TEST_CASE_METHOD(test::TempDirFixture, "csv: unterminated quote, NUL byte and over-long records are errors") {
    CHECK(parse(*this, "a\n\"open").back().error == "unterminated quoted field");
    auto nul = parse(*this, std::string("a\nx\0y\nz\n", 8));
    REQUIRE(nul.size() == 3);
    CHECK(nul[1].error == "NUL byte in record");
    CHECK(nul[2].fields == std::vector<std::string>{"z"});
    auto longer = parse(*this, "a\n" + std::string(100, 'x') + "\nok\n");
    REQUIRE(longer.size() == 3);
    CHECK(longer[1].error == "record is longer than 64 bytes");
    CHECK(longer[2].fields == std::vector<std::string>{"ok"});
}

TEST_CASE_METHOD(test::TempDirFixture, "csv: CR-only line ends end records, and count lines") {
    auto r = parse(*this, "a,b\r1,2\r\r3,\"x\ry\"\r4,5");
    REQUIRE(r.size() == 4);
    CHECK(r[1].fields == std::vector<std::string>{"1", "2"});
    CHECK(r[2].fields == std::vector<std::string>{"3", "x\ry"});  // a CR inside quotes is data
    CHECK(r[2].line == 4);
    CHECK(r[3].line == 6);
    CHECK(r[3].fields == std::vector<std::string>{"4", "5"});
    // A bad record resynchronises at the next CR too.
    r = parse(*this, "a,b\r1,\"2\"x\r3,4\r");
    REQUIRE(r.size() == 3);
    CHECK_FALSE(r[1].error.empty());
    CHECK(r[2].fields == std::vector<std::string>{"3", "4"});
}

TEST_CASE_METHOD(test::TempDirFixture, "csv: a UTF-8 byte order mark at the start is not part of the first name") {
    auto r = parse(*this, "\xEF\xBB\xBF"
                          "email,v\nx,1\n");
    REQUIRE(r.size() == 2);
    CHECK(r[0].fields == std::vector<std::string>{"email", "v"});
    r = parse(*this, "email,\xEF\xBB\xBFv\n");  // elsewhere it is data
    CHECK(r[0].fields[1] == "\xEF\xBB\xBFv");
}
