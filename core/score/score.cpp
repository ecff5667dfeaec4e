#include "score/score.hpp"

#include "score/drift.hpp"

#include "model/features.hpp"
#include "model/model.hpp"
#include "package/registry.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/ndjson.hpp"
#include "util/pipe.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <optional>

namespace edgectl {

// The most input values a batch of frames holds (16 MiB of float32): a 224 x 224 RGB model gets
// batches of 27 frames whatever --batch says, so that memory stays bounded by the model's input
// size, not by the backlog.
constexpr std::size_t max_image_batch_values = std::size_t(4) << 20;

std::size_t score_batch_items(const ModelSpec& spec, std::size_t batch) {
    if (spec.input_kind != InputKind::image) return batch;
    return std::clamp<std::size_t>(max_image_batch_values / spec.input_width(), 1, batch);
}

Result<> stored_frame_input(const Store& store, const ModelSpec& spec, std::string_view payload,
                            std::string_view digest, float* out) {
    fs::path file = store.image_path(digest);
    std::error_code ec;
    std::uint64_t size = fs::file_size(file, ec);
    if (ec == std::errc::no_such_file_or_directory)
        return fail("its stored image " + quote(file.string()) + " is missing: the store is damaged");
    if (ec) throw Error("cannot read " + quote(file.string()) + ": " + ec.message());
    if (size > spec.limits.max_bytes)
        return fail("the frame is " + std::to_string(size) + " bytes, over the " +
                    std::to_string(spec.limits.max_bytes) + " this model takes");
    std::string bytes = read_file(file, std::size_t(size) + 1);
    if (sha256_hex(bytes) != digest)
        return fail("its stored image " + quote(file.string()) + " no longer matches its digest: the store is damaged");
    int orientation = 1;
    if (auto doc = parse_json_object(payload); doc && (*doc)["orientation"].is_number_integer())
        orientation = (*doc)["orientation"].get<int>();
    return extract_image(spec, bytes, orientation, out);
}

// Loads an installed model, re-checking it against the registry: the package's digest recorded at
// import is the SHA-256 of its SHA256SUMS, which in turn names model.pt's. Files under models/ are
// immutable, so a difference means they were tampered with or damaged; a SHA256SUMS rewritten to
// match a swapped model.pt no longer matches the registry.
std::unique_ptr<Model> load_installed(const ActiveModel& m) {
    std::string where = "installed model " + m.name + "@" + m.version + " is damaged";
    std::string sums = read_file(m.dir / "SHA256SUMS", 1 << 20);
    if (sha256_hex(sums) != m.digest)
        throw VerifyError(with_context(where, quote(m.dir / "SHA256SUMS") +
                                                  " is not the one imported (registry digest " + m.digest + ")"));
    std::string bytes = read_file(m.dir / "model.pt", std::size_t(4) << 30);
    std::string want = "  model.pt\n";
    auto at = sums.find(want);
    if (at == std::string::npos || at < 64 || sums.substr(at - 64, 64) != sha256_hex(bytes))
        throw VerifyError(with_context(where, quote(m.dir / "model.pt") + " no longer matches its SHA256SUMS"));
    return load_torchscript(bytes, m.name + "@" + m.version);
}

namespace {

// Stage 1 (a thread with its own read-only connection): the next items after the cursor, as rows
// of the model's input; items that cannot be scored are set aside with the reason.
struct FeatureBatch {
    Matrix input;
    std::vector<std::int64_t> ids;                               ///< item of each input row
    std::vector<std::pair<std::int64_t, std::string>> rejected;  ///< item, why
    std::vector<std::pair<std::int64_t, std::size_t>> missing;   ///< item, the field it was set aside for
    std::int64_t last_id = 0;                                    ///< the cursor after this batch
    std::size_t consumed = 0;                                    ///< items read (scored, rejected or not this model's)
};

// A shadow version's answers for a run of consecutive items of a batch, as the row of
// shadow_answers that stores them (schemas/store-v10.sql): built on the forward thread, so that the
// writer, score's bottleneck, has one row to insert.
struct ShadowRow {
    std::int64_t first_item = 0, last_item = 0;
    std::int64_t answers = 0, failed = 0;  ///< failed: answered with NaN or infinity
    std::string body;                      ///< the JSON array of its answers
};

// Stage 2 (a second thread): the forward pass and its interpretation.
struct ScoredBatch {
    FeatureBatch features;
    std::vector<Prediction> predictions;     ///< one per features.ids
    std::vector<std::string> probabilities;  ///< JSON text, or "" for none
    std::vector<std::size_t> rows;           ///< per prediction: its row of features.input
    std::vector<ShadowRow> shadow;           ///< the rows of features.input, when there is a shadow
};

// A shadow version takes the active version's input as it is, but for its own standardisation:
// each column's value goes back to the record's value and into the shadow's (value - mean) / std,
// as one multiply and add.
class Restandardise {
  public:
    Restandardise(const ModelSpec& active, const ModelSpec& shadow) {
        if (active.input_kind != InputKind::features) return;
        for (std::size_t i = 0; i < active.fields.size(); ++i) {
            double sa = active.std.empty() ? 1 : active.std[i], ma = active.mean.empty() ? 0 : active.mean[i];
            double ss = shadow.std.empty() ? 1 : shadow.std[i], ms = shadow.mean.empty() ? 0 : shadow.mean[i];
            scale_.push_back(sa / ss);
            offset_.push_back((ma - ms) / ss);
            same_ = same_ && scale_.back() == 1 && offset_.back() == 0;
        }
    }

