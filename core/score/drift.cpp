#include "score/drift.hpp"

#include "util/error.hpp"
#include "util/ndjson.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numeric>

// Score counts every item and closes a window every `window` items (100 for the sample model) on
// its writer thread, the one that limits it. So a window's counts and indices go to the store as
// JSON text written straight into reused buffers, not through nlohmann trees, and the open
// window's counts stay allocated from one window to the next. The text is the one nlohmann would
// dump (export, status, the lake and SQL readers parse it; the unit tests compare the two), but
// for a number's digits: the shortest that read back as the same double, where nlohmann's Grisu2
// now and then writes 17.

namespace edgectl {
namespace {

// What a model's drift measures, by name: its reference's (input fields, or frame statistics).
const std::vector<std::string>& measured_names(const ModelSpec& spec) {
    return spec.reference ? spec.reference->names : spec.fields;
}

constexpr double share_floor = 1e-4;

// Population stability index over n bins: expected(k) is bin k's expected share, observed(k) its
// count; `total` the sum of the observed counts (its shares' denominator).
template <class Expected, class Observed>
double psi_over(std::size_t n, std::int64_t total, Expected expected, Observed observed) {
    if (total == 0) return 0;
    double all = double(total), psi = 0;
    for (std::size_t k = 0; k < n; ++k) {
        double o = std::max(double(observed(k)) / all, share_floor), e = std::max(expected(k), share_floor);
        psi += (o - e) * std::log(o / e);
    }
    return psi;
}

std::int64_t sum(const std::vector<std::int64_t>& counts) {
    return std::accumulate(counts.begin(), counts.end(), std::int64_t(0));
}

double rounded(double value) { return std::round(value * 1e6) / 1e6; }

void append_int(std::string& out, std::int64_t value) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

// "0.819": as std::fixed with std::setprecision(3) writes it (both round the exact binary value,
// ties to even).
void append_fixed(std::string& out, double value) {
    char buf[400];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 3).ptr);
}

// The shortest decimal digits that read back as a positive finite value, and where the decimal
// point goes among them: "25" and 0 for 0.25, "15" and 17 for 1.5e16.
struct Decimal {
    std::array<char, 32> digits{};
    int count = 0, point = 0;
};

Decimal shortest(double value) {
    Decimal d;
    // Indices are rounded to 6 decimals. Below 2^29 two numbers of 6 decimals are further apart
    // than an ulp, so such a value's shortest digits are those of the integer value * 1e6, without
    // its trailing zeros: std::to_chars's answer, found without its general algorithm.
    const double scaled = std::round(value * 1e6);
    if (value < 0x1p29 && scaled / 1e6 == value) {
        auto* end = std::to_chars(d.digits.data(), d.digits.data() + d.digits.size(), std::int64_t(scaled)).ptr;
        d.count = int(end - d.digits.data());
        d.point = d.count - 6;
        while (d.digits[std::size_t(d.count - 1)] == '0')
            --d.count;
        return d;
    }
    std::array<char, 32> sci{};  // d[.ddd]e±XX
    const char* end = std::to_chars(sci.data(), sci.data() + sci.size(), value, std::chars_format::scientific).ptr;
    const char* e = std::find(static_cast<const char*>(sci.data()), end, 'e');
    for (const char* p = sci.data(); p < e; ++p)
        if (*p != '.') d.digits[std::size_t(d.count++)] = *p;
    int exponent = 0;
    std::from_chars(e + (e[1] == '+' ? 2 : 1), end, exponent);
    d.point = exponent + 1;
    return d;
}

// A double laid out as nlohmann::json dumps it (its dtoa_impl::format_buffer): "0.0", "2.0",
// "0.25", "0.0001", "1e-05", "1.5e+16", null when not finite. Its digits are the shortest that
// read back as the value, where nlohmann's Grisu2 writes 17 now and then (0.38601799999999997
// for 0.386018): the same double either way.
void append_double(std::string& out, double value) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    if (std::signbit(value)) {
        out += '-';
        value = -value;
    }
    if (value == 0) {
        out += "0.0";
        return;
    }
    const Decimal d = shortest(value);
    const char* digits = d.digits.data();
    const int k = d.count, n = d.point;
    constexpr int max_exp = 15, min_exp = -4;
    if (k <= n && n <= max_exp) {  // digits[000].0
        out.append(digits, std::size_t(k)).append(std::size_t(n - k), '0').append(".0");
    } else if (0 < n && n <= max_exp) {  // dig.its
        out.append(digits, std::size_t(n)).append(1, '.').append(digits + n, std::size_t(k - n));
    } else if (min_exp < n && n <= 0) {  // 0.[000]digits
        out.append("0.").append(std::size_t(-n), '0').append(digits, std::size_t(k));
    } else {  // d[.igits]e±XX, at least two digits in the exponent
        out += digits[0];
        if (k > 1) out.append(1, '.').append(digits + 1, std::size_t(k - 1));
        int x = n - 1;
        out.append(x < 0 ? "e-" : "e+");
        x = std::abs(x);
        if (x < 10) out += '0';
        append_int(out, x);
    }
}

