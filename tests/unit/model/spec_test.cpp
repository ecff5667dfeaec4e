#include "model/spec.hpp"

#include "fixture.hpp"
#include "image/encode.hpp"
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

namespace {

Json image_spec() {
    return Json::parse(R"({
      "schema_version": 1, "name": "cam", "version": "1.0.0", "framework": "torchscript", "torch_version": "1.13",
      "input": {"kind": "image", "dtype": "float32", "width": 8, "height": 6, "channels": 3, "colour": "rgb",
                "layout": "nchw", "resize": "stretch", "interpolation": "area", "mean": [0.5, 0.5, 0.5],
                "std": [0.25, 0.25, 0.25], "sources": ["*camera*", "dock-?.jpg"]},
      "output": {"kind": "classification", "labels": ["r", "g", "b"], "activation": "none"},
      "golden": {"atol": 1e-4, "rtol": 0}})");
}

// Answers each frame with its three channels' means, in the order the input holds them: what a
// model trained on RGB sees change when it is fed BGR.
class ChannelMeans final : public Model {
  public:
    Matrix forward(const Matrix& input) override {
        Matrix out{input.rows, 3, {}};
        std::size_t plane = input.cols / 3;
        for (std::size_t r = 0; r < input.rows; ++r)
            for (std::size_t c = 0; c < 3; ++c) {
                double sum = 0;
                for (std::size_t i = 0; i < plane; ++i)
                    sum += input.row(r)[c * plane + i];
                out.values.push_back(float(sum / double(plane)));
            }
        return out;
    }
};

}  // namespace

TEST_CASE("model.json: an image input gives its whole preprocessing contract") {
    ModelSpec s = parse(image_spec());
    CHECK(s.input_kind == InputKind::image);
    CHECK(s.image.width == 8);
    CHECK(s.image.height == 6);
    CHECK(s.image.interpolation == ImageInput::Interpolation::area);
    CHECK(s.input_width() == 8 * 6 * 3);
    CHECK(s.input_shape() == std::vector<std::int64_t>{3, 6, 8});
    CHECK(s.decode.target_width == 8);
    CHECK(s.decode.apply_orientation);
    CHECK(s.decode.accept_cmyk);
    CHECK(s.limits.max_pixels == 100'000'000);
    CHECK(s.takes_source("/share/camera/north/f1.jpg"));
    CHECK(s.takes_source("dock-3.jpg"));
    CHECK_FALSE(s.takes_source("dock-12.jpg"));
    CHECK_FALSE(s.takes_source("lab.csv"));
    CHECK(parse(minimal_spec()).takes_source("anything"));

    Json j = image_spec();
    j["input"].update(Json::parse(R"({"layout": "nhwc", "colour": "gray", "channels": 1, "mean": [0.5],
        "std": [0.2], "orientation": false, "alpha": "refuse", "grayscale": "refuse", "cmyk": "refuse",
        "sixteen_bit": "refuse", "max_pixels": 1000, "max_bytes": 5000})"));
    s = parse(j);
    CHECK(s.input_shape() == std::vector<std::int64_t>{6, 8, 1});
    CHECK_FALSE(s.decode.apply_orientation);
    CHECK(s.decode.alpha == DecodeSpec::Alpha::refuse);
    CHECK_FALSE(s.decode.accept_gray);
    CHECK_FALSE(s.decode.accept_cmyk);
    CHECK_FALSE(s.decode.accept_16bit);
    CHECK(s.decode.channels == 1);
    CHECK(s.limits.max_pixels == 1000);
    CHECK(s.limits.max_bytes == 5000);
}

TEST_CASE("model.json: an image input that contradicts itself is refused") {
    auto refused = [](const char* patch, const char* why) {
        Json j = image_spec();
        j["input"].merge_patch(Json::parse(patch));
        CHECK_THROWS_WITH(parse(j), Catch::Contains(why));
    };
    refused(R"({"channels": 1})", "input.channels must be 1 with colour 'gray'");
    refused(R"({"mean": [0.5]})", "input.mean must have one value per channel");
    refused(R"({"std": [1, 1]})", "input.std must have one value per channel");
    refused(R"({"resize": "shorter_side", "shorter_side": 4})", "shorter_side must be at least");
    refused(R"({"fields": ["a"]})", "does not match the model.json schema");
    refused(R"({"resize": "squash"})", "does not match the model.json schema");
    refused(R"({"colour": "rgba"})", "does not match the model.json schema");
    refused(R"({"width": 0})", "does not match the model.json schema");
    Json j = minimal_spec();
    j["input"]["width"] = 8;  // an image field in a feature input
    CHECK_THROWS_WITH(parse(j), Catch::Contains("does not match the model.json schema"));
}