    /// The shadow's input for `input`: `input` itself when nothing changes, else `buffer` filled.
    const Matrix& operator()(const Matrix& input, Matrix& buffer) const {
        if (same_) return input;
        buffer.rows = input.rows;
        buffer.cols = input.cols;
        buffer.shape = input.shape;
        buffer.values.resize(input.values.size());
        for (std::size_t r = 0; r < input.rows; ++r) {
            const float* in = input.row(r);
            float* out = buffer.values.data() + r * input.cols;
            for (std::size_t c = 0; c < input.cols; ++c)
                out[c] = static_cast<float>(double(in[c]) * scale_[c] + offset_[c]);
        }
        return buffer;
    }

  private:
    std::vector<double> scale_, offset_;
    bool same_ = true;
};

class ItemReader {
  public:
    ItemReader(const Store& store, const ActiveModel& m, std::int64_t cursor, std::int64_t limit, std::size_t batch,
               const Clock& clock, std::chrono::steady_clock::time_point deadline, std::atomic<bool>& out_of_time,
               const std::atomic<bool>* stop)
        : store_(store), db_(Db::open_reader(store.root() / "edgectl.db")), spec_(m.spec), features_(m.spec),
          cursor_(cursor), budget_(limit > 0 ? limit : INT64_MAX), batch_(score_batch_items(m.spec, batch)),
          clock_(clock), deadline_(deadline), out_of_time_(out_of_time), stop_(stop),
          next_(db_, "SELECT it.id, it.ingest_id, it.payload, it.image, " +
                         std::string(m.spec.sources.empty() ? "''" : "g.name") + " FROM items it " +
                         (m.spec.sources.empty() ? "" : "JOIN ingests g ON g.id = it.ingest_id ") +
                         "WHERE it.id > ? AND it.id <= ? AND it." + std::string(items_of_kind(m.spec)) +
                         " ORDER BY it.id LIMIT ?"),
          columns_(db_, "SELECT columns FROM ingests WHERE id = ?"), last_(db_, "SELECT max(id) FROM items") {}