void append_array(std::string& out, const std::vector<std::int64_t>& values) {
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        append_int(out, values[i]);
    }
    out += ']';
}

// The next flag's text, in a string a previous window left (its capacity reused).
std::string& next_flag(DriftIndices& d, std::size_t& flags) {
    if (flags == d.flags.size()) d.flags.emplace_back();
    std::string& flag = d.flags[flags++];
    flag.clear();
    return flag;
}

}  // namespace

double population_stability_index(const std::vector<double>& expected, const std::vector<std::int64_t>& observed) {
    return psi_over(
        std::min(observed.size(), expected.size()), sum(observed), [&](std::size_t k) { return expected[k]; },
        [&](std::size_t k) { return observed[k]; });
}

double jensen_shannon_distance(const std::vector<double>& expected, const std::vector<std::int64_t>& observed) {
    std::int64_t total = sum(observed);
    if (total == 0) return 0;
    double divergence = 0;
    for (std::size_t i = 0; i < observed.size() && i < expected.size(); ++i) {
        double p = expected[i], q = double(observed[i]) / double(total), m = (p + q) / 2;
        if (p > 0) divergence += 0.5 * p * std::log2(p / m);
        if (q > 0) divergence += 0.5 * q * std::log2(q / m);
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
    DriftIndices d;
    drift_indices(spec, counts, d);
    return d;
}

void drift_indices(const ModelSpec& spec, const DriftCounts& counts, DriftIndices& d) {
    const DriftReference& ref = *spec.reference;
    d.feature_psi.clear();
    d.missing.clear();
    d.psi_max = 0;
    std::size_t flags = 0;
    for (std::size_t i = 0; i < ref.features.size(); ++i) {
        const Bins& bins = ref.features[i];
        const auto& observed = counts.features[i];
        const std::int64_t missing = counts.missing[i];
        // Missing values are a bin of their own (bin n), so that a surge of them moves the index too.
        const std::size_t n = std::min(bins.fractions.size(), observed.size());
        double psi = psi_over(
            n + 1, sum(observed) + missing,
            [&](std::size_t k) { return k < n ? bins.fractions[k] * (1 - bins.missing) : bins.missing; },
            [&](std::size_t k) { return k < n ? observed[k] : missing; });
        d.feature_psi.push_back(psi);
        d.missing.push_back(counts.items > 0 ? double(counts.missing[i]) / double(counts.items) : 0.0);
        d.psi_max = std::max(d.psi_max, psi);
        if (psi > ref.psi_threshold) {
            std::string& flag = next_flag(d, flags).append(ref.names[i]).append(": PSI ");
            append_fixed(flag, psi);
            flag.append(" > ");
            append_fixed(flag, ref.psi_threshold);
        }
    }
    d.labels_js.reset();
    d.scores_psi.reset();
    if (ref.scores) {
        d.scores_psi = population_stability_index(ref.scores->fractions, counts.predictions);
        if (*d.scores_psi > ref.psi_threshold) {
            std::string& flag = next_flag(d, flags).append("scores: PSI ");
            append_fixed(flag, *d.scores_psi);
            flag.append(" > ");
            append_fixed(flag, ref.psi_threshold);
        }
    } else {
        d.labels_js = jensen_shannon_distance(ref.labels, counts.predictions);
        if (*d.labels_js > ref.js_threshold) {
            std::string& flag = next_flag(d, flags).append("labels: Jensen-Shannon distance ");
            append_fixed(flag, *d.labels_js);
            flag.append(" > ");
            append_fixed(flag, ref.js_threshold);
        }
    }
    d.flags.resize(flags);
}

Json DriftIndices::to_json(const ModelSpec& spec) const {
    Json features = Json::object(), missing_shares = Json::object();
    const auto& names = measured_names(spec);
    for (std::size_t i = 0; i < feature_psi.size(); ++i) {
        features[names[i]] = rounded(feature_psi[i]);
        missing_shares[names[i]] = rounded(missing[i]);
    }
    Json j = {{"psi", features}, {"missing", missing_shares}, {"psi_max", rounded(psi_max)}, {"flags", flags}};
    if (labels_js) j["labels_js"] = rounded(*labels_js);
    if (scores_psi) j["scores_psi"] = rounded(*scores_psi);
    return j;
}

// nlohmann::json keeps an object's keys sorted (std::map): the fields are written in that order,
// a name given twice once, with its last field's value.
DriftJsonWriter::DriftJsonWriter(const ModelSpec& spec) {
    const auto& names = measured_names(spec);
    std::vector<std::size_t> order(names.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
    for (std::size_t k = 0; k < order.size(); ++k) {
        if (k + 1 < order.size() && names[order[k]] == names[order[k + 1]]) continue;
        std::string key;
        append_json_string(key, names[order[k]]);
        keys_.emplace_back(order[k], key + ":");
    }
}

void DriftJsonWriter::counts(const DriftCounts& c, std::string& out) const {
    out.assign(R"({"features":[)");
    for (std::size_t i = 0; i < c.features.size(); ++i) {
        if (i) out += ',';
        append_array(out, c.features[i]);
    }
    out.append(R"(],"items":)");
    append_int(out, c.items);
    out.append(R"(,"missing":)");
    append_array(out, c.missing);
    out.append(R"(,"predictions":)");
    append_array(out, c.predictions);
    out += '}';
}

void DriftJsonWriter::indices(const DriftIndices& d, std::string& out) const {
    // Per field, in key order: {"name":value,...}; the fields the indices have.
    auto per_field = [&](const std::vector<double>& values) {
        out += '{';
        bool first = true;
        for (const auto& [i, key] : keys_) {
            if (i >= values.size()) continue;
            if (!first) out += ',';
            first = false;
            out.append(key);
            append_double(out, rounded(values[i]));
        }
        out += '}';
    };
    out.assign(R"({"flags":[)");
    for (std::size_t i = 0; i < d.flags.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, d.flags[i]);
    }
    out += ']';
    if (d.labels_js) {
        out.append(R"(,"labels_js":)");
        append_double(out, rounded(*d.labels_js));
    }
    out.append(R"(,"missing":)");
    per_field(d.missing);
    out.append(R"(,"psi":)");
    per_field(d.feature_psi);
    out.append(R"(,"psi_max":)");
    append_double(out, rounded(d.psi_max));
    if (d.scores_psi) {
        out.append(R"(,"scores_psi":)");
        append_double(out, rounded(*d.scores_psi));
    }
    out += '}';
}

DriftMonitor::DriftMonitor(Db& db, const ModelSpec& spec, std::string model, std::string version)
    : db_(db), spec_(spec), model_(std::move(model)), version_(std::move(version)), json_(spec) {
    if (!spec.reference) return;
    image_ = spec.input_kind == InputKind::image;
    const auto& features = spec.reference->features;
    for (const auto& bins : features)
        width_ = std::max(width_, bins.edges.size());
    for (std::size_t i = 0; i < features.size(); ++i) {
        edges_.insert(edges_.end(), width_ - features[i].edges.size(), -INFINITY);
        for (double e : features[i].edges) {
            // A feature's edge as the model's input would hold it: standardised, then float32, so
            // that a value on an edge falls in the bin above it, as in the reference. A frame
            // statistic is computed before normalisation: its edges are as they are.
            if (image_) {
                edges_.push_back(static_cast<float>(e));
                continue;
            }
            auto input = standardise(spec, i, e);
            edges_.push_back(input ? *input : (e > 0 ? INFINITY : -INFINITY));
        }
    }
    feature_counts_.assign(features.size() * (width_ + 1), 0);
    if (image_) {
        statistics_.resize(features.size());
        values_.resize(features.size());
    }
    open_ = DriftCounts::empty(*spec.reference);
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
        for (std::size_t i = 0; i < open_.features.size(); ++i) {
            const auto& bins = open_.features[i];
            std::copy(bins.begin(), bins.end(),
                      feature_counts_.begin() + std::ptrdiff_t((i + 1) * (width_ + 1) - bins.size()));
        }
        is_open_ = true;
        opened_at_ = open.column_text(4);
    }
}

