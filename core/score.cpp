#include "score.hpp"

#include "error.hpp"
#include "features.hpp"
#include "log.hpp"
#include "model.hpp"
#include "registry.hpp"
#include "sha256.hpp"

#include <chrono>
#include <optional>

namespace edgectl {
namespace {

// Loads an installed model, re-checking model.pt against the digest recorded at import: files
// under models/ are immutable, so a difference means they were tampered with or damaged.
std::unique_ptr<Model> load_installed(const ActiveModel& m) {
    std::string bytes = read_file(m.dir / "model.pt", std::size_t(4) << 30);
    std::string sums = read_file(m.dir / "SHA256SUMS");
    std::string want = "  model.pt\n";
    auto at = sums.find(want);
    if (at == std::string::npos || at < 64 || sums.substr(at - 64, 64) != sha256_hex(bytes))
        throw VerifyError("installed model " + m.name + "@" + m.version + " is damaged: '" +
                          (m.dir / "model.pt").string() + "' no longer matches its SHA256SUMS");
    return load_torchscript(bytes, m.name + "@" + m.version);
}

struct Pending {
    std::int64_t item_id;
    std::string source, source_key;
    std::int64_t line;
};

class ModelScorer {
public:
    ModelScorer(Store& store, const ActiveModel& m, const ScoreOptions& o)
        : db_(store.db()), m_(m), o_(o), model_(load_installed(m)), features_(m.spec),
          next_(db_, "SELECT id, source, source_key, line, payload FROM items WHERE id > ? ORDER BY id LIMIT ?"),
          add_insight_(db_, "INSERT INTO insights (item_id, model, model_version, label, score, probabilities, anomaly, "
                            "scored_at, model_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
          add_quarantine_(db_, "INSERT INTO quarantine (stage, source, line, source_key, item_id, model, model_version, "
                               "reason, created_at) VALUES ('score', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
          progress_(db_, "INSERT INTO score_progress (model, model_version, last_item_id) VALUES (?, ?, ?) "
                         "ON CONFLICT (model, model_version) DO UPDATE SET last_item_id = excluded.last_item_id") {
        result_.name = m.name;
        result_.version = m.version;
        Statement cursor(db_, "SELECT last_item_id FROM score_progress WHERE model = ? AND model_version = ?");
        cursor.bind(1, m.name).bind(2, m.version);
        cursor_ = cursor.step() ? cursor.column_int(0) : 0;
    }

    /// Scores until done, the limit, or the deadline (checked at batch boundaries); returns true
    /// when it stopped for the deadline.
    ModelScoreResult run(std::chrono::steady_clock::time_point deadline, bool& out_of_time) {
        std::optional<Transaction> tx;
        std::size_t in_tx = 0;
        std::int64_t budget = o_.limit > 0 ? o_.limit : INT64_MAX;
        while (budget > 0) {
            if (std::chrono::steady_clock::now() >= deadline) {
                out_of_time = true;
                break;
            }
            if (!tx) tx.emplace(db_);
            std::size_t n = score_batch(std::size_t(std::min<std::int64_t>(budget, std::int64_t(o_.batch))));
            if (n == 0) break;
            budget -= std::int64_t(n);
            if ((in_tx += n) >= o_.commit_rows) {
                tx->commit();
                tx.reset();
                in_tx = 0;
            }
        }
        if (tx) tx->commit();
        return result_;
    }

private:
    // Scores the next batch of items after the cursor; returns how many items it consumed.
    std::size_t score_batch(std::size_t size) {
        const std::size_t width = m_.spec.fields.size();
        Matrix input{0, width, {}};
        input.values.reserve(size * width);
        std::vector<Pending> rows;
        std::string now = now_utc();
        std::size_t consumed = 0;
        next_.bind(1, cursor_).bind(2, std::int64_t(size));
        while (next_.step()) {
            ++consumed;
            Pending p{next_.column_int(0), next_.column_text(1), next_.column_text(2), next_.column_int(3)};
            cursor_ = p.item_id;
            input.values.resize((input.rows + 1) * width);
            std::string why = features_.extract(next_.column_view(4), input.values.data() + input.rows * width);
            if (!why.empty()) {
                input.values.resize(input.rows * width);
                quarantine(p, why, now);
                continue;
            }
            ++input.rows;
            rows.push_back(std::move(p));
        }
        next_.reset();
        if (consumed == 0) return 0;
        if (input.rows > 0) write_insights(rows, model_->forward(input), now);
        progress_.bind(1, m_.name).bind(2, m_.version).bind(3, cursor_).run();
        return consumed;
    }

    void write_insights(const std::vector<Pending>& rows, const Matrix& output, const std::string& now) {
        if (output.cols != m_.spec.output_width())
            throw VerifyError("model " + m_.name + "@" + m_.version + " returns " + std::to_string(output.cols) +
                              " values per item; its " + m_.spec.output_kind + " contract needs " +
                              std::to_string(m_.spec.output_width()));
        for (std::size_t r = 0; r < rows.size(); ++r) {
            Prediction p = interpret(m_.spec, output.row(r));
            add_insight_.bind(1, rows[r].item_id).bind(2, m_.name).bind(3, m_.version).bind(4, p.label);
            add_insight_.bind(5, p.score);
            if (p.probabilities.empty()) add_insight_.bind(6, std::nullopt);
            else add_insight_.bind(6, Json(p.probabilities).dump());
            add_insight_.bind(7, p.anomaly ? 1 : 0).bind(8, now).bind(9, m_.digest).run();
            ++result_.scored;
            result_.anomalies += p.anomaly;
        }
    }

    void quarantine(const Pending& p, const std::string& why, const std::string& now) {
        add_quarantine_.bind(1, p.source).bind(2, p.line).bind(3, p.source_key).bind(4, p.item_id);
        add_quarantine_.bind(5, m_.name).bind(6, m_.version).bind(7, why).bind(8, now).run();
        ++result_.quarantined;
    }

    Db& db_;
    const ActiveModel& m_;
    const ScoreOptions& o_;
    std::unique_ptr<Model> model_;
    FeatureExtractor features_;
    Statement next_, add_insight_, add_quarantine_, progress_;
    std::int64_t cursor_ = 0;
    ModelScoreResult result_;
};

} // namespace

bool ScoreResult::partial() const {
    for (const auto& m : models)
        if (m.quarantined > 0) return true;
    return false;
}

ScoreResult score(Store& store, const ScoreOptions& o) {
    require(o.batch >= 1 && o.batch <= 65536, "--batch must be between 1 and 65536", Exit::usage);
    require(o.threads >= 1 && o.threads <= 256, "--threads must be between 1 and 256", Exit::usage);
    set_inference_threads(o.threads);
    // Read the active versions once: an activation during this run takes effect on the next.
    auto models = active_models(store, o.model);
    if (models.empty()) log::warning("no active model: import one with 'edgectl import-model PACKAGE --activate'");
    ScoreResult result;
    auto deadline = o.time_budget > 0
                        ? std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                                 std::chrono::duration<double>(o.time_budget))
                        : std::chrono::steady_clock::time_point::max();
    for (const auto& m : models) {
        result.models.push_back(ModelScorer(store, m, o).run(deadline, result.out_of_time));
        log::debug("scored with " + m.name + "@" + m.version);
    }
    return result;
}

Json to_json(const ScoreResult& r) {
    Json models = Json::array();
    for (const auto& m : r.models)
        models.push_back({{"model", m.name}, {"version", m.version}, {"scored", m.scored},
                          {"anomalies", m.anomalies}, {"quarantined", m.quarantined}});
    return {{"models", models}, {"out_of_time", r.out_of_time}};
}

} // namespace edgectl
