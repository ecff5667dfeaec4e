#include "score/shadow.hpp"

#include "model/spec.hpp"
#include "package/registry.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edgectl {

std::optional<double> ShadowComparison::agreement() const {
    if (items == 0) return std::nullopt;
    return double(agreeing) / double(items);
}

std::optional<double> ShadowComparison::difference_quantile(double q) const {
    if (differences.empty()) return std::nullopt;
    double at = q * double(differences.size() - 1);
    auto below = std::size_t(std::floor(at));
    std::size_t above = std::min(below + 1, differences.size() - 1);
    return differences[below] + (at - double(below)) * (differences[above] - differences[below]);
}

ShadowComparison compare_shadow(Db& db, const std::string& name, const std::optional<std::string>& version,
                                std::int64_t window) {
    require(window >= 1, "--window must be at least 1", Exit::usage);
    ShadowComparison c;
    c.model = name;
    c.window = window;
    auto active = active_version(db, name);
    if (!active) throw Error("model " + quote(name) + " has no active version (see 'edgectl models list')");
    c.active = *active;
    if (version) {
        c.shadow = *version;
    } else if (auto shadow = shadow_version(db, name)) {
        c.shadow = *shadow;
    } else {
        throw Error("model " + quote(name) + " has no shadow: start one with 'edgectl models shadow " + name +
                    "@VERSION'");
    }
    Statement spec(db, "SELECT spec FROM models WHERE name = ? AND version = ?");
    spec.bind(1, name).bind(2, c.active).step();
    const OutputKind kind = parse_model_spec(spec.column_view(0), name + "@" + c.active + " model.json").output_kind;
    c.kind = to_string(kind);

    // The newest rows of answers, at most one an answer, unpacked (the store's shadow_insights view
    // does the same, but a view's JSON functions are not for a connection that trusts no schema).
    Statement answers(db,
                      "SELECT s.label, s.score, s.anomaly, s.error IS NOT NULL, i.id IS NOT NULL, i.label, i.score, "
                      "i.anomaly FROM (SELECT b.id + a.key AS id, json_extract(a.value, '$[0]') AS item_id, "
                      "json_extract(a.value, '$[1]') AS label, json_extract(a.value, '$[2]') AS score, "
                      "json_extract(a.value, '$[3]') AS anomaly, json_extract(a.value, '$[5]') AS error "
                      "FROM (SELECT id, body FROM shadow_answers WHERE model = ?1 AND model_version = ?2 AND "
                      "active_version = ?3 ORDER BY id DESC LIMIT ?4) b, json_each(b.body) a) s "
                      "LEFT JOIN insights i ON i.item_id = s.item_id AND i.model = ?1 AND i.model_version = ?3 "
                      "ORDER BY s.id DESC LIMIT ?4");
    answers.bind(1, name).bind(2, c.shadow).bind(3, c.active).bind(4, window);
    while (answers.step()) {
        ++c.items;
        const bool shadow_answered = answers.column_int(3) == 0, active_answered = answers.column_int(4) == 1;
        c.shadow_failed += !shadow_answered;
        c.active_unanswered += !active_answered;
        if (shadow_answered) c.shadow_anomalies += answers.column_int(2);
        if (active_answered) c.active_anomalies += answers.column_int(7);
        if (!shadow_answered || !active_answered) continue;
        c.differences.push_back(answers.column_double(1) - answers.column_double(6));
        if (kind == OutputKind::classification) {
            std::string mine = answers.column_text(5), theirs = answers.column_text(0);
            c.agreeing += mine == theirs;
            ++c.confusion[mine][theirs];
        } else {
            c.agreeing += answers.column_int(2) == answers.column_int(7);
        }
    }
    std::sort(c.differences.begin(), c.differences.end());
    return c;
}

ShadowComparison promote_shadow(Db& db, const StoreLock& lock, const std::string& name, const std::string& version,
                                double min_agreement, std::int64_t window) {
    require(min_agreement >= 0 && min_agreement <= 1, "--min-agreement must be between 0 and 1", Exit::usage);
    ShadowComparison c;
    activate_model(db, lock, name, version, [&] {
        if (shadow_version(db, name) != version)
            throw Error("model " + name + "@" + version + " is not the shadow of " + quote(name) +
                        ": --min-agreement compares a shadow with the active version (see 'edgectl models shadow')");
        c = compare_shadow(db, name, version, window);
        auto agreement = c.agreement();
        if (!agreement)
            throw Error("model " + name + "@" + version + " has no answers beside " + name + "@" + c.active +
                        " yet: run 'edgectl score' first");
        if (*agreement < min_agreement) {
            char text[96];
            std::snprintf(text, sizeof text, "agrees with %s@%s on %.4f of its last %lld items, below %.4f",
                          name.c_str(), c.active.c_str(), *agreement, static_cast<long long>(c.items), min_agreement);
            throw Error("model " + name + "@" + version + " is not activated: it " + text);
        }
    });
    return c;
}

Json to_json(const ShadowComparison& c) {
    auto optional = [](std::optional<double> v) { return v ? Json(*v) : Json(); };
    auto rate = [](std::int64_t n, std::int64_t of) { return of > 0 ? Json(double(n) / double(of)) : Json(); };
    Json differences = Json::object();
    for (auto [key, q] : {std::pair{"min", 0.0},
                          {"p05", 0.05},
                          {"p25", 0.25},
                          {"p50", 0.5},
                          {"p75", 0.75},
                          {"p95", 0.95},
                          {"max", 1.0}})
        differences[key] = optional(c.difference_quantile(q));
    Json confusion = Json::object();
    for (const auto& [active, row] : c.confusion)
        for (const auto& [shadow, n] : row)
            confusion[active][shadow] = n;
    return {{"model", c.model},
            {"active", c.active},
            {"shadow", c.shadow},
            {"kind", c.kind},
            {"window", c.window},
            {"items", c.items},
            {"agreeing", c.agreeing},
            {"agreement", optional(c.agreement())},
            {"active_unanswered", c.active_unanswered},
            {"shadow_failed", c.shadow_failed},
            {"anomaly_rate",
             {{"active", rate(c.active_anomalies, c.items - c.active_unanswered)},
              {"shadow", rate(c.shadow_anomalies, c.items - c.shadow_failed)}}},
            {"confusion", confusion},
            {"score_difference", differences}};
}

}  // namespace edgectl
