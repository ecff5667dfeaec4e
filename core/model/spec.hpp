#pragma once
// model.json: what a model needs as input (numbers read from records, or camera frames and exactly
// how they are made into its input), which items it scores, what its output means, when a
// prediction is an anomaly, and how closely golden vectors must be reproduced. Validated against
// schemas/model.schema.json.

#include "image/preprocess.hpp"
#include "model/model.hpp"
#include "util/ndjson.hpp"
#include "util/result.hpp"

#include <map>
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

/// A distribution as quantile bins (model.json's reference): bin 0 below edges[0], bin i from
/// edges[i-1] (included) to edges[i], the last from the last edge up.
struct Bins {
    std::vector<double> edges;      ///< strictly increasing
    std::vector<double> fractions;  ///< edges.size() + 1 shares, summing to 1
    double missing = 0;             ///< share of items whose value was missing or not a number
    /// The bin a value falls in.
    std::size_t bin(double value) const;
};

/// Statistics of a model's training data (model.json's reference), against which score measures
/// drift a window of items at a time: of each input field of a feature model, or of each frame
/// statistic of an image model (frame_statistic_names).
struct DriftReference {
    std::int64_t window = 0;         ///< items per window
    double psi_threshold = 0;        ///< flag a window when a PSI exceeds this
    double js_threshold = 0;         ///< ... or the labels' Jensen-Shannon distance this (0: not checked)
    std::vector<std::string> names;  ///< what is measured: the input fields, or the frame statistics
    std::vector<Bins> features;      ///< one per name, in that order
    std::vector<double> labels;      ///< classification: each label's share of the predictions, in label order
    std::optional<Bins> scores;      ///< regression and score: the bins of the predictions
};

/// The statistics drift measures of each frame an image model scores, computed from its input
/// before normalisation (each sample times the scale: 0..1 for 8-bit samples at 1/255): each
/// channel's mean over the frame's pixels, named mean_r, mean_g, mean_b in the model's channel
/// order (mean_gray for one channel), then each channel's standard deviation (std_r, ...), then
/// the brightness, the mean of the channel means.
std::vector<std::string> frame_statistic_names(const ImageInput& in);
/// Computes them from one preprocessed input row (in.values() floats) into out[0..names.size()).
void frame_statistics(const ImageInput& in, const float* row, double* out);

/// What a model takes: features read from records, or camera frames.
enum class InputKind { features, image };

struct ModelSpec {
    std::string name;
    std::string version;
    std::string torch_version;
    InputKind input_kind = InputKind::features;
    std::vector<std::string> fields;   ///< features: input features, in tensor column order
    std::vector<double> mean, std;     ///< features: empty, or one per field
    ImageInput image;                  ///< image: the model's input and its preprocessing
    DecodeSpec decode;                 ///< image: how frames are decoded (alpha, CMYK, 16-bit, orientation)
    ImageLimits limits;                ///< image: what a frame may declare
    std::vector<std::string> sources;  ///< glob patterns on the item's source name; empty: every item
    OutputKind output_kind = OutputKind::classification;
    std::vector<std::string> labels;  ///< classification only
    bool softmax = true;              ///< classification: apply softmax to the raw outputs
    std::vector<AnomalyRule> anomaly;
    std::optional<DriftReference> reference;  ///< the training data's statistics (drift)
    double atol = 0, rtol = 0;                ///< golden tolerance
    Json document;                            ///< the model.json as parsed

    /// Number of values the model must output per item.
    std::size_t output_width() const { return output_kind == OutputKind::classification ? labels.size() : 1; }
    /// Number of values of one item's input.
    std::size_t input_width() const { return input_kind == InputKind::image ? image.values() : fields.size(); }
    /// The shape of one item's input as the model takes it: {fields}, {C, H, W} or {H, W, C}.
    std::vector<std::int64_t> input_shape() const;
    /// Whether the model scores items from a source of this name (its `sources` patterns).
    bool takes_source(std::string_view source) const;
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

/// Builds one image model input from a frame: its bytes as stored (or as a package holds them),
/// decoded with the EXIF orientation recorded for it, then preprocessed. Writes
/// spec.input_width() floats to out, or says why the frame cannot be scored.
Result<> extract_image(const ModelSpec& spec, std::string_view bytes, int orientation, float* out);

/// What a golden image may declare, whatever its package's model.json allows frames: 4096 x 4096
/// pixels and 4 MiB.
inline constexpr std::uint64_t max_golden_pixels = std::uint64_t(4096) * 4096;
inline constexpr std::uint64_t max_golden_bytes = std::uint64_t(4) << 20;

/// Whether an entry name is one a golden image may have: golden/NAME.png, .jpg or .jpeg, NAME of
/// at most 64 letters, digits, '.', '_' and '-', not starting with '.', '_' or '-'.
bool is_golden_image_name(std::string_view name);

/// The golden images a golden.ndjson names ("image": "golden/NAME"), in order of first mention.
/// Throws VerifyError on a line that is not JSON or names a path outside golden/.
std::vector<std::string> golden_image_names(std::string_view golden_text);

/// Runs every golden vector (golden.ndjson text) through the model and compares with tolerance.
/// A feature model's vectors give their input; an image model's name a golden image, looked up in
/// `images` (entry name -> bytes) and run through edgectl's own scrub, decode and preprocess, so that
/// a package whose model.json describes another preprocessing than its training's is refused.
/// Throws VerifyError naming the line and the worst output on the first mismatch. Returns the
/// number of vectors checked.
std::size_t check_golden(const ModelSpec& spec, Model& model, std::string_view golden_text,
                         const std::map<std::string, std::string>& images = {});

}  // namespace edgectl
