#include "model/spec.hpp"

#include "util/error.hpp"
#include "util/json_schema.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

namespace edgectl {

namespace embedded {
extern const std::string_view model_schema_json;
}

namespace {

AnomalyRule parse_rule(const Json& j) {
    static const std::map<std::string, AnomalyRule::Kind> kinds = {
        {"label_in", AnomalyRule::Kind::label_in},
        {"score_above", AnomalyRule::Kind::score_above},
        {"score_below", AnomalyRule::Kind::score_below},
        {"confidence_below", AnomalyRule::Kind::confidence_below}};
    AnomalyRule rule{kinds.at(j.at("rule").get<std::string>()), {}, 0};
    if (j.contains("labels")) rule.labels = j["labels"].get<std::vector<std::string>>();
    if (j.contains("threshold")) rule.threshold = j["threshold"].get<double>();
    return rule;
}

// Checks the schema cannot express: lengths that must agree, rules that must fit the output kind.
std::string consistency_problem(const ModelSpec& s) {
    if (!s.mean.empty() && s.mean.size() != s.fields.size()) return "input.mean must have one value per field";
    if (!s.std.empty() && s.std.size() != s.fields.size()) return "input.std must have one value per field";
    if (s.input_kind == InputKind::image) {
        const ImageInput& in = s.image;
        auto channels = std::size_t(in.channels());
        if (s.document["input"]["channels"].get<int>() != in.channels())
            return "input.channels must be 1 with colour 'gray' and 3 with 'rgb' or 'bgr'";
        if (!in.mean.empty() && in.mean.size() != channels) return "input.mean must have one value per channel";
        if (!in.std.empty() && in.std.size() != channels) return "input.std must have one value per channel";
        if (in.resize == ImageInput::Resize::shorter_side && in.shorter_side != 0 &&
            in.shorter_side < std::max(in.width, in.height))
            return "input.shorter_side must be at least the crop's width and height";
    }
    for (const auto& rule : s.anomaly) {
        bool classification = s.output_kind == OutputKind::classification;
        if ((rule.kind == AnomalyRule::Kind::label_in || rule.kind == AnomalyRule::Kind::confidence_below) &&
            !classification)
            return "anomaly rules 'label_in' and 'confidence_below' need a classification output";
        for (const auto& label : rule.labels)
            if (std::find(s.labels.begin(), s.labels.end(), label) == s.labels.end())
                return "anomaly rule names label '" + label + "', which is not among output.labels";
    }
    return {};
}

Bins parse_bins(const Json& j) {
    return Bins{j["edges"].get<std::vector<double>>(), j["fractions"].get<std::vector<double>>(),
                j.value("missing", 0.0)};
}

// Bins that are no distribution: edges out of order, a share per bin missing, shares not adding up.
std::string bins_problem(const Bins& b, const std::string& what) {
    if (b.fractions.size() != b.edges.size() + 1)
        return what + " needs one fraction per bin: " + std::to_string(b.edges.size() + 1) + " for " +
               std::to_string(b.edges.size()) + " edges";
    for (std::size_t i = 1; i < b.edges.size(); ++i)
        if (!(b.edges[i - 1] < b.edges[i])) return what + "'s edges must be strictly increasing";
    double sum = std::accumulate(b.fractions.begin(), b.fractions.end(), 0.0);
    if (std::fabs(sum - 1) > 1e-3) return what + "'s fractions add up to " + std::to_string(sum) + ", not 1";
    return {};
}

// model.json's reference, which the schema has checked, made one entry per measured value (input
// field, or frame statistic), in their order; or why it does not fit the model.
Result<DriftReference> parse_reference(const ModelSpec& s, const Json& j) {
    const bool image = s.input_kind == InputKind::image;
    DriftReference r;
    r.window = j["window"];
    r.psi_threshold = j["thresholds"]["psi"];
    r.js_threshold = j["thresholds"].value("js", 0.0);
    r.names = image ? frame_statistic_names(s.image) : s.fields;
    const std::string what = image ? "frame statistic" : "input field";
    const Json& features = j["features"];
    for (const auto& name : r.names) {
        auto it = features.find(name);
        if (it == features.end()) return fail("reference.features has no entry for " + what + " '" + name + "'");
        r.features.push_back(parse_bins(*it));
        if (auto problem = bins_problem(r.features.back(), "reference.features['" + name + "']"); !problem.empty())
            return fail(problem);
    }
    if (features.size() != r.names.size())
        return fail("reference.features names a" + std::string(image ? " frame statistic" : "n input field") +
                    " the model does not have" +
                    (image ? " (an image model's are each channel's mean_ and std_, and brightness)" : ""));
    const Json& predictions = j["predictions"];
    if (s.output_kind == OutputKind::classification) {
        if (!predictions.contains("labels") || predictions.contains("edges"))
            return fail("reference.predictions of a classification needs 'labels' (each label's share), not bins");
        for (const auto& label : s.labels) {
            auto it = predictions["labels"].find(label);
            if (it == predictions["labels"].end())
                return fail("reference.predictions.labels has no share for label '" + label + "'");
            r.labels.push_back(it->get<double>());
        }
        if (predictions["labels"].size() != s.labels.size())
            return fail("reference.predictions.labels names a label the output does not have");
        double sum = std::accumulate(r.labels.begin(), r.labels.end(), 0.0);
        if (std::fabs(sum - 1) > 1e-3)
            return fail("reference.predictions.labels add up to " + std::to_string(sum) + ", not 1");
        if (r.js_threshold <= 0) return fail("reference.thresholds needs 'js' for a classification");
    } else {
        if (!predictions.contains("edges") || !predictions.contains("fractions") || predictions.contains("labels"))
            return fail("reference.predictions of a " + std::string(to_string(s.output_kind)) +
                        " needs the bins of its scores ('edges', 'fractions')");
        r.scores = Bins{predictions["edges"].get<std::vector<double>>(),
                        predictions["fractions"].get<std::vector<double>>(), 0};
        if (auto problem = bins_problem(*r.scores, "reference.predictions"); !problem.empty()) return fail(problem);
    }
    return r;
}

bool rule_matches(const AnomalyRule& rule, const Prediction& p) {
    switch (rule.kind) {
    case AnomalyRule::Kind::label_in:
        return p.label && std::find(rule.labels.begin(), rule.labels.end(), *p.label) != rule.labels.end();
    case AnomalyRule::Kind::score_above: return p.score > rule.threshold;
    case AnomalyRule::Kind::score_below:  // a classifier's score is its confidence
    case AnomalyRule::Kind::confidence_below: return p.score < rule.threshold;
    }
    return false;
}

// The image contract of an "input" whose kind is "image" (the schema has checked its values).
void parse_image_input(const Json& j, ModelSpec& s) {
    ImageInput& in = s.image;
    in.width = j["width"];
    in.height = j["height"];
    const std::string colour = j["colour"];
    in.colour = colour == "gray"  ? ImageInput::Colour::gray
                : colour == "bgr" ? ImageInput::Colour::bgr
                                  : ImageInput::Colour::rgb;
    in.layout = j["layout"] == "nhwc" ? ImageInput::Layout::nhwc : ImageInput::Layout::nchw;
    static const std::map<std::string, ImageInput::Resize> resizes = {
        {"stretch", ImageInput::Resize::stretch},
        {"letterbox", ImageInput::Resize::letterbox},
        {"centre_crop", ImageInput::Resize::centre_crop},
        {"shorter_side", ImageInput::Resize::shorter_side}};
    static const std::map<std::string, ImageInput::Interpolation> interpolations = {
        {"nearest", ImageInput::Interpolation::nearest},
        {"bilinear", ImageInput::Interpolation::bilinear},
        {"bicubic", ImageInput::Interpolation::bicubic},
        {"area", ImageInput::Interpolation::area}};
    in.resize = resizes.at(j["resize"]);
    in.interpolation = interpolations.at(j["interpolation"]);
    in.pad = j.value("pad", std::uint8_t(0));
    in.shorter_side = j.value("shorter_side", std::uint32_t(0));
    in.scale = j.value("scale", 1.0f / 255.0f);
    in.mean = j.value("mean", std::vector<float>{});
    in.std = j.value("std", std::vector<float>{});

    DecodeSpec& d = s.decode;
    d.apply_orientation = j.value("orientation", true);
    const std::string alpha = j.value("alpha", std::string("drop"));
    d.alpha = alpha == "refuse"      ? DecodeSpec::Alpha::refuse
              : alpha == "composite" ? DecodeSpec::Alpha::composite
                                     : DecodeSpec::Alpha::drop;
    d.background = j.value("background", std::uint8_t(255));
    d.accept_gray = j.value("grayscale", std::string("convert")) == "convert";
    d.accept_cmyk = j.value("cmyk", std::string("convert")) == "convert";
    d.accept_16bit = j.value("sixteen_bit", std::string("convert")) == "convert";
    d = decode_spec(in, d);

    s.limits.max_pixels = j.value("max_pixels", s.limits.max_pixels);
    s.limits.max_bytes = j.value("max_bytes", s.limits.max_bytes);
}

}  // namespace

std::vector<std::string> frame_statistic_names(const ImageInput& in) {
    std::vector<std::string> channels = in.colour == ImageInput::Colour::gray ? std::vector<std::string>{"gray"}
                                        : in.colour == ImageInput::Colour::bgr
                                            ? std::vector<std::string>{"b", "g", "r"}
                                            : std::vector<std::string>{"r", "g", "b"};
    std::vector<std::string> names;
    names.reserve(2 * channels.size() + 1);
    for (const auto& c : channels)
        names.push_back("mean_" + c);
    for (const auto& c : channels)
        names.push_back("std_" + c);
    names.emplace_back("brightness");
    return names;
}

void frame_statistics(const ImageInput& in, const float* row, double* out) {
    const auto channels = std::size_t(in.channels());
    const std::size_t pixels = std::size_t(in.width) * in.height;
    double brightness = 0;
    for (std::size_t c = 0; c < channels; ++c) {
        // The sample before normalisation: x * std + mean, which is linear, so the sums of the
        // normalised values give both moments.
        const double sd = in.std.empty() ? 1.0 : in.std[c], mean = in.mean.empty() ? 0.0 : in.mean[c];
        double sum = 0, squares = 0;
        const std::size_t first = in.layout == ImageInput::Layout::nchw ? c * pixels : c;
        const std::size_t step = in.layout == ImageInput::Layout::nchw ? 1 : channels;
        for (std::size_t p = 0, at = first; p < pixels; ++p, at += step) {
            const double x = row[at];
            sum += x;
            squares += x * x;
        }
        const double m = sum / double(pixels);
        const double variance = std::max(squares / double(pixels) - m * m, 0.0);
        out[c] = m * sd + mean;
        out[channels + c] = std::sqrt(variance) * sd;
        brightness += out[c];
    }
    out[2 * channels] = brightness / double(channels);
}

std::size_t Bins::bin(double value) const {
    return std::size_t(std::upper_bound(edges.begin(), edges.end(), value) - edges.begin());
}

std::vector<std::int64_t> ModelSpec::input_shape() const {
    if (input_kind == InputKind::features) return {std::int64_t(fields.size())};
    auto c = std::int64_t(image.channels()), h = std::int64_t(image.height), w = std::int64_t(image.width);
    return image.layout == ImageInput::Layout::nchw ? std::vector{c, h, w} : std::vector{h, w, c};
}

bool ModelSpec::takes_source(std::string_view source) const {
    if (sources.empty()) return true;
    std::string text(source);
    return std::any_of(sources.begin(), sources.end(),
                       [&](const std::string& pattern) { return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0; });
}

std::string_view to_string(OutputKind kind) {
    switch (kind) {
    case OutputKind::classification: return "classification";
    case OutputKind::regression: return "regression";
    case OutputKind::score: return "score";
    }
    return "unknown";
}

Result<OutputKind> parse_output_kind(std::string_view text) {
    for (auto kind : {OutputKind::classification, OutputKind::regression, OutputKind::score})
        if (to_string(kind) == text) return kind;
    return fail("unknown output kind " + quote(text));
}

ModelSpec parse_model_spec(std::string_view text, std::string_view where) {
    auto doc = parse_json_object(text);
    if (!doc) throw VerifyError(with_context(quote(where), doc.error()));
    if (auto problem = schema_problem(embedded::model_schema_json, *doc))
        throw VerifyError(quote(where) + " does not match the model.json schema " + *problem);
    const Json& d = *doc;
    ModelSpec s;
    s.name = d["name"];
    s.version = d["version"];
    s.torch_version = d["torch_version"];
    const Json& input = d["input"];
    if (input["kind"] == "image") {
        s.input_kind = InputKind::image;
        parse_image_input(input, s);
    } else {
        s.fields = input["fields"].get<std::vector<std::string>>();
        s.mean = input.value("mean", std::vector<double>{});
        s.std = input.value("std", std::vector<double>{});
    }
    s.sources = input.value("sources", std::vector<std::string>{});
    s.output_kind =
        parse_output_kind(d["output"]["kind"].get<std::string>()).or_throw(quote(where), Exit::verify_failed);
    s.labels = d["output"].value("labels", std::vector<std::string>{});
    s.softmax = d["output"].value("activation", std::string("softmax")) == "softmax";
    for (const auto& rule : d.value("anomaly", Json::array()))
        s.anomaly.push_back(parse_rule(rule));
    s.atol = d["golden"]["atol"];
    s.rtol = d["golden"]["rtol"];
    s.document = std::move(*doc);
    if (std::string problem = consistency_problem(s); !problem.empty())
        throw VerifyError(with_context(quote(where), problem));
    if (s.document.contains("reference"))
        s.reference = parse_reference(s, s.document["reference"]).or_throw(quote(where), Exit::verify_failed);
    return s;
}

Result<> extract_features(const ModelSpec& spec, const Json& payload, float* out) {
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        const std::string& name = spec.fields[i];
        auto it = payload.find(name);
        if (it == payload.end()) return fail("missing field '" + name + "'");
        double value;
        if (it->is_number()) {
            value = it->get<double>();
        } else if (it->is_string()) {
            const std::string& text = it->get_ref<const std::string&>();
            char* end = nullptr;
            value = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size())
                return fail("field '" + name + "' is not a number: '" + text.substr(0, 40) + "'");
        } else {
            return fail("field '" + name + "' is " + std::string(it->is_null() ? "null" : it->type_name()) +
                        ", not a number");
        }
        if (!std::isfinite(value)) return fail("field '" + name + "' is not a finite number");
        auto input = standardise(spec, i, value);
        if (!input) return Failure{input.error()};
        out[i] = *input;
    }
    return {};
}

