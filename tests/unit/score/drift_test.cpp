#include "score/drift.hpp"

#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "package/package.hpp"
#include "package/registry.hpp"
#include "score/score.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>

using namespace edgectl;

namespace {

Json spec_with_reference() {
    return Json::parse(R"({
      "schema_version": 1, "name": "m", "version": "1.2.3", "framework": "torchscript", "torch_version": "1.13",
      "input": {"kind": "features", "dtype": "float32", "fields": ["a", "b"], "mean": [1, 2], "std": [2, 4]},
      "output": {"kind": "classification", "labels": ["ok", "bad"], "activation": "softmax"},
      "golden": {"atol": 1e-4, "rtol": 1e-4},
      "reference": {"window": 100, "thresholds": {"psi": 0.25, "js": 0.2},
        "features": {"a": {"edges": [0, 1, 2], "fractions": [0.25, 0.25, 0.25, 0.25]},
                     "b": {"edges": [5], "fractions": [0.5, 0.5], "missing": 0.1}},
        "predictions": {"labels": {"ok": 0.9, "bad": 0.1}}}})");
}

ModelSpec parse(const Json& j) { return parse_model_spec(j.dump(), "model.json"); }

// JSON text with each number outside strings replaced by "i<digits>" (an integer) or "f<the
// shortest text of its double>": texts the same but for how their numbers' digits are written
// (nlohmann's Grisu2 sometimes writes 17 digits where fewer read back as the same double).
std::string numbers_normalised(const std::string& text) {
    std::string out;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string || (c != '-' && (c < '0' || c > '9'))) {
            if (in_string && c == '\\') {
                out += c;
                c = text[++i];
            } else if (c == '"') {
                in_string = !in_string;
            }
            out += c;
            continue;
        }
        std::size_t end = text.find_first_not_of("-+.eE0123456789", i);
        std::string number = text.substr(i, end - i);
        if (number.find_first_of(".eE") == std::string::npos) {
            out += "i" + number;
        } else {
            char buf[32];
            out +=
                "f" + std::string(buf, std::to_chars(buf, buf + sizeof buf, std::strtod(number.c_str(), nullptr)).ptr);
        }
        i = end - 1;
    }
    return out;
}

}  // namespace

TEST_CASE("drift: PSI and Jensen-Shannon distance") {
    CHECK(population_stability_index({0.5, 0.5}, {50, 50}) == Approx(0));
    // (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5)
    CHECK(population_stability_index({0.5, 0.5}, {80, 20}) == Approx(0.3 * std::log(1.6) + -0.3 * std::log(0.4)));
    // An empty bin counts, floored at 1e-4, and nothing observed is no drift.
    CHECK(population_stability_index({0.5, 0.5}, {100, 0}) ==
          Approx((1 - 0.5) * std::log(1 / 0.5) + (1e-4 - 0.5) * std::log(1e-4 / 0.5)));
    CHECK(population_stability_index({0.5, 0.5}, {0, 0}) == 0);
    CHECK(jensen_shannon_distance({0.5, 0.5}, {5, 5}) == Approx(0).margin(1e-12));
    CHECK(jensen_shannon_distance({1, 0}, {0, 7}) == Approx(1));  // disjoint: the largest distance
    CHECK(jensen_shannon_distance({0.9, 0.1}, {0, 0}) == 0);
}

TEST_CASE("drift: a value on an edge falls in the bin above it") {
    Bins b{{0, 1, 2}, {0.25, 0.25, 0.25, 0.25}, 0};
    CHECK(b.bin(-5) == 0);
    CHECK(b.bin(0) == 1);
    CHECK(b.bin(0.5) == 1);
    CHECK(b.bin(2) == 3);
    CHECK(b.bin(1e9) == 3);
}