void DriftMonitor::count(std::int64_t item, const std::string& now) {
    if (!is_open_) {
        is_open_ = true;
        id_ = 0;
        first_ = item;
        opened_at_ = now;
    }
    last_ = item;
    ++open_.items;
    dirty_ = true;
}

void DriftMonitor::scored(std::int64_t item, const float* input, const Prediction& p, const std::string& now) {
    if (!spec_.reference) return;
    count(item, now);
    // A value's bin: the number of its field's edges at or below it, std::upper_bound's answer
    // without its branches (NaN, which compares false with every edge, falls in the last bin with
    // either).
    // (Sizes in locals: a count written could otherwise be the member, to be read again.)
    const std::size_t fields = open_.missing.size(), width = width_;
    if (image_) {
        // An image model's measured values are its frame's statistics.
        frame_statistics(spec_.image, input, statistics_.data());
        std::transform(statistics_.begin(), statistics_.end(), values_.begin(),
                       [](double v) { return static_cast<float>(v); });
        input = values_.data();
    }
    const float* edges = edges_.data();
    std::int64_t* counts = feature_counts_.data();
    for (std::size_t i = 0; i < fields; ++i, edges += width, counts += width + 1) {
        std::size_t bin = 0;
        for (std::size_t e = 0; e < width; ++e)
            bin += !(input[i] < edges[e]);
        ++counts[bin];
    }
    const DriftReference& ref = *spec_.reference;
    if (ref.scores) {
        ++open_.predictions[ref.scores->bin(p.score)];
    } else if (p.label) {
        auto at = std::find(spec_.labels.begin(), spec_.labels.end(), *p.label);
        if (at != spec_.labels.end()) ++open_.predictions[std::size_t(at - spec_.labels.begin())];
    }
    if (open_.items >= ref.window) close(now);
}