Result<float> standardise(const ModelSpec& spec, std::size_t i, double value) {
    double raw = value;
    if (!spec.mean.empty()) value -= spec.mean[i];
    if (!spec.std.empty()) value /= spec.std[i];
    auto out = static_cast<float>(value);
    if (std::isfinite(out)) return out;
    // The shortest text that reads back as the value.
    auto text = [](double v) {
        char buf[64];
        return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    };
    std::string what = "field '" + spec.fields[i] + "' is " + text(raw);
    if (value != raw) what += ", standardised " + text(value);
    return fail(what + ", outside the range of float32, the model's input type");
}

Result<> check_storable(const Prediction& p) {
    bool finite = std::isfinite(p.score) && std::all_of(p.probabilities.begin(), p.probabilities.end(),
                                                        [](double v) { return std::isfinite(v); });
    if (finite) return {};
    return fail("the model's output for this item is not a finite number (NaN or infinity)");
}

Prediction interpret(const ModelSpec& spec, const float* outputs) {
    Prediction p;
    if (spec.output_kind == OutputKind::classification) {
        std::size_t k = spec.labels.size();
        p.probabilities.assign(outputs, outputs + k);
        if (spec.softmax) {
            double top = *std::max_element(p.probabilities.begin(), p.probabilities.end());
            double sum = 0;
            for (double& v : p.probabilities)
                sum += (v = std::exp(v - top));
            for (double& v : p.probabilities)
                v /= sum;
        }
        auto best = std::max_element(p.probabilities.begin(), p.probabilities.end());
        p.label = spec.labels[std::size_t(best - p.probabilities.begin())];
        p.score = *best;
    } else {
        p.score = outputs[0];
    }
    p.anomaly =
        std::any_of(spec.anomaly.begin(), spec.anomaly.end(), [&](const auto& r) { return rule_matches(r, p); });
    return p;
}

