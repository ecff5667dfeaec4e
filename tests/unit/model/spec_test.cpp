#include "model/spec.hpp"

#include "fixture.hpp"
#include "util/error.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace edgectl;

namespace {

Json minimal_spec() {
    return Json::parse(R"({
      "schema_version": 1, "name": "m", "version": "1.2.3", "framework": "torchscript", "torch_version": "1.13",
      "input": {"kind": "features", "dtype": "float32", "fields": ["a", "b"], "mean": [1, 2], "std": [2, 4]},
      "output": {"kind": "classification", "labels": ["ok", "bad"], "activation": "softmax"},
      "anomaly": [{"rule": "label_in", "labels": ["bad"]}, {"rule": "confidence_below", "threshold": 0.6}],
      "golden": {"atol": 1e-4, "rtol": 1e-4}})");
}

ModelSpec parse(const Json& j) { return parse_model_spec(j.dump(), "model.json"); }

}  // namespace

TEST_CASE("model.json: the sample spec parses") {
    ModelSpec s = parse_model_spec(test::slurp(test::sample_dir() / "model/model.json"), "sample");
    CHECK(s.name == "wine-cultivar");
    CHECK(s.fields.size() == 13);
    CHECK(s.output_width() == 3);
    CHECK(s.anomaly.size() == 1);
}

TEST_CASE("model.json: schema violations are refused and located") {
    Json j = minimal_spec();
    j["version"] = "v1";
    CHECK_THROWS_WITH(parse(j), Catch::Contains("does not match the model.json schema at /version"));
    j = minimal_spec();
    j["name"] = "../evil";
    CHECK_THROWS_AS(parse(j), VerifyError);
    j = minimal_spec();
    j["output"].erase("labels");
    CHECK_THROWS_AS(parse(j), VerifyError);
    j = minimal_spec();
    j["surprise"] = 1;
    CHECK_THROWS_AS(parse(j), VerifyError);
    CHECK_THROWS_WITH(parse_model_spec("{not json", "model.json"), Catch::Contains("invalid JSON"));
}

TEST_CASE("model.json: consistency the schema cannot express") {
    Json j = minimal_spec();
    j["input"]["mean"] = {1};
    CHECK_THROWS_WITH(parse(j), Catch::Contains("input.mean must have one value per field"));
    j = minimal_spec();
    j["anomaly"] = Json::parse(R"([{"rule": "label_in", "labels": ["nope"]}])");
    CHECK_THROWS_WITH(parse(j), Catch::Contains("label 'nope', which is not among output.labels"));
}

TEST_CASE("features: standardised in field order, missing, null and non-numbers explained") {
    ModelSpec s = parse(minimal_spec());
    float out[2];
    CHECK(extract_features(s, Json::parse(R"({"b": 6, "a": "3", "extra": "x"})"), out).ok());
    CHECK(out[0] == Approx(1.0));  // (3 - 1) / 2
    CHECK(out[1] == Approx(1.0));  // (6 - 2) / 4
    CHECK(extract_features(s, Json::parse(R"({"a": 1})"), out).error() == "missing field 'b'");
    CHECK(extract_features(s, Json::parse(R"({"a": 1, "b": null})"), out).error() == "field 'b' is null, not a number");
    CHECK(extract_features(s, Json::parse(R"({"a": 1, "b": "n/a"})"), out).error() ==
          "field 'b' is not a number: 'n/a'");
    CHECK(extract_features(s, Json::parse(R"({"a": 1, "b": "nan"})"), out).error() ==
          "field 'b' is not a finite number");
    CHECK(extract_features(s, Json::parse(R"({"a": 1, "b": [1]})"), out).error() == "field 'b' is array, not a number");
}

TEST_CASE("predictions: softmax, arg-max label and the anomaly rules") {
    ModelSpec s = parse(minimal_spec());
    float confident_ok[] = {5.0f, 0.0f};
    Prediction p = interpret(s, confident_ok);
    CHECK(*p.label == "ok");
    CHECK(p.score == Approx(0.99331).epsilon(1e-4));
    CHECK_FALSE(p.anomaly);
    float bad[] = {0.0f, 5.0f};
    CHECK(interpret(s, bad).anomaly);  // label_in
    float unsure[] = {0.1f, 0.0f};
    CHECK(interpret(s, unsure).anomaly);  // confidence below 0.6

    Json j = minimal_spec();
    j["output"] = {{"kind", "score"}};
    j["anomaly"] = Json::parse(R"([{"rule": "score_above", "threshold": 0.9}])");
    ModelSpec scored = parse(j);
    float high[] = {0.95f}, low[] = {0.2f};
    CHECK(interpret(scored, high).anomaly);
    CHECK_FALSE(interpret(scored, low).anomaly);
    CHECK_FALSE(interpret(scored, low).label);
}

TEST_CASE("features: a finite value float32 cannot hold is refused, naming the field and the value") {
    ModelSpec s = parse(minimal_spec());
    float out[2];
    CHECK(extract_features(s, Json{{"a", 1e300}, {"b", 2}}, out).error() ==
          "field 'a' is 1e+300, standardised 5e+299, outside the range of float32, the model's input type");
    // After standardising ((b - 2) / 4): -5e38 is out of range, while (3.4e38 - 1) / 2 is not.
    CHECK(extract_features(s, Json{{"a", 3.4e38}, {"b", -2e39}}, out).error() ==
          "field 'b' is -2e+39, standardised -5e+38, outside the range of float32, the model's input type");
    CHECK(extract_features(s, Json{{"a", 3e38}, {"b", 2}}, out).ok());
}

TEST_CASE("predictions: a NaN or infinite output is a problem, not a score") {
    ModelSpec s = parse(minimal_spec());
    float nan_row[] = {std::numeric_limits<float>::quiet_NaN(), 1.0f};
    float inf_row[] = {std::numeric_limits<float>::infinity(), 1.0f};
    float ok_row[] = {0.5f, 1.0f};
    CHECK_FALSE(check_storable(interpret(s, nan_row)));
    CHECK_FALSE(check_storable(interpret(s, inf_row)));
    CHECK(check_storable(interpret(s, ok_row)));
    Json regression = minimal_spec();
    regression["output"] = {{"kind", "regression"}};
    regression.erase("anomaly");
    float huge[] = {std::numeric_limits<float>::infinity()};
    CHECK(check_storable(interpret(parse(regression), huge)).error() ==
          "the model's output for this item is not a finite number (NaN or infinity)");
}