void DriftMonitor::missing(std::int64_t item, std::size_t field, const std::string& now) {
    if (!spec_.reference || field >= open_.missing.size()) return;
    count(item, now);
    ++open_.missing[field];
    if (open_.items >= spec_.reference->window) close(now);
}

// The open window's feature counts into open_.features, for its indices and its JSON.
void DriftMonitor::write_features() {
    auto counts = feature_counts_.begin();
    for (auto& bins : open_.features) {
        counts += std::ptrdiff_t(width_ + 1);
        std::copy(counts - std::ptrdiff_t(bins.size()), counts, bins.begin());
    }
}

Statement& DriftMonitor::prepared(std::optional<Statement>& statement, const char* sql) {
    if (!statement) statement.emplace(db_, sql);
    return *statement;
}

// Texts are bound without a copy: each statement's run() resets it before they change.
void DriftMonitor::save() {
    if (!is_open_ || !dirty_) return;
    write_features();
    json_.counts(open_, counts_text_);
    if (id_ == 0) {
        Statement& put = prepared(open_insert_, "INSERT INTO drift_windows (model, model_version, first_item_id, "
                                                "last_item_id, items, counts, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        put.bind_static(1, model_).bind_static(2, version_).bind(3, first_).bind(4, last_).bind(5, open_.items);
        put.bind_static(6, counts_text_).bind_static(7, opened_at_).run();
        id_ = db_.last_insert_rowid();
    } else {
        Statement& put =
            prepared(open_update_, "UPDATE drift_windows SET last_item_id = ?, items = ?, counts = ? WHERE id = ?");
        put.bind(1, last_).bind(2, open_.items).bind_static(3, counts_text_).bind(4, id_).run();
    }
    dirty_ = false;
}

// A closed window is a new row, the open one deleted: closed windows' ids follow the order they
// close in, above every id an export may have planned meanwhile.
void DriftMonitor::close(const std::string& now) {
    write_features();
    drift_indices(spec_, open_, indices_);
    const DriftIndices& d = indices_;
    json_.counts(open_, counts_text_);
    json_.indices(d, indices_text_);
    Statement& put =
        prepared(closed_insert_, "INSERT INTO drift_windows (model, model_version, first_item_id, last_item_id, items, "
                                 "counts, opened_at, closed_at, psi_max, labels_js, scores_psi, flagged, indices) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    put.bind_static(1, model_).bind_static(2, version_).bind(3, first_).bind(4, last_).bind(5, open_.items);
    put.bind_static(6, counts_text_).bind_static(7, opened_at_).bind_static(8, now).bind(9, d.psi_max);
    if (d.labels_js)
        put.bind(10, *d.labels_js);
    else
        put.bind(10, std::nullopt);
    if (d.scores_psi)
        put.bind(11, *d.scores_psi);
    else
        put.bind(11, std::nullopt);
    put.bind(12, d.flagged() ? 1 : 0).bind_static(13, indices_text_).run();
    if (id_ != 0) { prepared(open_delete_, "DELETE FROM drift_windows WHERE id = ?").bind(1, id_).run(); }
    ++closed_;
    flagged_ += d.flagged();
    // The next window counts into the same vectors.
    open_.items = 0;
    std::fill(feature_counts_.begin(), feature_counts_.end(), 0);
    std::fill(open_.missing.begin(), open_.missing.end(), 0);
    std::fill(open_.predictions.begin(), open_.predictions.end(), 0);
    is_open_ = false;
    dirty_ = false;
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
