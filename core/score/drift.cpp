#include "score/drift.hpp"

#include "util/error.hpp"
#include "util/ndjson.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

namespace edgectl {
namespace {

constexpr double share_floor = 1e-4;

std::vector<double> shares(const std::vector<std::int64_t>& counts) {
    double total = double(std::accumulate(counts.begin(), counts.end(), std::int64_t(0)));
    std::vector<double> out(counts.size(), 0.0);
    if (total > 0)
        for (std::size_t i = 0; i < counts.size(); ++i)
            out[i] = double(counts[i]) / total;
    return out;
}

std::string fixed(double value) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(3) << value;
    return out.str();
}

double rounded(double value) { return std::round(value * 1e6) / 1e6; }

}  // namespace

double population_stability_index(const std::vector<double>& expected, const std::vector<std::int64_t>& observed) {
    if (std::accumulate(observed.begin(), observed.end(), std::int64_t(0)) == 0) return 0;
    std::vector<double> a = shares(observed);
    double psi = 0;
    for (std::size_t i = 0; i < a.size() && i < expected.size(); ++i) {
        double o = std::max(a[i], share_floor), e = std::max(expected[i], share_floor);
        psi += (o - e) * std::log(o / e);
    }
    return psi;
}

double jensen_shannon_distance(const std::vector<double>& expected, const std::vector<std::int64_t>& observed) {
    if (std::accumulate(observed.begin(), observed.end(), std::int64_t(0)) == 0) return 0;
    std::vector<double> q = shares(observed);
    double divergence = 0;
    for (std::size_t i = 0; i < q.size() && i < expected.size(); ++i) {
        double p = expected[i], m = (p + q[i]) / 2;
        if (p > 0) divergence += 0.5 * p * std::log2(p / m);
        if (q[i] > 0) divergence += 0.5 * q[i] * std::log2(q[i] / m);
    }
    return std::sqrt(std::max(divergence, 0.0));
}

DriftCounts DriftCounts::empty(const DriftReference& ref) {
    DriftCounts c;
    for (const auto& bins : ref.features)
        c.features.emplace_back(bins.fractions.size(), 0);
    c.missing.assign(ref.features.size(), 0);
    c.predictions.assign(ref.scores ? ref.scores->fractions.size() : ref.labels.size(), 0);
    return c;
}

Json DriftCounts::to_json() const {
    return {{"items", items}, {"features", features}, {"missing", missing}, {"predictions", predictions}};
}

DriftCounts DriftCounts::from_json(const Json& j, const DriftReference& ref) {
    DriftCounts c = empty(ref), stored;
    try {
        stored.items = j.at("items").get<std::int64_t>();
        stored.features = j.at("features").get<std::vector<std::vector<std::int64_t>>>();
        stored.missing = j.at("missing").get<std::vector<std::int64_t>>();
        stored.predictions = j.at("predictions").get<std::vector<std::int64_t>>();
    } catch (const Json::exception& e) {
        throw Error(std::string("a drift window's stored counts are damaged: ") + e.what());
    }
    bool fits = stored.features.size() == c.features.size() && stored.missing.size() == c.missing.size() &&
                stored.predictions.size() == c.predictions.size();
    for (std::size_t i = 0; fits && i < c.features.size(); ++i)
        fits = stored.features[i].size() == c.features[i].size();
    if (!fits) throw Error("a drift window's stored counts do not fit its model's reference");
    return stored;
}

