#include "score/drift.hpp"

#include "fixture.hpp"
#include "ingest/ingest.hpp"
#include "package/package.hpp"
#include "package/registry.hpp"
#include "score/score.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

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
    refused(j, "names a field the input does not have");
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
        while (w.step())
            for (int c = 0; c < 6; ++c)
                out += (w.column_is_null(c) ? "-" : w.column_text(c)) + "|";
        return out;
    };
    std::string whole = windows("one", 0), parts = windows("parts", 23);
    CHECK(whole == parts);
    CHECK(whole.starts_with("1|100|100|"));                  // the first window: items 1 to 100
    CHECK(whole.find("|201|230|30|") != std::string::npos);  // the open one
    CHECK(whole.find("\"missing\":[0,0,0,0,6,") != std::string::npos);
}
