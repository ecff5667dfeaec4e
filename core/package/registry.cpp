#include "package/registry.hpp"

#include "util/error.hpp"

#include <algorithm>

namespace edgectl {

std::vector<ModelVersion> list_models(Db& db) {
    Statement stmt(db, "SELECT m.name, m.version, m.digest, m.imported_at, m.signer, a.version IS NOT NULL, "
                       "s.version IS NOT NULL FROM models m "
                       "LEFT JOIN active_models a ON a.name = m.name AND a.version = m.version "
                       "LEFT JOIN shadow_models s ON s.name = m.name AND s.version = m.version "
                       "WHERE m.removed_at IS NULL ORDER BY m.name, m.imported_at, m.version");
    std::vector<ModelVersion> out;
    while (stmt.step())
        out.push_back({stmt.column_text(0), stmt.column_text(1), stmt.column_text(2), stmt.column_text(3),
                       stmt.column_optional_text(4), stmt.column_int(5) != 0, stmt.column_int(6) != 0});
    return out;
}

namespace {

void require_installed(Db& db, const std::string& name, const std::string& version) {
    Statement exists(db, "SELECT 1 FROM models WHERE name = ? AND version = ? AND removed_at IS NULL");
    exists.bind(1, name).bind(2, version);
    if (!exists.step()) throw Error("model " + name + "@" + version + " is not installed (see 'edgectl models list')");
}

// A version made active is no longer anyone's shadow.
void forget_shadow(Db& db, const std::string& name, const std::string& version) {
    Statement forget(db, "DELETE FROM shadow_models WHERE name = ? AND version = ?");
    forget.bind(1, name).bind(2, version).run();
}

ModelSpec spec_of(Db& db, const std::string& name, const std::string& version) {
    Statement spec(db, "SELECT spec FROM models WHERE name = ? AND version = ?");
    spec.bind(1, name).bind(2, version);
    if (!spec.step()) throw Error("model " + name + "@" + version + " is not installed");
    return parse_model_spec(spec.column_view(0), name + "@" + version + " model.json");
}

}  // namespace

void activate_model(Db& db, const StoreLock& lock, const std::string& name, const std::string& version,
                    const std::function<void()>& check) {
    lock.require("import-model");
    Transaction tx(db, "models.activate");
    require_installed(db, name, version);
    if (check) check();
    forget_shadow(db, name, version);
    Statement upsert(db,
                     "INSERT INTO active_models (name, version, previous_version, activated_at) VALUES (?, ?, NULL, ?) "
                     "ON CONFLICT (name) DO UPDATE SET previous_version = active_models.version, "
                     "version = excluded.version, activated_at = excluded.activated_at "
                     "WHERE active_models.version <> excluded.version");
    upsert.bind(1, name).bind(2, version).bind(3, now_utc()).run();
    tx.commit();
}

std::optional<std::string> active_version(Db& db, const std::string& name) {
    Statement stmt(db, "SELECT version FROM active_models WHERE name = ?");
    stmt.bind(1, name);
    if (!stmt.step()) return std::nullopt;
    return stmt.column_text(0);
}

std::string rollback_model(Db& db, const StoreLock& lock, const std::string& name) {
    lock.require("import-model");
    Transaction tx(db, "models.rollback");
    Statement prev(db, "SELECT version, previous_version FROM active_models WHERE name = ?");
    prev.bind(1, name);
    if (!prev.step()) throw Error("model " + quote(name) + " has no active version");
    if (prev.column_is_null(1))
        throw Error("model " + quote(name) +
                    " has no previous version to roll back to (active: " + prev.column_text(0) + ")");
    std::string current = prev.column_text(0), previous = prev.column_text(1);
    prev.reset();
    Statement swap(db, "UPDATE active_models SET version = ?, previous_version = ?, activated_at = ? WHERE name = ?");
    swap.bind(1, previous).bind(2, current).bind(3, now_utc()).bind(4, name).run();
    forget_shadow(db, name, previous);
    tx.commit();
    return previous;
}

Result<> shadow_compatible(const ModelSpec& active, const ModelSpec& shadow) {
    if (shadow.input_kind != active.input_kind)
        return fail("it takes " + std::string(shadow.input_kind == InputKind::image ? "frames" : "records") +
                    " and the active version does not");
    if (shadow.input_kind == InputKind::features && shadow.fields != active.fields)
        return fail("its input fields are not the active version's, in the same order");
    if (shadow.input_kind == InputKind::image &&
        shadow.document.value("input", Json()) != active.document.value("input", Json()))
        return fail("its image input (size, channels, resize, scale, mean, std, decoding) is not the active version's");
    if (shadow.output_kind != active.output_kind)
        return fail("its output is " + std::string(to_string(shadow.output_kind)) + ", the active version's " +
                    std::string(to_string(active.output_kind)));
    return {};
}

void shadow_model(Db& db, const StoreLock& lock, const std::string& name, const std::string& version) {
    lock.require("import-model");
    Transaction tx(db, "models.shadow");
    require_installed(db, name, version);
    auto active = active_version(db, name);
    if (!active) throw Error("model " + quote(name) + " has no active version for " + version + " to score beside");
    if (*active == version) throw Error("model " + name + "@" + version + " is the active version");
    if (auto ok = shadow_compatible(spec_of(db, name, *active), spec_of(db, name, version)); !ok)
        throw Error("model " + name + "@" + version + " cannot shadow " + name + "@" + *active + ": " + ok.error());
    Statement set(db, "INSERT INTO shadow_models (name, version, started_at) VALUES (?, ?, ?) ON CONFLICT (name) "
                      "DO UPDATE SET version = excluded.version, started_at = excluded.started_at "
                      "WHERE shadow_models.version <> excluded.version");
    set.bind(1, name).bind(2, version).bind(3, now_utc()).run();
    tx.commit();
}

std::optional<std::string> unshadow_model(Db& db, const StoreLock& lock, const std::string& name) {
    lock.require("import-model");
    Transaction tx(db, "models.unshadow");
    auto version = shadow_version(db, name);
    if (version) forget_shadow(db, name, *version);
    tx.commit();
    return version;
}

std::optional<std::string> shadow_version(Db& db, const std::string& name) {
    Statement stmt(db, "SELECT version FROM shadow_models WHERE name = ?");
    stmt.bind(1, name);
    if (!stmt.step()) return std::nullopt;
    return stmt.column_text(0);
}

void remove_model(Store& store, const StoreLock& lock, const std::string& name, const std::string& version) {
    lock.require("import-model");
    Db& db = store.db();
    fs::path dir = store.models_dir() / name / version;
    {
        Transaction tx(db, "models.remove");
        Statement active(db, "SELECT version, previous_version FROM active_models WHERE name = ?");
        active.bind(1, name);
        if (active.step() && active.column_text(0) == version)
            throw Error("model " + name + "@" + version + " is active; activate another version before removing it");
        bool was_previous = active.column_optional_text(1) == version;
        active.reset();
        // The row stays, marked: it is the lineage (digest, spec, labels) of the version's insights,
        // which exports write beside them, and the identity a later import of it must match. A
        // version already marked whose files are still there is what a run killed between the two
        // steps leaves: the files go now.
        Statement mark(db, "UPDATE models SET removed_at = coalesce(removed_at, ?) WHERE name = ? AND version = ? "
                           "AND (removed_at IS NULL OR ?)");
        mark.bind(1, now_utc()).bind(2, name).bind(3, version).bind(4, fs::exists(dir) ? 1 : 0).run();
        if (db.changes() == 0) throw Error("model " + name + "@" + version + " is not installed");
        if (was_previous) {
            Statement forget(db, "UPDATE active_models SET previous_version = NULL WHERE name = ?");
            forget.bind(1, name).run();
        }
        forget_shadow(db, name, version);
        tx.commit();
    }
    // The row is marked first: a crash here leaves only the files of a removed version, which the
    // next import of that version replaces.
    remove_durably(dir, "models.remove-files");
}

namespace {

// Splits "1.2.3-rc.1" into numeric core parts and the pre-release identifiers.
std::pair<std::vector<std::uint64_t>, std::vector<std::string>> split_version(const std::string& v) {
    auto dash = v.find('-');
    std::string core = v.substr(0, dash), pre = dash == std::string::npos ? "" : v.substr(dash + 1);
    std::vector<std::uint64_t> nums;
    std::size_t start = 0;
    while (start <= core.size()) {
        auto dot = core.find('.', start);
        std::string part = core.substr(start, dot - start);
        nums.push_back(part.empty() ? 0 : std::stoull(part));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    std::vector<std::string> ids;
    for (std::size_t s = 0; !pre.empty() && s <= pre.size();) {
        auto dot = pre.find('.', s);
        ids.push_back(pre.substr(s, dot - s));
        if (dot == std::string::npos) break;
        s = dot + 1;
    }
    return {nums, ids};
}

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
    auto [an, ap] = split_version(a);
    auto [bn, bp] = split_version(b);
    if (an != bn) return an < bn ? -1 : 1;
    if (ap.empty() || bp.empty()) return ap.empty() == bp.empty() ? 0 : (ap.empty() ? 1 : -1);
    for (std::size_t i = 0; i < std::min(ap.size(), bp.size()); ++i) {
        if (ap[i] == bp[i]) continue;
        if (all_digits(ap[i]) && all_digits(bp[i])) return std::stoull(ap[i]) < std::stoull(bp[i]) ? -1 : 1;
        if (all_digits(ap[i]) != all_digits(bp[i])) return all_digits(ap[i]) ? -1 : 1;
        return ap[i] < bp[i] ? -1 : 1;
    }
    return ap.size() == bp.size() ? 0 : (ap.size() < bp.size() ? -1 : 1);
}

std::string_view items_of_kind(const ModelSpec& spec) {
    return spec.input_kind == InputKind::image ? "image IS NOT NULL" : "image IS NULL";
}

std::vector<ActiveModel> active_models(Store& store, const std::string& name) {
    Statement stmt(store.db(), "SELECT a.name, a.version, m.digest, m.spec FROM active_models a "
                               "JOIN models m ON m.name = a.name AND m.version = a.version "
                               "WHERE ?1 = '' OR a.name = ?1 ORDER BY a.name");
    stmt.bind(1, name);
    std::vector<ActiveModel> out;
    while (stmt.step()) {
        ActiveModel m{stmt.column_text(0), stmt.column_text(1), stmt.column_text(2), {}, {}};
        m.spec = parse_model_spec(stmt.column_view(3), m.name + "@" + m.version + " model.json");
        m.dir = store.models_dir() / m.name / m.version;
        out.push_back(std::move(m));
    }
    if (!name.empty() && out.empty())
        throw Error("model " + quote(name) + " has no active version (see 'edgectl models list')");
    return out;
}

std::optional<ActiveModel> shadow_of(Store& store, const ActiveModel& active) {
    Statement stmt(store.db(), "SELECT s.version, m.digest, m.spec FROM shadow_models s "
                               "JOIN models m ON m.name = s.name AND m.version = s.version "
                               "WHERE s.name = ? AND m.removed_at IS NULL");
    stmt.bind(1, active.name);
    if (!stmt.step()) return std::nullopt;
    ActiveModel m{active.name, stmt.column_text(0), stmt.column_text(1), {}, {}};
    m.spec = parse_model_spec(stmt.column_view(2), m.name + "@" + m.version + " model.json");
    m.dir = store.models_dir() / m.name / m.version;
    return m;
}

std::pair<std::string, std::string> parse_model_ref(const std::string& ref) {
    auto at = ref.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == ref.size())
        throw Error(quote(ref) + " is not NAME@VERSION", Exit::usage);
    return {ref.substr(0, at), ref.substr(at + 1)};
}

Json to_json(const std::vector<ModelVersion>& models) {
    Json out = Json::array();
    for (const auto& m : models)
        out.push_back({{"name", m.name},
                       {"version", m.version},
                       {"active", m.active},
                       {"shadow", m.shadow},
                       {"digest", m.digest},
                       {"signer", m.signer ? Json(*m.signer) : Json()},
                       {"imported_at", m.imported_at}});
    return out;
}

}  // namespace edgectl