Result<> extract_image(const ModelSpec& spec, std::string_view bytes, int orientation, float* out) {
    auto pixels = decode_image(bytes, spec.decode.apply_orientation ? orientation : 1, spec.decode, spec.limits);
    if (!pixels) return Failure{pixels.error()};
    preprocess(*pixels, spec.image, out);
    return {};
}

bool is_golden_image_name(std::string_view name) {
    constexpr std::string_view folder = "golden/";
    if (!name.starts_with(folder)) return false;
    std::string_view file = name.substr(folder.size());
    std::string_view stem;
    for (std::string_view ext : {".png", ".jpg", ".jpeg"})
        if (file.size() > ext.size() && file.ends_with(ext)) stem = file.substr(0, file.size() - ext.size());
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    return !stem.empty() && stem.size() <= 64 && alnum(stem.front()) &&
           std::all_of(stem.begin(), stem.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

namespace {

// One line of golden.ndjson, or nothing for a blank line: {"input": {...}} or {"image": "golden/…"},
// and {"output": [...]}.
std::optional<Json> golden_line(const std::string& line, const std::string& where) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return std::nullopt;
    auto vec = parse_json_object(line);
    bool input = vec && vec->contains("input") && (*vec)["input"].is_object();
    bool image = vec && vec->contains("image") && (*vec)["image"].is_string();
    if (!vec || input == image || !vec->contains("output") || !(*vec)["output"].is_array())
        throw VerifyError(
            where + R"(: expected {"input": {...}, "output": [...]} or {"image": "golden/NAME", "output": [...]})" +
            (vec ? "" : ": " + vec.error()));
    if (image && !is_golden_image_name((*vec)["image"].get_ref<const std::string&>()))
        throw VerifyError(where + ": " + quote((*vec)["image"].get<std::string>()) +
                          " is not a golden image's name: golden/NAME.png or golden/NAME.jpg, NAME of letters, "
                          "digits, '.', '_' and '-'");
    return std::move(*vec);
}

}  // namespace

std::vector<std::string> golden_image_names(std::string_view golden_text) {
    std::istringstream in{std::string(golden_text)};
    std::string line;
    std::vector<std::string> names;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        auto vec = golden_line(line, "golden.ndjson line " + std::to_string(number));
        if (!vec || !vec->contains("image")) continue;
        std::string name = (*vec)["image"];
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    }
    return names;
}