DriftIndices drift_indices(const ModelSpec& spec, const DriftCounts& counts) {
    const DriftReference& ref = *spec.reference;
    DriftIndices d;
    for (std::size_t i = 0; i < ref.features.size(); ++i) {
        const Bins& bins = ref.features[i];
        // Missing values are a bin of their own, so that a surge of them moves the index too.
        std::vector<double> expected;
        for (double f : bins.fractions)
            expected.push_back(f * (1 - bins.missing));
        expected.push_back(bins.missing);
        std::vector<std::int64_t> observed = counts.features[i];
        observed.push_back(counts.missing[i]);
        double psi = population_stability_index(expected, observed);
        d.feature_psi.push_back(psi);
        d.missing.push_back(counts.items > 0 ? double(counts.missing[i]) / double(counts.items) : 0.0);
        d.psi_max = std::max(d.psi_max, psi);
        if (psi > ref.psi_threshold)
            d.flags.push_back(spec.fields[i] + ": PSI " + fixed(psi) + " > " + fixed(ref.psi_threshold));
    }
    if (ref.scores) {
        d.scores_psi = population_stability_index(ref.scores->fractions, counts.predictions);
        if (*d.scores_psi > ref.psi_threshold)
            d.flags.push_back("scores: PSI " + fixed(*d.scores_psi) + " > " + fixed(ref.psi_threshold));
    } else {
        d.labels_js = jensen_shannon_distance(ref.labels, counts.predictions);
        if (*d.labels_js > ref.js_threshold)
            d.flags.push_back("labels: Jensen-Shannon distance " + fixed(*d.labels_js) + " > " +
                              fixed(ref.js_threshold));
    }
    return d;
}

Json DriftIndices::to_json(const ModelSpec& spec) const {
    Json features = Json::object(), missing_shares = Json::object();
    for (std::size_t i = 0; i < feature_psi.size(); ++i) {
        features[spec.fields[i]] = rounded(feature_psi[i]);
        missing_shares[spec.fields[i]] = rounded(missing[i]);
    }
    Json j = {{"psi", features}, {"missing", missing_shares}, {"psi_max", rounded(psi_max)}, {"flags", flags}};
    if (labels_js) j["labels_js"] = rounded(*labels_js);
    if (scores_psi) j["scores_psi"] = rounded(*scores_psi);
    return j;
}

DriftMonitor::DriftMonitor(Db& db, const ModelSpec& spec, std::string model, std::string version)
    : db_(db), spec_(spec), model_(std::move(model)), version_(std::move(version)) {
    if (!spec.reference) return;
    for (std::size_t i = 0; i < spec.reference->features.size(); ++i) {
        std::vector<float> edges;
        for (double e : spec.reference->features[i].edges) {
            // The edge as the model's input would hold it: standardised, then float32, so that a value
            // on an edge falls in the bin above it, as in the reference.
            auto input = standardise(spec, i, e);
            edges.push_back(input ? *input : (e > 0 ? INFINITY : -INFINITY));
        }
        edges_.push_back(std::move(edges));
    }
    Statement open(db_, "SELECT id, first_item_id, last_item_id, counts, opened_at FROM drift_windows "
                        "WHERE model = ? AND model_version = ? AND closed_at IS NULL");
    open.bind(1, model_).bind(2, version_);
    if (open.step()) {
        id_ = open.column_int(0);
        first_ = open.column_int(1);
        last_ = open.column_int(2);
        auto counts = parse_json(open.column_view(3));
        if (!counts) throw Error("the open drift window of " + model_ + "@" + version_ + " is damaged");
        open_ = DriftCounts::from_json(*counts, *spec.reference);
        opened_at_ = open.column_text(4);
    }
}

void DriftMonitor::count(std::int64_t item, const std::string& now) {
    if (!open_) {
        open_ = DriftCounts::empty(*spec_.reference);
        id_ = 0;
        first_ = item;
        opened_at_ = now;
    }
    last_ = item;
    ++open_->items;
    dirty_ = true;
}

void DriftMonitor::scored(std::int64_t item, const float* input, const Prediction& p, const std::string& now) {
    if (!spec_.reference) return;
    count(item, now);
    for (std::size_t i = 0; i < edges_.size(); ++i) {
        const auto& edges = edges_[i];
        ++open_->features[i][std::size_t(std::upper_bound(edges.begin(), edges.end(), input[i]) - edges.begin())];
    }
    const DriftReference& ref = *spec_.reference;
    if (ref.scores) {
        ++open_->predictions[ref.scores->bin(p.score)];
    } else if (p.label) {
        auto at = std::find(spec_.labels.begin(), spec_.labels.end(), *p.label);
        if (at != spec_.labels.end()) ++open_->predictions[std::size_t(at - spec_.labels.begin())];
    }
    if (open_->items >= ref.window) close(now);
}