TEST_CASE("drift: a reference must fit its model") {
    ModelSpec s = parse(spec_with_reference());
    REQUIRE(s.reference);
    CHECK(s.reference->window == 100);
    CHECK(s.reference->features.size() == 2);
    CHECK(s.reference->labels == std::vector<double>{0.9, 0.1});
    auto refused = [](const Json& j, const std::string& why) { CHECK_THROWS_WITH(parse(j), Catch::Contains(why)); };
    Json j = spec_with_reference();
    j["reference"]["features"].erase("b");
    refused(j, "reference.features has no entry for input field 'b'");
    j = spec_with_reference();
    j["reference"]["features"]["c"] = j["reference"]["features"]["b"];
    refused(j, "names an input field the model does not have");
    j = spec_with_reference();
    j["reference"]["features"]["a"]["edges"] = {0, 2, 1};
    refused(j, "edges must be strictly increasing");
    j = spec_with_reference();
    j["reference"]["features"]["a"]["fractions"] = {0.5, 0.5};
    refused(j, "needs one fraction per bin");
    j = spec_with_reference();
    j["reference"]["features"]["a"]["fractions"] = {0.5, 0.5, 0.5, 0.5};
    refused(j, "add up to 2");
    j = spec_with_reference();
    j["reference"]["predictions"]["labels"].erase("bad");
    refused(j, "no share for label 'bad'");
    j = spec_with_reference();
    j["reference"]["thresholds"].erase("js");
    refused(j, "needs 'js' for a classification");
    j = spec_with_reference();
    j["reference"]["predictions"] = Json::parse(R"({"edges": [0.5], "fractions": [0.5, 0.5]})");
    refused(j, "needs 'labels'");
    j = spec_with_reference();
    j["reference"]["window"] = 1;
    refused(j, "does not match the model.json schema");
}

TEST_CASE("drift: indices count missing values as a bin and flag what exceeds the thresholds") {
    ModelSpec s = parse(spec_with_reference());
    DriftCounts c = DriftCounts::empty(*s.reference);
    c.items = 100;
    c.features = {{25, 25, 25, 25}, {0, 60}};
    c.missing = {0, 40};  // b: 40% missing where 10% was expected
    c.predictions = {90, 10};
    DriftIndices d = drift_indices(s, c);
    CHECK(d.feature_psi[0] == Approx(0).margin(1e-12));
    CHECK(d.feature_psi[1] > 0.25);
    CHECK(d.missing[1] == Approx(0.4));
    CHECK(*d.labels_js == Approx(0).margin(1e-12));
    REQUIRE(d.flags.size() == 1);
    CHECK(d.flags[0].starts_with("b: PSI "));

    c.predictions = {10, 90};
    c.missing = {0, 6};
    c.features[1] = {47, 47};
    d = drift_indices(s, c);
    REQUIRE(d.flags.size() == 1);
    CHECK(d.flags[0].starts_with("labels: Jensen-Shannon distance "));
}

TEST_CASE_METHOD(test::TempDirFixture, "drift: a value counts in its field's bin, in a field of fewer edges too") {
    ModelSpec s = parse(spec_with_reference());  // a: 3 edges, b: 1
    Store store = Store::init(dir / "s", "x");
    std::vector<std::vector<float>> edges(2);
    for (std::size_t i = 0; i < edges.size(); ++i)
        for (double e : s.reference->features[i].edges)
            edges[i].push_back(*standardise(s, i, e));
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> values = {
        -inf,        -3, edges[0][0], 0.1f,          edges[0][1], std::nextafter(edges[0][2], -inf),
        edges[0][2], 9,  inf,         std::nanf(""), edges[1][0], std::nextafter(edges[1][0], -inf)};
    DriftMonitor monitor(store.db(), s, "m", "1.2.3");
    DriftCounts expected = DriftCounts::empty(*s.reference);
    Prediction p;
    p.label = "bad";
    std::int64_t item = 0;
    for (float a : values) {
        for (float b : values) {
            if (item == 98) break;  // with the missing value below, 99 items: the window stays open
            const std::array<float, 2> row = {a, b};
            monitor.scored(++item, row.data(), p, "2026-12-02T00:00:00Z");
            for (std::size_t i = 0; i < row.size(); ++i)
                ++expected.features[i][std::size_t(std::upper_bound(edges[i].begin(), edges[i].end(), row[i]) -
                                                   edges[i].begin())];
        }
    }
    monitor.missing(++item, 1, "2026-12-02T00:00:00Z");
    monitor.save();
    expected.items = 99;
    expected.missing = {0, 1};
    expected.predictions = {0, 98};
    Statement open(store.db(), "SELECT counts FROM drift_windows WHERE closed_at IS NULL");
    REQUIRE(open.step());
    CHECK(open.column_text(0) == expected.to_json().dump());
    CHECK(monitor.closed() == 0);
}

