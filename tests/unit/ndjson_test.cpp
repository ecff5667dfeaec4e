#include "ndjson.hpp"

#include "error.hpp"
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("ndjson: objects parse, other documents are refused with a reason") {
    std::string why;
    CHECK(parse_json_object(R"({"a": 1})", why));
    CHECK_FALSE(parse_json_object("[1, 2]", why));
    CHECK(why == "expected a JSON object, found array");
    CHECK_FALSE(parse_json_object(R"({"a": 1,)", why));
    CHECK(why.starts_with("invalid JSON at byte"));
}

TEST_CASE("ndjson: nesting deeper than the limit is refused before parsing") {
    std::string why;
    std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
    CHECK_FALSE(parse_json_object(deep, why));
    CHECK(why == "JSON nested deeper than 64 levels");
    // Brackets inside strings do not count.
    CHECK(parse_json_object("{\"a\": \"" + std::string(100, '[') + "\"}", why));
}

TEST_CASE("ndjson: invalid UTF-8 is reported, not passed on") {
    std::string why;
    CHECK_FALSE(parse_json_object("{\"a\": \"\xff\"}", why));
    Json j = {{"a", std::string("\xff")}};
    CHECK_THROWS_AS(dump_json(j), Error);
}

TEST_CASE_METHOD(test::TempDirFixture, "ndjson: the line reader bounds line length and numbers lines") {
    write_file_atomic(dir / "x.ndjson", "{}\r\n" + std::string(50, 'x') + "\n{\"b\":2}");
    File file = File::open_read(dir / "x.ndjson");
    LineReader reader(file, 10);
    Line line;
    REQUIRE(reader.next(line));
    CHECK(line.text == "{}");
    REQUIRE(reader.next(line));
    CHECK(line.too_long);
    CHECK(line.number == 2);
    REQUIRE(reader.next(line));
    CHECK(line.text == "{\"b\":2}");
    CHECK_FALSE(line.too_long);
    CHECK_FALSE(reader.next(line));
}