void DriftMonitor::missing(std::int64_t item, std::size_t field, const std::string& now) {
    if (!spec_.reference || field >= edges_.size()) return;
    count(item, now);
    ++open_->missing[field];
    if (open_->items >= spec_.reference->window) close(now);
}

Statement& DriftMonitor::prepared(std::optional<Statement>& statement, const char* sql) {
    if (!statement) statement.emplace(db_, sql);
    return *statement;
}

void DriftMonitor::save() {
    if (!open_ || !dirty_) return;
    std::string counts = open_->to_json().dump();
    if (id_ == 0) {
        Statement& put = prepared(open_insert_, "INSERT INTO drift_windows (model, model_version, first_item_id, "
                                                "last_item_id, items, counts, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        put.bind(1, model_).bind(2, version_).bind(3, first_).bind(4, last_).bind(5, open_->items);
        put.bind(6, counts).bind(7, opened_at_).run();
        id_ = db_.last_insert_rowid();
    } else {
        Statement& put =
            prepared(open_update_, "UPDATE drift_windows SET last_item_id = ?, items = ?, counts = ? WHERE id = ?");
        put.bind(1, last_).bind(2, open_->items).bind(3, counts).bind(4, id_).run();
    }
    dirty_ = false;
}

// A closed window is a new row, the open one deleted: closed windows' ids follow the order they
// close in, above every id an export may have planned meanwhile.
void DriftMonitor::close(const std::string& now) {
    DriftIndices d = drift_indices(spec_, *open_);
    Statement& put =
        prepared(closed_insert_, "INSERT INTO drift_windows (model, model_version, first_item_id, last_item_id, items, "
                                 "counts, opened_at, closed_at, psi_max, labels_js, scores_psi, flagged, indices) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    put.bind(1, model_).bind(2, version_).bind(3, first_).bind(4, last_).bind(5, open_->items);
    put.bind(6, open_->to_json().dump()).bind(7, opened_at_).bind(8, now).bind(9, d.psi_max);
    if (d.labels_js)
        put.bind(10, *d.labels_js);
    else
        put.bind(10, std::nullopt);
    if (d.scores_psi)
        put.bind(11, *d.scores_psi);
    else
        put.bind(11, std::nullopt);
    put.bind(12, d.flagged() ? 1 : 0).bind(13, d.to_json(spec_).dump()).run();
    if (id_ != 0) { prepared(open_delete_, "DELETE FROM drift_windows WHERE id = ?").bind(1, id_).run(); }
    ++closed_;
    flagged_ += d.flagged();
    open_.reset();
    id_ = 0;
}

std::vector<DriftWindow> drift_windows(Db& db, const std::string& model, std::size_t limit) {
    Statement s(db, "SELECT model, model_version, first_item_id, last_item_id, items, opened_at, "
                    "coalesce(closed_at, ''), coalesce(flagged, 0), indices FROM drift_windows "
                    "WHERE ? = '' OR model = ? ORDER BY closed_at IS NOT NULL, id DESC LIMIT ?");
    s.bind(1, model).bind(2, model).bind(3, limit == 0 ? INT64_MAX : std::int64_t(limit));
    std::vector<DriftWindow> out;
    while (s.step()) {
        DriftWindow w{s.column_text(0), s.column_text(1), s.column_int(2),      s.column_int(3), s.column_int(4),
                      s.column_text(5), s.column_text(6), s.column_int(7) == 1, Json()};
        if (!s.column_is_null(8))
            if (auto indices = parse_json(s.column_view(8))) w.indices = std::move(*indices);
        out.push_back(std::move(w));
    }
    return out;
}

Json to_json(const DriftWindow& w) {
    Json j = {
        {"model", w.model}, {"version", w.version},     {"first_item", w.first_item},     {"last_item", w.last_item},
        {"items", w.items}, {"opened_at", w.opened_at}, {"closed", !w.closed_at.empty()}, {"flagged", w.flagged}};
    if (!w.closed_at.empty()) j["closed_at"] = w.closed_at;
    if (!w.indices.is_null()) j["indices"] = w.indices;
    return j;
}

}  // namespace edgectl
