#include "util/canonical_json.hpp"

#include "util/ndjson.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace edgectl;

namespace {

// Generates JSON text as people and programs spell it: spaces, keys in any order and repeated,
// escapes, numbers in every form JSON allows.
class Texts {
  public:
    std::string value(int depth = 0) {
        switch (pick(depth > 3 ? 5 : 7)) {
        case 0: return pick(2) ? "true" : "false";
        case 1: return "null";
        case 2:
        case 3: return number();
        case 4: return string();
        case 5: return array(depth + 1);
        default: return object(depth + 1);
        }
    }
    std::string number() {
        static const char* numbers[] = {"0",
                                        "-0",
                                        "7",
                                        "-12",
                                        "13.20",
                                        "1e5",
                                        "1E-5",
                                        "0.1",
                                        "2.50",
                                        "123456789012",
                                        "1.0",
                                        "-0.0",
                                        "1e400",
                                        "-1e-400",
                                        "9007199254740993",
                                        "1e+2",
                                        "0.00001",
                                        "1E22",
                                        "4.94e-324",
                                        "18446744073709551615",
                                        "1e-7",
                                        "-3.5e0",
                                        "01",
                                        "1.",
                                        "18446744073709551616",
                                        "-9223372036854775808",
                                        "-9223372036854775809",
                                        "3.141592653589793"};
        return numbers[pick(std::size(numbers))];
    }
    std::string string() {
        static const char* pieces[] = {"a",        "Z",
                                       " ",        "\\\"",
                                       "\\\\",     "\\/",
                                       "\\n",      "\\t",
                                       "\\u00e9",  "\\ud83d\\ude00",
                                       "\xc3\xa9", "\xe2\x82\xac",
                                       "\xff",     "\x01",
                                       "key",      "\\x"};
        std::string s = "\"";
        for (std::size_t n = pick(5); n > 0; --n)
            s += pieces[pick(std::size(pieces))];
        return s + "\"";
    }
    std::string array(int depth) {
        std::string s = "[" + space();
        for (std::size_t n = pick(4); n > 0; --n)
            s += value(depth) + space() + (n > 1 ? "," + space() : "");
        return s + "]";
    }
    std::string object(int depth) {
        static const char* keys[] = {"\"a\"", "\"b\"", "\"c\"", "\"\\u0061\"", "\"A\"", "\"\xc3\xa9\"", "\"a b\""};
        std::string s = "{" + space();
        for (std::size_t n = pick(4); n > 0; --n)
            s += keys[pick(std::size(keys))] + space() + ":" + value(depth) + (n > 1 ? "," + space() : "");
        return s + "}";
    }
    std::string space() { return pick(3) ? "" : std::string(" \t\n\r").substr(pick(4), 1); }
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  private:
    std::mt19937 rng_{20261201};
};

std::optional<std::string> reference(std::string_view text) {
    try {
        return dump_json(Json::parse(text));
    } catch (const std::exception&) { return std::nullopt; }
}

}  // namespace

TEST_CASE("canonical json: what it writes is nlohmann's dump of the parsed text, or nothing") {
    Texts g;
    int rewritten = 0, refused = 0;
    for (int n = 0; n < 20000; ++n) {
        std::string text = g.value();
        INFO(text);
        std::string out = "prefix";
        if (append_canonical_json(out, text)) {
            ++rewritten;
            auto want = reference(text);
            REQUIRE(want);
            CHECK(out == "prefix" + *want);
        } else {
            ++refused;
            CHECK(out == "prefix");
        }
    }
    // Both ways are taken, and mostly the fast one.
    CHECK(rewritten > refused);
    CHECK(refused > 100);
}

TEST_CASE("canonical json: what edgectl stores is rewritten without parsing") {
    for (const char* text : {R"({"a":1,"b":[0.5,2,"x"],"c":null,"d":true})", "[0.1,0.2,0.7]", "{}", "[]", "-0",
                             R"({"note":"caf\u00e9"})"}) {
        INFO(text);
        std::string out;
        bool rewritten = append_canonical_json(out, text);
        if (std::string_view(text).find("\\u") == std::string_view::npos) CHECK(rewritten);
        if (rewritten) CHECK(out == *reference(text));
    }
    std::string out;
    CHECK_FALSE(append_canonical_json(out, R"({"b":1,"a":2})"));  // nlohmann sorts: left to it
    CHECK_FALSE(append_canonical_json(out, R"({"a":1,"a":2})"));  // the last wins: left to it
    CHECK_FALSE(append_canonical_json(out, "[1e400]"));
    CHECK_FALSE(append_canonical_json(out, "[1] x"));
    CHECK_FALSE(append_canonical_json(out, std::string(100, '[') + std::string(100, ']')));
    CHECK(out.empty());
}

TEST_CASE("canonical json: the elements of an array, each as nlohmann writes it") {
    std::string storage = "kept";
    std::vector<std::pair<std::size_t, std::size_t>> elements;
    REQUIRE(canonical_json_elements(R"([ 1.50, "x", {"a": [ ]}, null ])", storage, elements));
    REQUIRE(elements.size() == 4);
    auto at = [&](std::size_t i) { return storage.substr(elements[i].first, elements[i].second); };
    CHECK(at(0) == "1.5");
    CHECK(at(1) == "\"x\"");
    CHECK(at(2) == R"({"a":[]})");
    CHECK(at(3) == "null");
    CHECK(storage.starts_with("kept"));
    CHECK_FALSE(canonical_json_elements(R"({"a":1})", storage, elements));
    CHECK_FALSE(canonical_json_elements("[1,", storage, elements));
    CHECK(elements.size() == 4);
    CHECK(storage.size() == 4 + 3 + 3 + 8 + 4);
}

TEST_CASE("canonical json: doubles as dump_json writes them") {
    for (double x : {0.0, -0.0, 1.0, 0.1, 1e21, 1e-7, 2.0 / 3.0, 123456.789, -2.5}) {
        std::string out;
        append_json_double(out, x);
        CHECK(out == dump_json(Json(x)));
    }
    std::string out;
    append_json_double(out, std::nan(""));
    CHECK(out == "null");
}