TEST_CASE("golden images: edgectl's own decode and preprocess must reproduce training's outputs") {
    ModelSpec rgb = parse(image_spec());
    // A frame whose channels differ: red across, green down, blue constant.
    std::string png = test::png_of(test::gradient(32, 24, 3), 32, 24, SPNG_COLOR_TYPE_TRUECOLOR, 8);
    std::vector<float> input(rgb.input_width());
    REQUIRE(extract_image(rgb, png, 1, input.data()));
    ChannelMeans model;
    Matrix want = model.forward({1, input.size(), input, rgb.input_shape()});
    std::string golden = Json{{"image", "golden/a.png"}, {"output", want.values}}.dump() + "\n";
    std::map<std::string, std::string> images = {{"golden/a.png", png}};
    CHECK(check_golden(rgb, model, golden, images) == 1);

    // The same model described as BGR: the blue and red means trade places, and the package is refused.
    Json j = image_spec();
    j["input"]["colour"] = "bgr";
    CHECK_THROWS_WITH(check_golden(parse(j), model, golden, images),
                      Catch::Contains("line 1: output 0") && Catch::Contains("do not give the input training gave"));
    // So is a letterbox where training stretched.
    j = image_spec();
    j["input"]["resize"] = "letterbox";
    j["input"]["height"] = 8;
    CHECK_THROWS_AS(check_golden(parse(j), model, golden, images), VerifyError);

    // A golden line naming a missing image, an unsafe name, or a feature line for an image model.
    CHECK_THROWS_WITH(check_golden(rgb, model, golden, {}), Catch::Contains("golden image 'golden/a.png' is missing"));
    CHECK_THROWS_WITH(check_golden(rgb, model, R"({"image": "../a.png", "output": [0]})", images),
                      Catch::Contains("is not a golden image's name"));
    CHECK_THROWS_WITH(check_golden(rgb, model, R"({"input": {"a": 1}, "output": [0]})", images),
                      Catch::Contains("an image model's golden vectors name a golden image"));
    // A golden image that is not an image edgectl takes.
    CHECK_THROWS_WITH(check_golden(rgb, model, golden, {{"golden/a.png", "GIF89a..."}}),
                      Catch::Contains("golden image 'golden/a.png'"));
}

TEST_CASE("golden images: held to edgectl's limits, whatever the package's model.json allows frames") {
    Json j = image_spec();
    j["input"]["max_pixels"] = 1000000000;
    ModelSpec generous = parse(j);
    // A few hundred bytes that declare 20000 x 20000 pixels (1.2 GB to decode).
    std::string huge = test::png_of(std::vector<std::uint8_t>(3 * 20000, 0), 20000, 1, SPNG_COLOR_TYPE_TRUECOLOR, 8);
    huge.replace(16, 8, std::string("\0\0\x4e\x20\0\0\x4e\x20", 8));  // IHDR width and height
    std::uint32_t crc = crc32(huge.substr(12, 17));
    huge.replace(29, 4, std::string{char(crc >> 24), char(crc >> 16), char(crc >> 8), char(crc)});
    ChannelMeans model;
    CHECK_THROWS_WITH(
        check_golden(generous, model, R"({"image": "golden/h.png", "output": [0, 0, 0]})", {{"golden/h.png", huge}}),
        Catch::Contains("golden image 'golden/h.png'") && Catch::Contains("over the limit of 16777216"));
}

TEST_CASE("golden images: names are confined to golden/") {
    CHECK(is_golden_image_name("golden/digit-3.png"));
    CHECK(is_golden_image_name("golden/a.b_c.jpeg"));
    CHECK_FALSE(is_golden_image_name("golden/../model.pt"));
    CHECK_FALSE(is_golden_image_name("golden/.hidden.png"));
    CHECK_FALSE(is_golden_image_name("golden/sub/a.png"));
    CHECK_FALSE(is_golden_image_name("golden/a.gif"));
    CHECK_FALSE(is_golden_image_name("model.pt"));
    CHECK_FALSE(is_golden_image_name("golden/" + std::string(65, 'a') + ".png"));
    CHECK(golden_image_names("{\"image\": \"golden/b.png\", \"output\": [1]}\n\n"
                             "{\"image\": \"golden/a.jpg\", \"output\": [1]}\n"
                             "{\"image\": \"golden/b.png\", \"output\": [2]}\n") ==
          std::vector<std::string>{"golden/b.png", "golden/a.jpg"});
}

TEST_CASE("frame statistics: each channel's mean and deviation before normalisation, and brightness") {
    ImageInput in;
    in.width = 2;
    in.height = 1;
    in.mean = {0.5f, 0.25f, 0.0f};
    in.std = {0.5f, 0.25f, 1.0f};
    CHECK(frame_statistic_names(in) ==
          std::vector<std::string>{"mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b", "brightness"});
    // Samples before normalisation: r {0, 1}, g {0.25, 0.25}, b {0.2, 0.6}; as the model takes them,
    // (x - mean) / std.
    const float nchw[] = {-1.0f, 1.0f, 0.0f, 0.0f, 0.2f, 0.6f};
    double out[7];
    frame_statistics(in, nchw, out);
    CHECK(out[0] == Approx(0.5));
    CHECK(out[1] == Approx(0.25));
    CHECK(out[2] == Approx(0.4));
    CHECK(out[3] == Approx(0.5));
    CHECK(out[4] == Approx(0.0).margin(1e-9));
    CHECK(out[5] == Approx(0.2));
    CHECK(out[6] == Approx((0.5 + 0.25 + 0.4) / 3));
    // The same pixels channels-last give the same statistics.
    in.layout = ImageInput::Layout::nhwc;
    const float nhwc[] = {-1.0f, 0.0f, 0.2f, 1.0f, 0.0f, 0.6f};
    double again[7];
    frame_statistics(in, nhwc, again);
    for (int i = 0; i < 7; ++i)
        CHECK(again[i] == Approx(out[i]).margin(1e-9));
    in.colour = ImageInput::Colour::bgr;
    CHECK(frame_statistic_names(in).front() == "mean_b");
    in.colour = ImageInput::Colour::gray;
    CHECK(frame_statistic_names(in) == std::vector<std::string>{"mean_gray", "std_gray", "brightness"});
}
