#include "export/records.hpp"

#include "util/error.hpp"
#include "util/ndjson.hpp"
#include "util/sha256.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace edgectl;

namespace {

// The reference: the records as Json objects, dumped — how export wrote them before, and so what an
// archive sealed then holds. ExportRecords must give the same bytes.
Json reference_payload(const PayloadFields& p) {
    Json value = Json::parse(p.json);
    if (!p.columns) return value;
    Json names = Json::parse(*p.columns);
    Json object = Json::object();
    for (std::size_t i = 0; i < names.size() && i < value.size(); ++i)
        object[names[i].get<std::string>()] = value[i];
    return object;
}

Json opt(const std::optional<std::string_view>& v) { return v ? Json(std::string(*v)) : Json(); }

Json reference_insight(const std::string& site, const InsightFields& f) {
    Json j = {{"site", site},
              {"insight_id", f.insight_id},
              {"item_id", f.item_id},
              {"source", std::string(f.source)},
              {"source_key", std::string(f.source_key)},
              {"model", std::string(f.model)},
              {"model_version", std::string(f.model_version)},
              {"label", opt(f.label)},
              {"score", f.score},
              {"probabilities", f.probabilities ? Json::parse(*f.probabilities) : Json()},
              {"anomaly", f.anomaly},
              {"scored_at", std::string(f.scored_at)},
              {"model_digest", opt(f.model_digest)}};
    if (f.image) j["image"] = std::string(*f.image);
    return j;
}

// Generates the values export meets: texts with quotes, backslashes, control characters and
// multi-byte UTF-8; numbers spelt as a CSV had them or as nlohmann writes them; nulls.
class Values {
  public:
    std::string text() {
        static const std::string_view pieces[] = {
            "a",  "Z",    "0",    " ",    "\"",     "\\",     "/",          "\n",
            "\t", "\x01", "\x1f", "\x7f", "\u00e9", "\u20ac", "\U0001F600", "ops@example.org",
            ":",  ","};
        std::string s;
        for (std::size_t n = pick(12); n > 0; --n)
            s += pieces[pick(std::size(pieces))];
        return s;
    }
    std::string number_text() {
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
                                        "3.141592653589793",
                                        "1.0",
                                        "-0.000001",
                                        "9007199254740993"};
        return numbers[pick(std::size(numbers))];
    }
    double number() {
        static const double numbers[] = {0.0, 1.0, -2.5, 0.1, 1e-7, 123456.789, 1e21, 0.30000000000000004, 2.0 / 3.0};
        return numbers[pick(std::size(numbers))];
    }
    std::string value_json() {
        switch (pick(6)) {
        case 0: return "null";
        case 1: return pick(2) ? "true" : "false";
        case 2: return number_text();
        case 3: return R"({"b": [1, "x"], "a": null})";
        default: return dump_json(Json(text()));
        }
    }
    std::optional<std::string> maybe(std::string s) {
        return pick(4) == 0 ? std::nullopt : std::optional(std::move(s));
    }
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  private:
    std::mt19937 rng_{20261122};
};

std::optional<std::string_view> view(const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

}  // namespace

