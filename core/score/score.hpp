#pragma once
// Score: run every item not yet scored by the active version of each model (or one model) through
// it, in batches, and keep the predictions as insights. Progress is a per-version high-water mark
// advanced in the same transaction as the insights it covers, so a killed run resumes exactly
// where its last commit left off: nothing lost, nothing scored twice.

#include "model/model.hpp"
#include "store/store.hpp"
#include "util/clock.hpp"
#include "util/ndjson.hpp"
#include "util/result.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace edgectl {

struct ActiveModel;
struct ModelSpec;

/// Makes the Model that scores with an active version. The default loads its installed TorchScript
/// (checked against the registry) through LibTorch; a test gives an in-memory model instead.
using ModelLoader = std::function<std::unique_ptr<Model>(const ActiveModel&)>;

struct ScoreOptions {
    std::string model;               ///< only this model; empty: every active model
    std::size_t batch = 256;         ///< items per forward pass
    int threads = 1;                 ///< LibTorch intra-op threads
    std::int64_t limit = 0;          ///< at most this many items per model; 0: no limit
    std::size_t commit_rows = 4096;  ///< items per transaction
    double time_budget = 0;          ///< seconds; stop at the first batch boundary past it (0: none)
    ModelLoader load_model;          ///< empty: the installed model, through LibTorch
    const Clock* clock = nullptr;    ///< the time budget's and scored_at's clock; nullptr: the system's
    /// Once true (a signal handler sets it), score stops at the next batch boundary, as at the time
    /// budget: what is scored so far commits. nullptr: never.
    const std::atomic<bool>* stop = nullptr;
    /// Called after each transaction of insights commits: a long-running caller's sign of life.
    std::function<void()> on_commit;
};

struct ModelScoreResult {
    std::string name, version;
    std::int64_t scored = 0;
    std::int64_t anomalies = 0;
    std::int64_t quarantined = 0;
    std::int64_t drift_windows = 0;  ///< drift windows this run closed (docs/drift.md)
    std::int64_t drift_flagged = 0;  ///< ... of them flagged
    std::string shadow_version;      ///< the shadow that scored beside it (docs/shadow.md); "" for none
    std::int64_t shadow_scored = 0;  ///< items the shadow answered or failed to
    std::int64_t shadow_failed = 0;  ///< ... of them with NaN or infinity
};

struct ScoreResult {
    std::vector<ModelScoreResult> models;
    bool out_of_time = false;  ///< stopped by --time-budget (or ScoreOptions::stop) with items left
    bool partial() const;
};

ScoreResult score(Store& store, const StoreLock& lock, const ScoreOptions& options);
/// The default ModelLoader: an installed version's TorchScript, checked first against the registry
/// (SHA256SUMS against the digest recorded at import, model.pt against SHA256SUMS).
std::unique_ptr<Model> load_installed(const ActiveModel& m);

/// Items one batch of score reads for this model: `batch` (--batch), and for an image model at
/// most what fits in 4 Mi input values (16 MiB), so that a batch of frames stays bounded by the
/// model's input size whatever --batch says (a 224 x 224 RGB model: 27 frames).
std::size_t score_batch_items(const ModelSpec& spec, std::size_t batch);

/// One frame's model input as score's reader builds it: the stored file of `digest` read, checked
/// against its digest (a file swapped or damaged under images/ must not be scored as the item it is
/// not), decoded upright by the orientation its item's `payload` recorded, and preprocessed into
/// spec.input_width() floats at `out`. A failure says why this model cannot take the frame (over
/// its limits, of a kind it refuses, damaged or missing since ingest); a read that fails otherwise
/// (EIO, no file descriptors left) throws Error: the run stops, to be retried, rather than set a
/// good frame aside for good.
Result<> stored_frame_input(const Store& store, const ModelSpec& spec, std::string_view payload,
                            std::string_view digest, float* out);

Json to_json(const ScoreResult& result);

}  // namespace edgectl
