#pragma once
// model.json: what a model needs as input, what its output means, when a prediction is an anomaly,
// and how closely golden vectors must be reproduced. Validated against schemas/model.schema.json.

#include "model/model.hpp"
#include "util/ndjson.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct AnomalyRule {
    enum class Kind { label_in, score_above, score_below, confidence_below };
    Kind kind;
    std::vector<std::string> labels;  ///< label_in
    double threshold = 0;             ///< the others
};

/// What a model's output means (model.json's output.kind).
enum class OutputKind { classification, regression, score };

/// The spelling in model.json: "classification", "regression", "score".
std::string_view to_string(OutputKind kind);
/// The kind a spelling names, or why it names none.
Result<OutputKind> parse_output_kind(std::string_view text);

struct ModelSpec {
    std::string name;
    std::string version;
    std::string torch_version;
    std::vector<std::string> fields;  ///< input features, in tensor column order
    std::vector<double> mean, std;    ///< empty, or one per field
    OutputKind output_kind = OutputKind::classification;
    std::vector<std::string> labels;  ///< classification only
    bool softmax = true;              ///< classification: apply softmax to the raw outputs
    std::vector<AnomalyRule> anomaly;
    double atol = 0, rtol = 0;  ///< golden tolerance
    Json document;              ///< the model.json as parsed

    /// Number of values the model must output per item.
    std::size_t output_width() const { return output_kind == OutputKind::classification ? labels.size() : 1; }
};

/// Parses and validates model.json text. Throws VerifyError naming `where` and the first problem.
ModelSpec parse_model_spec(std::string_view text, std::string_view where);

/// What one model output row means.
struct Prediction {
    std::optional<std::string> label;
    double score = 0;                   ///< classification: the winning probability
    std::vector<double> probabilities;  ///< classification only
    bool anomaly = false;
};

/// The model's input value for field i: (value - mean) / std, as float32 (the input's dtype); or,
/// for a finite value that float32 cannot hold (a cell such as 1e300 becomes infinity there, then
/// a NaN score), why the item cannot be scored.
Result<float> standardise(const ModelSpec& spec, std::size_t i, double value);

/// Whether a prediction can be stored: a model that returns NaN or infinity for an item gives it
/// no score, and the failure says so.
Result<> check_storable(const Prediction& p);

/// Builds one input row from an item's payload: writes spec.fields.size() standardised floats to
/// out, or says why the item cannot be scored (missing field, not a number…).
Result<> extract_features(const ModelSpec& spec, const Json& payload, float* out);

/// Interprets one output row (spec.output_width() values) with the spec's output contract and rules.
Prediction interpret(const ModelSpec& spec, const float* outputs);

/// Runs every golden vector (golden.ndjson text) through the model and compares with tolerance.
/// Throws VerifyError naming the line and the worst output on the first mismatch. Returns the
/// number of vectors checked.
std::size_t check_golden(const ModelSpec& spec, Model& model, std::string_view golden_text);

}  // namespace edgectl
