#include "registry.hpp"

#include "error.hpp"

namespace edgectl {

std::vector<ModelVersion> list_models(Db& db) {
    Statement stmt(db, "SELECT m.name, m.version, m.digest, m.imported_at, m.signer, a.version IS NOT NULL "
                       "FROM models m LEFT JOIN active_models a ON a.name = m.name AND a.version = m.version "
                       "ORDER BY m.name, m.imported_at, m.version");
    std::vector<ModelVersion> out;
    while (stmt.step())
        out.push_back({stmt.column_text(0), stmt.column_text(1), stmt.column_text(2), stmt.column_text(3),
                       stmt.column_optional_text(4), stmt.column_int(5) != 0});
    return out;
}

void activate_model(Db& db, const std::string& name, const std::string& version) {
    Transaction tx(db);
    Statement exists(db, "SELECT 1 FROM models WHERE name = ? AND version = ?");
    exists.bind(1, name).bind(2, version);
    if (!exists.step()) throw Error("model " + name + "@" + version + " is not installed (see 'edgectl models list')");
    Statement upsert(db, "INSERT INTO active_models (name, version, previous_version, activated_at) VALUES (?, ?, NULL, ?) "
                         "ON CONFLICT (name) DO UPDATE SET previous_version = active_models.version, "
                         "version = excluded.version, activated_at = excluded.activated_at "
                         "WHERE active_models.version <> excluded.version");
    upsert.bind(1, name).bind(2, version).bind(3, now_utc()).run();
    tx.commit();
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
    if (!name.empty() && out.empty()) throw Error("model '" + name + "' has no active version (see 'edgectl models list')");
    return out;
}

std::pair<std::string, std::string> parse_model_ref(const std::string& ref) {
    auto at = ref.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == ref.size())
        throw Error("'" + ref + "' is not NAME@VERSION", Exit::usage);
    return {ref.substr(0, at), ref.substr(at + 1)};
}

Json to_json(const std::vector<ModelVersion>& models) {
    Json out = Json::array();
    for (const auto& m : models)
        out.push_back({{"name", m.name}, {"version", m.version}, {"active", m.active}, {"digest", m.digest},
                       {"signer", m.signer ? Json(*m.signer) : Json()}, {"imported_at", m.imported_at}});
    return out;
}

} // namespace edgectl
