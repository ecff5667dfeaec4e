#include "util/ndjson.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("ndjson: objects parse, other documents are refused with a reason") {
    CHECK(parse_json_object(R"({"a": 1})"));
    CHECK(parse_json_object(R"({"a": 1})")->at("a") == 1);
    auto array = parse_json_object("[1, 2]");
    REQUIRE_FALSE(array);
    CHECK(array.error() == "expected a JSON object, found array");
    auto cut = parse_json_object(R"({"a": 1,)");
    REQUIRE_FALSE(cut);
    CHECK(cut.error().starts_with("invalid JSON at byte"));
    CHECK(parse_json("1e400").error() == "a number in the JSON is out of range");
}

TEST_CASE("ndjson: nesting deeper than the limit is refused before parsing") {
    std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
    auto refused = parse_json_object(deep);
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == "JSON nested deeper than 64 levels");
    // Brackets inside strings do not count.
    CHECK(parse_json_object("{\"a\": \"" + std::string(100, '[') + "\"}"));
}

TEST_CASE("ndjson: invalid UTF-8 is reported, not passed on") {
    CHECK_FALSE(parse_json_object("{\"a\": \"\xff\"}"));
    Json j = {{"a", std::string("\xff")}};
    CHECK_THROWS_AS(dump_json(j), Error);
}

TEST_CASE_METHOD(test::TempDirFixture, "ndjson: the line reader bounds line length and numbers lines") {
    test::write_file(dir / "x.ndjson", "{}\r\n" + std::string(50, 'x') + "\n{\"b\":2}");
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

TEST_CASE("ndjson: append_json_string escapes as dump_json does and refuses invalid UTF-8") {
    const std::vector<std::string> texts = {"",
                                            "plain",
                                            "quote \" and \\ backslash",
                                            "tab\tnew\nline\r",
                                            std::string("nul \0 and \x1f \x7f", 14),
                                            "\b\f",
                                            "é ü 漢字 😀",
                                            "\xEF\xBF\xBF",
                                            "\xF4\x8F\xBF\xBF"};
    for (const auto& text : texts) {
        std::string out = "x";
        REQUIRE(append_json_string(out, text));
        CHECK(out == "x" + dump_json(Json(text)));
    }
    // Overlong forms, surrogates, beyond U+10FFFF, truncated and stray continuation bytes.
    for (std::string bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",
                            "ok \xE2\x82", "\x80", "a\xFF"}) {
        std::string out = "x";
        CHECK_FALSE(append_json_string(out, bad));
        CHECK(out == "x");
        CHECK_THROWS(dump_json(Json(bad)));  // the same verdict as the JSON library's
    }
}

TEST_CASE_METHOD(test::TempDirFixture, "ndjson: lines end at LF, CRLF or a lone CR; a byte order mark is skipped") {
    test::write_file(dir / "x.ndjson", "\xEF\xBB\xBF{\"a\":1}\r{\"b\":2}\r\n{\"c\":3}\n{\"d\":4}");
    File file = File::open_read(dir / "x.ndjson");
    LineReader reader(file);
    std::vector<std::string> got;
    Line line;
    while (reader.next(line))
        got.push_back(std::to_string(line.number) + " " + line.text);
    CHECK(got == std::vector<std::string>{"1 {\"a\":1}", "2 {\"b\":2}", "3 {\"c\":3}", "4 {\"d\":4}"});
}

TEST_CASE("ndjson: is_valid_utf8 agrees with append_json_string") {
    for (std::string s : {std::string("plain"), std::string("caf\xC3\xA9"), std::string("\xE2\x82\xAC"),
                          std::string("bad \xFF"), std::string("cut \xE2\x82"), std::string("\xED\xA0\x80"),
                          std::string("\xC0\xAF"), std::string("\xF4\x90\x80\x80"), std::string()}) {
        std::string out;
        CHECK(is_valid_utf8(s) == append_json_string(out, s));
    }
}