TEST_CASE_METHOD(test::TempDirFixture, "drift: windows counted over several runs are those of one run") {
    // The sample model declares windows of 100 items; 230 records are scored in one run in one
    // store, and 23 items at a time in another: the same windows, and the same open one.
    auto csv = dir / "w.csv";
    {
        ModelSpec spec = parse_model_spec(test::slurp(test::sample_dir() / "model/model.json"), "sample");
        std::ofstream out(csv);
        for (std::size_t k = 0; k < spec.fields.size(); ++k)
            out << (k ? "," : "") << '"' << spec.fields[k] << '"';
        out << "\n";
        for (std::size_t i = 0; i < 230; ++i) {
            for (std::size_t k = 0; k < spec.fields.size(); ++k) {
                double spread = double(int((i * 7 + k * 3) % 11) - 5) / 3;
                out << (k ? "," : "");
                if (i % 17 == 3 && k == 4)
                    out << "n/a";  // set aside for magnesium: counted as missing
                else
                    out << spec.mean[k] + spec.std[k] * spread;
            }
            out << "\n";
        }
    }
    auto windows = [&](const std::string& name, std::int64_t limit) {
        Store store = Store::init(dir / name, "x");
        fs::path s = test::sample_dir() / "model";
        pack_model({s / "model.pt", s / "model.json", s / "golden.ndjson", dir / (name + ".tar.zst"), {}});
        import_model(store, store.lock("import-model"), {dir / (name + ".tar.zst"), true, true});
        ingest(store, store.lock("ingest"), test::paths({csv}));
        ScoreOptions o;
        o.limit = limit;
        o.batch = 7;
        for (int run = 0; run < 20; ++run)
            score(store, store.lock("score"), o);
        std::string out;
        Statement w(store.db(), "SELECT first_item_id, last_item_id, items, counts, closed_at IS NULL, indices "
                                "FROM drift_windows ORDER BY id");
        while (w.step()) {
            for (int c = 0; c < 6; ++c)
                out += (w.column_is_null(c) ? "-" : w.column_text(c)) + "|";
            // The stored text is the one nlohmann writes (export and status parse it).
            for (int c : {3, 5})
                if (!w.column_is_null(c))
                    CHECK(numbers_normalised(w.column_text(c)) ==
                          numbers_normalised(Json::parse(w.column_text(c)).dump()));
        }
        return out;
    };
    std::string whole = windows("one", 0), parts = windows("parts", 23);
    CHECK(whole == parts);
    CHECK(whole.starts_with("1|100|100|"));                  // the first window: items 1 to 100
    CHECK(whole.find("|201|230|30|") != std::string::npos);  // the open one
    CHECK(whole.find("\"missing\":[0,0,0,0,6,") != std::string::npos);
}