std::size_t check_golden(const ModelSpec& spec, Model& model, std::string_view golden_text,
                         const std::map<std::string, std::string>& images) {
    std::istringstream in{std::string(golden_text)};
    std::string line;
    std::size_t number = 0, checked = 0;
    const bool image_model = spec.input_kind == InputKind::image;
    // Golden images come in the package whose model.json sets the limits: they are held to
    // edgectl's own as well, so that a package cannot make its check decode gigapixels.
    ModelSpec golden_spec = spec;
    golden_spec.limits.max_pixels = std::min(spec.limits.max_pixels, max_golden_pixels);
    golden_spec.limits.max_bytes = std::min(spec.limits.max_bytes, max_golden_bytes);
    while (std::getline(in, line)) {
        ++number;
        std::string where = "golden.ndjson line " + std::to_string(number);
        auto vec = golden_line(line, where);
        if (!vec) continue;
        if (vec->contains("image") != image_model)
            throw VerifyError(where + (image_model ? ": an image model's golden vectors name a golden image"
                                                   : ": a feature model's golden vectors give an input object"));
        Matrix batch{1, spec.input_width(), std::vector<float>(spec.input_width()), spec.input_shape()};
        if (image_model) {
            const std::string& name = (*vec)["image"].get_ref<const std::string&>();
            auto file = images.find(name);
            if (file == images.end()) throw VerifyError(where + ": golden image " + quote(name) + " is missing");
            // As ingest takes a frame: checked and scrubbed, its orientation read, then decoded.
            auto scrubbed = scrub_image(file->second, golden_spec.limits);
            if (!scrubbed) throw VerifyError(with_context(where + ": golden image " + quote(name), scrubbed.error()));
            auto input = extract_image(golden_spec, scrubbed->bytes, scrubbed->info.orientation, batch.values.data());
            if (!input) throw VerifyError(with_context(where + ": golden image " + quote(name), input.error()));
        } else if (auto input = extract_features(spec, (*vec)["input"], batch.values.data()); !input) {
            throw VerifyError(with_context(where, input.error()));
        }
        Matrix got = model.forward(batch);
        const Json& want = (*vec)["output"];
        if (got.cols != spec.output_width())
            throw VerifyError("model output has " + std::to_string(got.cols) + " values per item, but model.json's " +
                              std::string(to_string(spec.output_kind)) + " contract needs " +
                              std::to_string(spec.output_width()));
        if (want.size() != got.cols)
            throw VerifyError(where + ": expects " + std::to_string(want.size()) + " outputs, the model gives " +
                              std::to_string(got.cols));
        for (std::size_t i = 0; i < got.cols; ++i) {
            if (!want[i].is_number()) throw VerifyError(where + ": output " + std::to_string(i) + " is not a number");
            double w = want[i].get<double>(), g = got.values[i];
            if (!(std::fabs(g - w) <= spec.atol + spec.rtol * std::fabs(w)))
                throw VerifyError(where + ": output " + std::to_string(i) + " is " + std::to_string(g) +
                                  " on this machine, expected " + std::to_string(w) + " within atol " +
                                  std::to_string(spec.atol) + " + rtol " + std::to_string(spec.rtol) +
                                  (image_model ? ": edgectl's decoding and preprocessing of the golden image, as "
                                                 "model.json describes them, do not give the input training gave"
                                               : ""));
        }
        ++checked;
    }
    if (checked == 0) throw VerifyError("golden.ndjson holds no vectors: the model cannot be accepted untested");
    return checked;
}

}  // namespace edgectl
