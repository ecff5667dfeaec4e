#include "util/json_schema.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

namespace {

// A sensor reading: a named device, a list of numbers in range, an optional mode from a fixed set.
constexpr std::string_view reading_schema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["device", "values"],
  "additionalProperties": false,
  "properties": {
    "device": {"type": "string", "minLength": 1},
    "values": {"type": "array", "minItems": 1, "items": {"type": "number", "minimum": 0, "maximum": 100}},
    "mode": {"enum": ["fast", "slow"]}
  }
})";

}  // namespace

TEST_CASE("json_schema: a document that fits its schema has no problem") {
    CHECK_FALSE(schema_problem(reading_schema, Json::parse(R"({"device": "d1", "values": [0, 12.5, 100]})")));
    CHECK_FALSE(schema_problem(reading_schema, Json::parse(R"({"device": "d1", "values": [1], "mode": "slow"})")));
}

TEST_CASE("json_schema: a problem names where it is and why") {
    auto problem = [](const char* doc) { return schema_problem(reading_schema, Json::parse(doc)).value_or(""); };

    std::string wrong_type = problem(R"({"device": 7, "values": [1]})");
    CHECK_THAT(wrong_type, Catch::StartsWith("at /device: "));

    // Deep inside an array: the deepest context, with the index, is the one reported.
    std::string out_of_range = problem(R"({"device": "d", "values": [1, 2, 101]})");
    CHECK_THAT(out_of_range, Catch::StartsWith("at /values/2: "));

    std::string not_in_enum = problem(R"({"device": "d", "values": [1], "mode": "turbo"})");
    CHECK_THAT(not_in_enum, Catch::StartsWith("at /mode: "));

    std::string empty_list = problem(R"({"device": "d", "values": []})");
    CHECK_THAT(empty_list, Catch::StartsWith("at /values: "));

    // Required and extra properties are problems of the object that holds them.
    std::string missing = problem(R"({"values": [1]})");
    CHECK_THAT(missing, Catch::StartsWith("at /: ") && Catch::Contains("device"));
    std::string extra = problem(R"({"device": "d", "values": [1], "colour": "red"})");
    CHECK_THAT(extra, Catch::StartsWith("at /") && Catch::Contains("colour"));

    CHECK_THAT(problem("[1, 2]"), Catch::StartsWith("at /: "));
    // Every problem says why, not only where.
    for (const auto& p : {wrong_type, out_of_range, not_in_enum, empty_list, missing, extra})
        CHECK(p.size() > std::string("at /x: ").size());
}

TEST_CASE("json_schema: the same schema text validates many documents alike (parsed once, cached)") {
    for (int i = 0; i < 3; ++i) {
        CHECK_FALSE(schema_problem(reading_schema, Json{{"device", "d"}, {"values", {i}}}));
        CHECK(schema_problem(reading_schema, Json{{"device", "d"}, {"values", {-i - 1}}}));
    }
    // Another schema text is another schema, not the cached one.
    constexpr std::string_view strings_only = R"({"type": "array", "items": {"type": "string"}})";
    CHECK_FALSE(schema_problem(strings_only, Json::parse(R"(["a", "b"])")));
    CHECK_THAT(schema_problem(strings_only, Json::parse(R"(["a", 2])")).value_or(""), Catch::StartsWith("at /1: "));
}
