#pragma once
// Drift, measured where the data is (docs/drift.md). A feature model's model.json may carry the
// statistics of its training data (its reference): per feature, quantile bins and the share of
// missing values; the share of each predicted label, or the bins of its scores. Score counts how
// the items it scores fall into the same bins, a window of the model's N items at a time, in the
// same transactions as the insights, and closes each full window with its indices: a population
// stability index (PSI) per feature and for scores, the Jensen-Shannon distance of the predicted
// labels. A window is flagged when an index exceeds the model's threshold.

#include "model/spec.hpp"
#include "store/db.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

class Store;

/// What a window counted.
struct DriftCounts {
    std::int64_t items = 0;                           ///< scored, or set aside for a feature's value
    std::vector<std::vector<std::int64_t>> features;  ///< per field, per bin
    std::vector<std::int64_t> missing;                ///< per field: items set aside for its value
    std::vector<std::int64_t> predictions;            ///< per label, or per score bin

    static DriftCounts empty(const DriftReference& ref);
    Json to_json() const;
    /// Counts stored by to_json(); throws Error if they do not fit the reference.
    static DriftCounts from_json(const Json& j, const DriftReference& ref);
};

/// A window's indices, and why it is flagged.
struct DriftIndices {
    std::vector<double> feature_psi;   ///< per field, missing values counted as a bin of their own
    std::vector<double> missing;       ///< per field: the share of the window's items
    std::optional<double> labels_js;   ///< classification
    std::optional<double> scores_psi;  ///< regression, score
    double psi_max = 0;                ///< the largest feature_psi
    std::vector<std::string> flags;    ///< e.g. "alcohol: PSI 0.41 > 0.25"
    bool flagged() const { return !flags.empty(); }
    Json to_json(const ModelSpec& spec) const;
};

/// Population stability index of observed counts against expected shares: the sum over bins of
/// (a - e) ln(a / e), both shares floored at 1e-4 so that an empty bin counts without dividing by 0.
/// 0 when nothing was observed.
double population_stability_index(const std::vector<double>& expected, const std::vector<std::int64_t>& observed);

/// Jensen-Shannon distance (the square root of the divergence, base-2 logarithms: 0 to 1) between
/// expected shares and observed counts. 0 when nothing was observed.
double jensen_shannon_distance(const std::vector<double>& expected, const std::vector<std::int64_t>& observed);

DriftIndices drift_indices(const ModelSpec& spec, const DriftCounts& counts);
/// The same, into `out`, whose vectors and flags' strings keep their capacity from window to window.
void drift_indices(const ModelSpec& spec, const DriftCounts& counts, DriftIndices& out);

/// The JSON text a window stores, written into a reused buffer without building a tree: what
/// DriftCounts::to_json().dump() and DriftIndices::to_json(spec).dump() write, the same keys in the
/// same (sorted) order and the same layout, each number in the shortest digits that read back as
/// the same double (where nlohmann's Grisu2 now and then writes 17).
class DriftJsonWriter {
  public:
    explicit DriftJsonWriter(const ModelSpec& spec);
    /// Replaces `out` with the counts' JSON.
    void counts(const DriftCounts& c, std::string& out) const;
    /// Replaces `out` with the indices' JSON.
    void indices(const DriftIndices& d, std::string& out) const;

  private:
    std::vector<std::pair<std::size_t, std::string>> keys_;  ///< per field in key order: its index, "\"name\":"
};

/// Counts a model version's scored items into its open window (store table drift_windows), in the
/// caller's transaction, and closes the window when it is full. A model without a reference counts
/// nothing.
class DriftMonitor {
  public:
    DriftMonitor(Db& db, const ModelSpec& spec, std::string model, std::string version);

    /// An item scored: its input row (standardised, as the model took it) and its prediction.
    void scored(std::int64_t item, const float* input, const Prediction& p, const std::string& now);
    /// An item set aside because the value of this field was missing or not a number.
    void missing(std::int64_t item, std::size_t field, const std::string& now);
    /// Writes the open window's counts (call before the transaction commits).
    void save();

    std::int64_t closed() const { return closed_; }
    std::int64_t flagged() const { return flagged_; }

  private:
    void count(std::int64_t item, const std::string& now);
    void close(const std::string& now);
    Statement& prepared(std::optional<Statement>& statement, const char* sql);
    void write_features();

    Db& db_;
    const ModelSpec& spec_;
    std::string model_, version_;
    // Per field, `width_` edges (the most a field has): its reference's, standardised as inputs
    // are, after as many -infinity as it has fewer; and width_ + 1 counts, its bins the last ones.
    // A value's bin is then the number of edges at or below it, whatever the field.
    std::size_t width_ = 0;
    std::vector<float> edges_;
    bool image_ = false;              ///< an image model: its frame statistics are measured
    std::vector<double> statistics_;  ///< image: the frame statistics of the item being counted
    std::vector<float> values_;       ///< ... as float, binned like an input row
    std::vector<std::int64_t> feature_counts_;
    DriftCounts open_;  ///< the open window (all 0 while none is open); features from feature_counts_ when written
    bool is_open_ = false;
    std::int64_t id_ = 0, first_ = 0, last_ = 0;
    std::string opened_at_;
    bool dirty_ = false;
    std::int64_t closed_ = 0, flagged_ = 0;
    // Kept from window to window (score closes one every `window` items): buffers, and statements
    // prepared on first use.
    DriftJsonWriter json_;
    DriftIndices indices_;
    std::string counts_text_, indices_text_;
    std::optional<Statement> open_insert_, open_update_, closed_insert_, open_delete_;
};

/// A window as the store holds it.
struct DriftWindow {
    std::string model, version;
    std::int64_t first_item = 0, last_item = 0, items = 0;
    std::string opened_at, closed_at;  ///< closed_at empty: open
    bool flagged = false;
    Json indices;  ///< closed: DriftIndices::to_json
};

/// The newest windows (at most `limit`; 0: all), newest first, of one model or of all.
std::vector<DriftWindow> drift_windows(Db& db, const std::string& model, std::size_t limit);
Json to_json(const DriftWindow& w);

}  // namespace edgectl
