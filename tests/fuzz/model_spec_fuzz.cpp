// libFuzzer target for model.json, which arrives inside a model package from a removable disk.
// parse_model_spec may refuse with VerifyError (or Error), never with another exception (a bare
// library message, STYLE.md §4) nor a crash; a spec it accepts must be usable: its lengths agree,
// and extracting features (or preprocessing a frame) and interpreting an output row with it stay in
// bounds.

#include "model/spec.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace {

// An image spec it accepts declares one consistent input, and preprocessing a small frame with it
// writes exactly that input (not run for inputs over a million values: too slow to fuzz).
void use_image(const edgectl::ModelSpec& spec) {
    const edgectl::ImageInput& in = spec.image;
    auto channels = std::size_t(in.channels());
    if (in.width == 0 || in.height == 0 || spec.decode.channels != in.channels()) __builtin_trap();
    if ((!in.mean.empty() && in.mean.size() != channels) || (!in.std.empty() && in.std.size() != channels))
        __builtin_trap();
    std::size_t product = 1;
    for (auto d : spec.input_shape())
        product *= std::size_t(d);
    if (product != spec.input_width()) __builtin_trap();
    if (spec.input_width() > (std::size_t(1) << 20)) return;
    edgectl::Pixels frame{37, 23, in.channels(), std::vector<std::uint8_t>(37 * 23 * channels)};
    for (std::size_t i = 0; i < frame.data.size(); ++i)
        frame.data[i] = std::uint8_t(i * 7);
    std::vector<float> out(spec.input_width() + 1, -12345.0f);
    edgectl::preprocess(frame, in, out.data());
    if (out.back() != -12345.0f) __builtin_trap();  // nothing written past the input
}

void use(const edgectl::ModelSpec& spec) {
    if (spec.output_width() == 0) __builtin_trap();
    if (spec.input_kind == edgectl::InputKind::image) {
        if (!spec.fields.empty()) __builtin_trap();
        use_image(spec);
        return;
    }
    if (spec.fields.empty()) __builtin_trap();
    if (!spec.mean.empty() && spec.mean.size() != spec.fields.size()) __builtin_trap();
    if (!spec.std.empty() && spec.std.size() != spec.fields.size()) __builtin_trap();
    if (spec.output_kind == edgectl::OutputKind::classification && spec.labels.size() < 2) __builtin_trap();

    edgectl::Json payload = edgectl::Json::object();
    for (const auto& field : spec.fields)
        payload[field] = 0.5;
    std::vector<float> row(spec.fields.size());
    if (!edgectl::extract_features(spec, payload, row.data())) __builtin_trap();  // every field is there

    std::vector<float> outputs(spec.output_width());
    for (std::size_t i = 0; i < outputs.size(); ++i)
        outputs[i] = float(i) * 0.25f;
    auto prediction = edgectl::interpret(spec, outputs.data());
    bool classification = spec.output_kind == edgectl::OutputKind::classification;
    if (classification && (!prediction.label || prediction.probabilities.size() != spec.labels.size()))
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        use(edgectl::parse_model_spec(text, "model.json"));
    } catch (const edgectl::Error&) {
        // VerifyError: refused, with a reason
    }
    return 0;
}