TEST_CASE("export records: the same bytes as the Json objects they replace, on generated rows") {
    Values g;
    ExportRecords records("ship-7");
    int anomalies = 0;
    for (int n = 0; n < 3000; ++n) {
        std::string source = g.text(), key = g.text(), model = g.text(), version = g.text(), at = g.text();
        std::optional<std::string> label = g.maybe(g.text()), digest = g.maybe(std::string(64, 'a'));
        std::optional<std::string> probabilities =
            g.maybe("[" + g.number_text() + "," + g.number_text() + ", " + g.number_text() + "]");
        InsightFields f;
        f.insight_id = std::int64_t(n) * 7919;
        f.item_id = -std::int64_t(n);
        f.source = source;
        f.source_key = key;
        f.model = model;
        f.model_version = version;
        f.scored_at = at;
        f.label = view(label);
        f.score = g.number();
        f.probabilities = view(probabilities);
        f.anomaly = g.pick(2) == 1;
        f.model_digest = view(digest);
        std::optional<std::string> image = g.maybe(sha256_hex(std::to_string(n)));
        f.image = view(image);
        INFO("row " << n);
        CHECK(records.insight(f) == reference_insight("ship-7", f).dump());

        // A payload: a CSV record's values under its ingest's column names (some repeated, in
        // some rows fewer or more values than names), or an NDJSON record's object.
        std::string names = "[", values = "[";
        std::size_t columns = 1 + g.pick(6);
        for (std::size_t i = 0; i < columns; ++i)
            names += (i ? "," : "") + dump_json(Json(g.pick(5) ? g.text() : "dup"));
        names += "]";
        std::size_t count = g.pick(4) == 0 ? g.pick(columns + 3) : columns;
        for (std::size_t i = 0; i < count; ++i)
            values += (i ? ", " : "") + g.value_json();
        values += "]";
        std::string object = R"({"z": )" + g.value_json() + R"(, "a": )" + g.value_json() + "}";
        PayloadFields payload =
            g.pick(3) ? PayloadFields{values, std::string_view(names)} : PayloadFields{object, std::nullopt};
        std::string ingested = g.text();
        if (f.anomaly) {
            ++anomalies;
            Json want = reference_insight("ship-7", f);
            want["ingested_at"] = ingested;
            want["payload"] = reference_payload(payload);
            CHECK(records.anomaly(f, ingested, payload) == want.dump());
        }
        Json item = {{"site", "ship-7"},
                     {"item_id", f.item_id},
                     {"source", source},
                     {"source_key", key},
                     {"line", std::int64_t(n) + 2},
                     {"ingested_at", ingested},
                     {"payload", reference_payload(payload)}};
        CHECK(records.item(f.item_id, source, key, n + 2, ingested, payload) == item.dump());
    }
    CHECK(anomalies > 1000);
}

TEST_CASE("export records: text that is not UTF-8 goes out with U+FFFD for each bad byte") {
    // A file's name as the file system had it: refusing it stopped every later export of the store.
    ExportRecords records("s");
    InsightFields f;
    f.source = "caf\xe9.csv";
    f.label = "ok \xff\xfe end";
    std::string line = records.insight(f);
    CHECK(line.find("\"source\":\"caf\xef\xbf\xbd.csv\"") != std::string::npos);
    CHECK(line.find("\"label\":\"ok \xef\xbf\xbd\xef\xbf\xbd end\"") != std::string::npos);
    CHECK(Json::parse(line)["source"] == "caf\xef\xbf\xbd.csv");
    f.source = "good";
    f.label = std::nullopt;
    CHECK(records.insight(f) == reference_insight("s", f).dump());
}

TEST_CASE("export records: payloads ingest never writes are still written as the Json objects had them") {
    const std::pair<std::string, std::optional<std::string>> cases[] = {{"null", "[\"a\"]"},
                                                                        {"{}", "[\"a\"]"},
                                                                        {"[]", "[\"a\"]"},
                                                                        {"{\"x\":1}", "[]"},
                                                                        {"7", "[]"},
                                                                        {"[1,2]", "{}"},
                                                                        {"[1,2]", "null"},
                                                                        {"{}", "{\"k\":\"a\"}"},
                                                                        {"[1]", "[\"a\",\"a\",\"b\"]"},
                                                                        {"{\"x\":1}", "[\"a\"]"},
                                                                        {"\"s\"", "[\"a\"]"},
                                                                        {"[1]", "{\"k\":\"a\"}"},
                                                                        {"[1]", "5"}};
    ExportRecords records("s");
    for (const auto& [json, columns] : cases) {
        INFO(json << " under " << (columns ? *columns : "NULL"));
        PayloadFields p{json, columns ? std::optional<std::string_view>(*columns) : std::nullopt};
        std::optional<std::string> want;
        try {
            want = Json{{"site", "s"},
                        {"item_id", 1},
                        {"source", "f"},
                        {"source_key", "k"},
                        {"line", 2},
                        {"ingested_at", "t"},
                        {"payload", reference_payload(p)}}
                       .dump();
        } catch (const std::exception&) {}
        if (want)
            CHECK(records.item(1, "f", "k", 2, "t", p) == *want);
        else
            CHECK_THROWS(records.item(1, "f", "k", 2, "t", p));
    }
}

TEST_CASE("export records: a category's name is the ledger's key, and only those names parse") {
    for (auto category : export_categories)
        CHECK(parse_category(to_string(category)).value() == category);
    CHECK(to_string(Category::anomalies) == "anomalies");
    CHECK(to_string(Category::quarantine) == "quarantine");
    CHECK_FALSE(parse_category("summary").ok());
    CHECK_THAT(parse_category("Insights").error(), Catch::Contains("unknown export category 'Insights'"));
}