    bool fill(FeatureBatch& b) {
        if (budget_ <= 0) return false;
        if (clock_.steady() >= deadline_ || (stop_ && stop_->load())) {
            out_of_time_ = true;
            return false;
        }
        const std::size_t width = spec_.input_width();
        const auto wanted = std::min<std::int64_t>(budget_, std::int64_t(batch_));
        b.input = Matrix{0, width, {}, spec_.input_shape()};
        b.input.values.resize(std::size_t(wanted) * width);
        b.ids.clear();
        b.rejected.clear();
        b.missing.clear();
        b.consumed = 0;
        // The newest item first, then the items up to it: ingest gives ids (next_row_id) inside its
        // write transaction, which SQLite serialises, so every item at or below the newest visible
        // one is visible too. When fewer than asked come back, none of this model's kind is left up
        // to it, and the cursor moves there: the items of the other kind after this model's last
        // one are not read again at every run.
        last_.step();
        const std::int64_t newest = last_.column_is_null(0) ? 0 : last_.column_int(0);
        last_.reset();
        const std::int64_t from = cursor_;
        next_.bind(1, cursor_).bind(2, newest).bind(3, wanted);
        while (next_.step()) {
            ++b.consumed;
            std::int64_t id = next_.column_int(0);
            cursor_ = id;
            if (!spec_.sources.empty() && !spec_.takes_source(next_.column_view(4))) continue;
            float* row = b.input.values.data() + b.input.rows * width;
            auto extracted = spec_.input_kind == InputKind::image
                                 ? stored_frame_input(store_, spec_, next_.column_view(2), next_.column_view(3), row)
                                 : record_input(next_.column_int(1), next_.column_view(2), row);
            if (!extracted) {
                b.rejected.emplace_back(id, extracted.error());
                if (spec_.input_kind == InputKind::features)
                    if (auto field = features_.failed_field()) b.missing.emplace_back(id, *field);
                continue;
            }
            ++b.input.rows;
            b.ids.push_back(id);
        }
        next_.reset();
        if (std::int64_t(b.consumed) < wanted) cursor_ = std::max(cursor_, newest);
        b.input.values.resize(b.input.rows * width);
        b.last_id = cursor_;
        budget_ -= std::int64_t(b.consumed);
        return b.consumed > 0 || cursor_ > from;
    }

  private:
    using Layout = FeatureExtractor::Layout;

    Result<> record_input(std::int64_t ingest, std::string_view payload, float* row) {
        const Layout* layout = layout_of(ingest);
        return layout ? features_.extract(payload, *layout, row) : features_.extract(payload, row);
    }

    // Array payloads (CSV records) are read through their ingest's columns; nullptr: an object.
    const Layout* layout_of(std::int64_t ingest) {
        auto it = layouts_.find(ingest);
        if (it == layouts_.end()) {
            if (layouts_.size() >= 1024) layouts_.clear();
            std::optional<Layout> layout;
            columns_.bind(1, ingest);
            if (columns_.step() && !columns_.column_is_null(0)) layout = features_.layout(columns_.column_view(0));
            columns_.reset();
            it = layouts_.emplace(ingest, std::move(layout)).first;
        }
        return it->second ? &*it->second : nullptr;
    }

