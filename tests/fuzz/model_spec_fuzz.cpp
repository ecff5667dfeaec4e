// libFuzzer target for model.json, which arrives inside a model package from a removable disk.
// parse_model_spec may refuse with VerifyError (or Error), never with another exception (a bare
// library message, STYLE.md §4) nor a crash; a spec it accepts must be usable: its lengths agree,
// and extracting features and interpreting an output row with it stay in bounds.

#include "model/spec.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace {

void use(const edgectl::ModelSpec& spec) {
    if (spec.fields.empty() || spec.output_width() == 0) __builtin_trap();
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
