#include "model/features.hpp"

#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace edgectl;

TEST_CASE("features: the fast extractor agrees with extract_features, values and reasons") {
    ModelSpec spec = parse_model_spec(R"({
      "schema_version": 1, "name": "m", "version": "1.0.0", "framework": "torchscript", "torch_version": "1.13",
      "input": {"kind": "features", "dtype": "float32", "fields": ["a", "b c", "é"], "mean": [1, 2, 3], "std": [2, 4, 8]},
      "output": {"kind": "score"}, "golden": {"atol": 0, "rtol": 0}})",
                                      "spec");
    FeatureExtractor fast(spec);
    const std::vector<std::string> payloads = {
        R"({"a": 3, "b c": "6", "é": 11, "other": [1, {"x": null}]})",
        R"({"é": -1e3, "a": 0.5, "b c": 1e-3})",
        R"({"a": 3, "b\u0020c": 6, "\u00e9": 11})",  // escaped keys
        R"({"a": 3, "b c": 6})",                     // missing
        R"({"a": null, "b c": 6, "é": 1})",
        R"({"a": "n/a", "b c": 6, "é": 1})",
        R"({"a": "", "b c": 6, "é": 1})",
        R"({"a": true, "b c": 6, "é": 1})",
        R"({"a": [1], "b c": 6, "é": 1})",
        R"({"a": {"v": 1}, "b c": 6, "é": 1})",
        R"({"a": "nan", "b c": 6, "é": 1})",
        R"({"a": "1e999", "b c": 6, "é": 1})",
    };
    for (const auto& text : payloads) {
        INFO(text);
        float want[3] = {}, got[3] = {};
        std::string slow_why = test::failure_of(extract_features(spec, Json::parse(text), want));
        std::string fast_why = test::failure_of(fast.extract(text, got));
        CHECK(fast_why == slow_why);
        if (slow_why.empty())
            for (int i = 0; i < 3; ++i)
                CHECK(got[i] == want[i]);
    }
    CHECK(fast.extract("[1, 2]", nullptr).error() == "stored payload is not a JSON object");
}