    const Store& store_;
    Db db_;
    const ModelSpec& spec_;
    FeatureExtractor features_;
    std::int64_t cursor_, budget_;
    std::size_t batch_;
    const Clock& clock_;
    std::chrono::steady_clock::time_point deadline_;
    std::atomic<bool>& out_of_time_;
    const std::atomic<bool>* stop_;
    Statement next_, columns_, last_;
    std::map<std::int64_t, std::optional<Layout>> layouts_;
};

// Scores one model version: stage 1 reads, stage 2 runs the model (and its shadow, on the same
// input), and this thread, alone on the store's write connection, writes insights, shadow answers,
// quarantine rows and the cursor in the same transactions, so a killed run resumes exactly after
// its last commit.
class ModelScorer {
  public:
    ModelScorer(Store& store, const ActiveModel& m, std::optional<ActiveModel> shadow, const ScoreOptions& o,
                const Clock& clock)
        : store_(store), db_(store.db()), m_(m), shadow_(std::move(shadow)), o_(o), clock_(clock),
          add_insight_(
              db_, "INSERT INTO insights (id, item_id, model, model_version, label, score, probabilities, "
                   "anomaly, scored_at, model_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
          add_quarantine_(
              db_, "INSERT INTO quarantine (id, stage, source, line, source_key, item_id, model, model_version, "
                   "reason, created_at) SELECT ?, 'score', g.name, it.line, f.digest || ':' || it.ordinal, it.id, "
                   "?, ?, ?, ? FROM items it JOIN ingests g ON g.id = it.ingest_id "
                   "JOIN sources f ON f.id = it.source_id WHERE it.id = ? ON CONFLICT DO NOTHING"),
          progress_(db_, "INSERT INTO score_progress (model, model_version, last_item_id) VALUES (?, ?, ?) "
                         "ON CONFLICT (model, model_version) DO UPDATE SET last_item_id = excluded.last_item_id"),
          add_shadow_(db_, "INSERT INTO shadow_answers (id, answers, first_item_id, last_item_id, model, "
                           "model_version, active_version, scored_at, model_digest, body) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
          drift_(db_, m.spec, m.name, m.version) {
        result_.name = m.name;
        result_.version = m.version;
        if (shadow_) {
            if (auto ok = shadow_compatible(m.spec, shadow_->spec); !ok) {
                log::warning("shadow " + m.name + "@" + shadow_->version + " does not score beside " + m.name + "@" +
                             m.version + ": " + ok.error() + " (see 'edgectl models shadow')");
                shadow_.reset();
            } else {
                result_.shadow_version = shadow_->version;
                restandardise_.emplace(m.spec, shadow_->spec);
            }
        }
        Statement cursor(db_, "SELECT last_item_id FROM score_progress WHERE model = ? AND model_version = ?");
        cursor.bind(1, m.name).bind(2, m.version);
        cursor_ = cursor.step() ? cursor.column_int(0) : 0;
        Statement any(db_, "SELECT EXISTS (SELECT 1 FROM items WHERE id > ? AND " + std::string(items_of_kind(m.spec)) +
                               ")");
        any.bind(1, cursor_).step();
        has_work_ = any.column_int(0) == 1;
    }

    /// Scores until done, the limit, or the deadline (checked at batch boundaries).
    ModelScoreResult run(std::chrono::steady_clock::time_point deadline, bool& out_of_time) {
        if (!has_work()) return result_;  // a cron run with nothing new never loads the model
        model_ = o_.load_model ? o_.load_model(m_) : load_installed(m_);
        if (shadow_) shadow_model_ = o_.load_model ? o_.load_model(*shadow_) : load_installed(*shadow_);
        std::atomic<bool> late = false;
        ItemReader reader(store_, m_, cursor_, o_.limit, o_.batch, clock_, deadline, late, o_.stop);
        // A batch of frames is megabytes: fewer of them circulate.
        const std::size_t depth = m_.spec.input_kind == InputKind::image ? 2 : 8;
        Pipeline<FeatureBatch> read([&reader](FeatureBatch& b) { return reader.fill(b); }, depth);
        Pipeline<ScoredBatch> forward([&](ScoredBatch& b) { return run_model(read, b); }, depth);
        std::optional<Transaction> tx;
        std::size_t in_tx = 0;
        log::Progress shown("score " + m_.name + "@" + m_.version, "items", pending());
        while (ScoredBatch* b = forward.take()) {
            if (!tx) begin(tx);
            write(*b);
            shown.advance(b->features.consumed);
            if ((in_tx += b->features.consumed) >= o_.commit_rows) {
                commit(tx);
                in_tx = 0;
            }
        }
        if (tx) commit(tx);
        out_of_time = out_of_time || late;
        return result_;
    }

    /// True when an item after this version's cursor waited for it when the run began.
    bool has_work() const { return has_work_; }

  private:
    // Opens a transaction; ids are given here, above every id ever used (next_row_id): this run
    // holds the write lock until the commit.
    void begin(std::optional<Transaction>& tx) {
        tx.emplace(db_, "score.insights");
        next_insight_ = next_row_id(db_, RowTable::insights);
        next_quarantine_ = next_row_id(db_, RowTable::quarantine);
        if (shadow_) next_shadow_ = next_row_id(db_, RowTable::shadow_insights);
    }

    // The open drift window's counts go with the cursor: written once a transaction, not a batch.
    void commit(std::optional<Transaction>& tx) {
        drift_.save();
        tx->commit();
        tx.reset();
        if (o_.on_commit) o_.on_commit();
    }

    // Items after the cursor (within --limit), for the progress line only: counting costs a scan.
    std::uint64_t pending() {
        if (!log::progress_enabled()) return 0;
        Statement count(db_, "SELECT count(*) FROM items WHERE id > ? AND " + std::string(items_of_kind(m_.spec)));
        count.bind(1, cursor_).step();
        std::int64_t n = count.column_int(0);
        return std::uint64_t(o_.limit > 0 ? std::min(n, o_.limit) : n);
    }

    bool run_model(Pipeline<FeatureBatch>& read, ScoredBatch& b) {
        FeatureBatch* f = read.take();
        if (!f) return false;
        std::swap(b.features, *f);
        b.predictions.clear();
        b.probabilities.clear();
        b.rows.clear();
        b.shadow.clear();
        if (b.features.input.rows == 0) return true;
        Matrix output = forward(*model_, m_, b.features.input);
        if (shadow_) run_shadow(b);
        // An item the model answers with NaN or infinity has no score to store: it is set aside for
        // this version with the reason, like an item it cannot read.
        std::size_t kept = 0;
        for (std::size_t r = 0; r < b.features.ids.size(); ++r) {
            Prediction p = interpret(m_.spec, output.row(r));
            if (auto storable = check_storable(p); !storable) {
                b.features.rejected.emplace_back(b.features.ids[r], storable.error());
                continue;
            }
            b.features.ids[kept++] = b.features.ids[r];
            b.rows.push_back(r);
            b.probabilities.push_back(p.probabilities.empty() ? std::string() : Json(p.probabilities).dump());
            b.predictions.push_back(std::move(p));
        }
        b.features.ids.resize(kept);
        return true;
    }

    static Matrix forward(Model& model, const ActiveModel& m, const Matrix& input) {
        Matrix output = model.forward(input);
        if (output.cols != m.spec.output_width())
            throw VerifyError("model " + m.name + "@" + m.version + " returns " + std::to_string(output.cols) +
                              " values per item; its " + std::string(to_string(m.spec.output_kind)) +
                              " contract needs " + std::to_string(m.spec.output_width()));
        return output;
    }

    // The shadow's answers for every row the active version was given (before its own NaN answers
    // are set aside): the same items, the same decoded input. They are written out here, on this
    // thread, as the JSON the store keeps them in, shadow_answers_per_row to a row.
    void run_shadow(ScoredBatch& b) {
        const Matrix& input = (*restandardise_)(b.features.input, shadow_input_);
        Matrix output = forward(*shadow_model_, *shadow_, input);
        const auto& ids = b.features.ids;
        for (std::size_t r = 0; r < ids.size(); ++r) {
            if (r % shadow_answers_per_row == 0) {
                ShadowRow& row = b.shadow.emplace_back();
                row.first_item = row.last_item = ids[r];
                row.body = "[";
            }
            ShadowRow& row = b.shadow.back();
            row.body += row.answers ? ",[" : "[";
            append_json_integer(row.body, ids[r]);
            Prediction p = interpret(shadow_->spec, output.row(r));
            if (auto storable = check_storable(p); !storable) {
                row.body += ",null,null,null,null,";
                append_json_text(row.body, storable.error());
                ++row.failed;
            } else {
                row.body += ',';
                if (p.label)
                    append_json_text(row.body, *p.label);
                else
                    row.body += "null";
                row.body += ',';
                append_real(row.body, p.score);
                row.body += p.anomaly ? ",1," : ",0,";
                row.body += p.probabilities.empty() ? "null" : Json(p.probabilities).dump();
            }
            row.body += ']';
            // The span purge keeps for the row (a batch's items come in id order; this does not rely on it).
            row.first_item = std::min(row.first_item, ids[r]);
            row.last_item = std::max(row.last_item, ids[r]);
            ++row.answers;
        }
        for (ShadowRow& row : b.shadow)
            row.body += ']';
    }

    // The shortest text that reads back as the same double, always with a fraction or an exponent,
    // so that the store reads it back as a REAL.
    static void append_real(std::string& out, double n) {
        char text[32];
        auto [end, ec] = std::to_chars(text, text + sizeof text, n);
        (void)ec;
        out.append(text, end);
        if (std::find_if(text, end, [](char c) { return c == '.' || c == 'e'; }) == end) out += ".0";
    }

    void add_shadows(const std::vector<ShadowRow>& rows, const std::string& now) {
        for (const ShadowRow& row : rows) {
            add_shadow_.bind(1, next_shadow_).bind(2, row.answers).bind(3, row.first_item).bind(4, row.last_item);
            add_shadow_.bind_static(5, m_.name).bind_static(6, shadow_->version).bind_static(7, m_.version);
            add_shadow_.bind_static(8, now).bind_static(9, shadow_->digest).bind_static(10, row.body).run();
            next_shadow_ += row.answers;
            result_.shadow_scored += row.answers;
            result_.shadow_failed += row.failed;
        }
    }

    void write(const ScoredBatch& b) {
        std::string now = format_utc(clock_.wall());
        for (const auto& [id, why] : b.features.rejected) {
            add_quarantine_.bind(1, next_quarantine_++).bind(2, m_.name).bind(3, m_.version).bind(4, why).bind(5, now);
            add_quarantine_.bind(6, id).run();
            ++result_.quarantined;
        }
        // Every bound text outlives its row's step (the batch is ours until the next take()).
        for (std::size_t r = 0; r < b.predictions.size(); ++r) {
            in_context("cannot store the insight of " + m_.name + "@" + m_.version + " for item " +
                           std::to_string(b.features.ids[r]),
                       [&] { add_insight(b, r, now); });
        }
        if (!b.shadow.empty())
            in_context("cannot store the answers of shadow " + m_.name + "@" + shadow_->version + " for items " +
                           std::to_string(b.shadow.front().first_item) + " to " +
                           std::to_string(b.shadow.back().last_item),
                       [&] { add_shadows(b.shadow, now); });
        count_drift(b, now);
        progress_.bind(1, m_.name).bind(2, m_.version).bind(3, b.features.last_id).run();
    }

    // The batch's items, in item order, into the drift window: scored ones with their input and
    // prediction, and those set aside for a field's value.
    void count_drift(const ScoredBatch& b, const std::string& now) {
        const auto& ids = b.features.ids;
        const auto& missing = b.features.missing;
        for (std::size_t r = 0, k = 0; r < ids.size() || k < missing.size();) {
            if (k == missing.size() || (r < ids.size() && ids[r] < missing[k].first)) {
                drift_.scored(ids[r], b.features.input.row(b.rows[r]), b.predictions[r], now);
                ++r;
            } else {
                drift_.missing(missing[k].first, missing[k].second, now);
                ++k;
            }
        }
        result_.drift_windows = drift_.closed();
        result_.drift_flagged = drift_.flagged();
    }

    void add_insight(const ScoredBatch& b, std::size_t r, const std::string& now) {
        const Prediction& p = b.predictions[r];
        add_insight_.bind(1, next_insight_++).bind(2, b.features.ids[r]).bind_static(3, m_.name);
        add_insight_.bind_static(4, m_.version);
        if (p.label)
            add_insight_.bind_static(5, *p.label);
        else
            add_insight_.bind(5, std::nullopt);
        add_insight_.bind(6, p.score);
        if (b.probabilities[r].empty())
            add_insight_.bind(7, std::nullopt);
        else
            add_insight_.bind_static(7, b.probabilities[r]);
        add_insight_.bind(8, p.anomaly ? 1 : 0).bind_static(9, now).bind_static(10, m_.digest).run();
        ++result_.scored;
        result_.anomalies += p.anomaly;
    }

    Store& store_;
    Db& db_;
    const ActiveModel& m_;
    std::optional<ActiveModel> shadow_;
    const ScoreOptions& o_;
    const Clock& clock_;
    std::unique_ptr<Model> model_, shadow_model_;
    std::optional<Restandardise> restandardise_;
    Matrix shadow_input_;  // the forward stage's: the shadow's input when its standardisation differs
    // 64 answers of the sample model make a row of about 6 KB: one page of the store, and one
    // export row well within the smallest volume.
    static constexpr std::size_t shadow_answers_per_row = 64;
    Statement add_insight_, add_quarantine_, progress_, add_shadow_;
    DriftMonitor drift_;
    std::int64_t cursor_ = 0;
    std::int64_t next_insight_ = 0, next_quarantine_ = 0, next_shadow_ = 0;
    bool has_work_ = false;
    ModelScoreResult result_;
};

}  // namespace

bool ScoreResult::partial() const {
    for (const auto& m : models)
        if (m.quarantined > 0) return true;
    return false;
}

ScoreResult score(Store& store, const StoreLock& lock, const ScoreOptions& o) {
    lock.require("score");
    require(o.batch >= 1 && o.batch <= 65536, "--batch must be between 1 and 65536", Exit::usage);
    require(o.threads >= 1 && o.threads <= 256, "--threads must be between 1 and 256", Exit::usage);
    if (!o.load_model) set_inference_threads(o.threads);
    // Insights are recomputed exactly if a power cut undoes the last commits: no need to wait for
    // the disk at each one (a killed process loses nothing either way).
    store.db().set_synchronous(Db::Sync::normal);
    // Read the active versions once: an activation during this run takes effect on the next.
    auto models = active_models(store, o.model);
    if (models.empty()) log::warning("no active model: import one with 'edgectl import-model PACKAGE --activate'");
    ScoreResult result;
    const Clock& clock = o.clock ? *o.clock : system_clock();
    auto deadline = deadline_after(clock, o.time_budget);
    std::vector<std::unique_ptr<ModelScorer>> scorers;
    scorers.reserve(models.size());
    for (const auto& m : models)
        scorers.push_back(std::make_unique<ModelScorer>(store, m, shadow_of(store, m), o, clock));
    // LibTorch loads (~0.4 s) on another thread while the model files are read and checked.
    bool torch = !o.load_model;
    if (torch && std::any_of(scorers.begin(), scorers.end(), [](auto& s) { return s->has_work(); })) preload_torch();
    for (std::size_t i = 0; i < models.size(); ++i) {
        const auto& m = models[i];
        if (o.stop && o.stop->load()) {  // asked to stop: the next models are not even loaded
            result.out_of_time = result.out_of_time || scorers[i]->has_work();
            continue;
        }
        result.models.push_back(scorers[i]->run(deadline, result.out_of_time));
        log::debug("scored with " + m.name + "@" + m.version);
    }
    return result;
}

Json to_json(const ScoreResult& r) {
    Json models = Json::array();
    for (const auto& m : r.models)
        models.push_back({{"model", m.name},
                          {"version", m.version},
                          {"scored", m.scored},
                          {"anomalies", m.anomalies},
                          {"quarantined", m.quarantined},
                          {"drift_windows", m.drift_windows},
                          {"drift_flagged", m.drift_flagged},
                          {"shadow", m.shadow_version.empty() ? Json() : Json(m.shadow_version)},
                          {"shadow_scored", m.shadow_scored},
                          {"shadow_failed", m.shadow_failed}});
    return {{"models", models}, {"out_of_time", r.out_of_time}};
}

}  // namespace edgectl