TEST_CASE("drift: indices computed into a reused DriftIndices are those computed afresh") {
    ModelSpec s = parse(spec_with_reference());
    DriftCounts c = DriftCounts::empty(*s.reference);
    c.items = 100;
    c.features = {{100, 0, 0, 0}, {0, 60}};
    c.missing = {0, 40};
    c.predictions = {10, 90};
    DriftIndices reused;
    drift_indices(s, c, reused);
    CHECK(reused.flags.size() == 3);  // a, b and the labels
    c.features = {{25, 25, 25, 25}, {45, 45}};
    c.missing = {0, 10};
    c.predictions = {90, 10};
    drift_indices(s, c, reused);
    DriftIndices fresh = drift_indices(s, c);
    CHECK(reused.flags == fresh.flags);
    CHECK(reused.flags.empty());
    CHECK(reused.feature_psi == fresh.feature_psi);
    CHECK(reused.missing == fresh.missing);
    CHECK(reused.labels_js == fresh.labels_js);
    CHECK(reused.psi_max == fresh.psi_max);
    // A feature's index is the PSI of its bins with missing values as one more bin, to the bit.
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
        const Bins& bins = s.reference->features[i];
        std::vector<double> expected;
        for (double f : bins.fractions)
            expected.push_back(f * (1 - bins.missing));
        expected.push_back(bins.missing);
        std::vector<std::int64_t> observed = c.features[i];
        observed.push_back(c.missing[i]);
        CHECK(fresh.feature_psi[i] == population_stability_index(expected, observed));
    }
}

TEST_CASE("drift: a window's JSON text is the one nlohmann writes, its numbers reading back the same") {
    // Names out of key order, one a prefix of another, upper case, UTF-8, and characters escaped.
    ModelSpec s;
    s.fields = {"b", "ab", "a_b", "a", "B", "\xc3\xa9t\xc3\xa9", "q\"uote\\", "tab\tnew\nline", "ctl\x01\x1f", "/"};
    DriftJsonWriter json(s);
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> unit(0, 1);
    std::uniform_int_distribution<int> decade(-9, 22);
    const std::vector<double> special = {
        0.0,         -0.0,  1.0,    0.5,    1e-4,     1.5e-5,    0.0001234,
        1e15,        1e16,  1e21,   1e-6,   2.5e-7,   123456.75, 0.1 + 0.2,
        1e300,       -3.25, 1e-300, 99.999, 1e15 + 1, 9.5e14,    std::numeric_limits<double>::infinity(),
        std::nan("")};
    auto value = [&](std::size_t k) {
        if (k % 3 == 0) return special[(k / 3) % special.size()];
        return unit(random) * std::pow(10.0, decade(random));
    };
    std::string text;
    for (std::size_t round = 0; round < 2000; ++round) {
        DriftIndices d;
        for (std::size_t i = 0; i < s.fields.size(); ++i) {
            d.feature_psi.push_back(value(round * 31 + i * 2));
            d.missing.push_back(value(round * 31 + i * 2 + 1));
        }
        d.psi_max = value(round + 5);
        if (round % 3 != 1) d.labels_js = value(round + 7);
        if (round % 3 != 0) d.scores_psi = value(round + 11);
        for (std::size_t f = 0; f < round % 4; ++f)
            d.flags.push_back(s.fields[(round + f) % s.fields.size()] + ": PSI 0.412 > 0.250");
        json.indices(d, text);
        REQUIRE(numbers_normalised(text) == numbers_normalised(d.to_json(s).dump()));
        REQUIRE(Json::parse(text) == Json::parse(d.to_json(s).dump()));
    }
    std::uniform_int_distribution<std::int64_t> count(-5, std::numeric_limits<std::int64_t>::max());
    for (std::size_t round = 0; round < 200; ++round) {
        DriftCounts c;
        c.items = count(random) >> (round % 64);
        c.features.resize(round % 5);
        for (auto& bins : c.features)
            for (std::size_t b = 0; b < round % 7; ++b)
                bins.push_back(count(random) >> (b * 9));
        for (std::size_t b = 0; b < round % 3; ++b) {
            c.missing.push_back(count(random) >> 40);
            c.predictions.push_back(count(random) >> 50);
        }
        json.counts(c, text);
        REQUIRE(text == c.to_json().dump());
    }
}
