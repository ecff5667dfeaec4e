#include "status/status.hpp"

#include "package/registry.hpp"

namespace edgectl {
namespace {

std::int64_t count_for(Db& db, std::string_view sql, const ModelStatus& m) {
    Statement stmt(db, sql);
    stmt.bind(1, m.name).bind(2, m.version);
    return stmt.step() ? stmt.column_int(0) : 0;
}

std::uint64_t disk_use(const fs::path& root) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file(ec)) total += it->file_size(ec);
    return total;
}

}  // namespace

StatusReport status(Store& store) {
    Db& db = store.db();
    // One snapshot for every figure: counted while score commits, they still add up.
    ReadSnapshot snapshot(db);
    StatusReport r;
    r.site = store.site();
    r.store = store.root();
    r.items = query_int(db, "SELECT count(*) FROM items");
    r.frames = query_int(db, "SELECT count(*) FROM items WHERE image IS NOT NULL");
    r.quarantined = query_int(db, "SELECT count(*) FROM quarantine WHERE stage = 'ingest'");
    r.insights = query_int(db, "SELECT count(*) FROM insights");
    r.anomalies = query_int(db, "SELECT count(*) FROM insights WHERE anomaly = 1");
    r.unexported = query_int(db, "SELECT count(*) FROM insights WHERE export_seq IS NULL");
    r.exports = query_int(db, "SELECT count(*) FROM exports WHERE state = 'complete'");
    r.unfinished_exports = query_int(db, "SELECT count(*) FROM exports WHERE state = 'pending'");
    Statement last(db, "SELECT name, completed_at FROM exports WHERE state = 'complete' ORDER BY seq DESC LIMIT 1");
    if (last.step()) {
        r.last_export = last.column_text(0);
        r.last_export_at = last.column_text(1);
    }
    for (const ActiveModel& active : active_models(store)) {
        ModelStatus m;
        m.name = active.name;
        m.version = active.version;
        m.scored = count_for(db, "SELECT count(*) FROM insights WHERE model = ? AND model_version = ?", m);
        m.anomalies =
            count_for(db, "SELECT count(*) FROM insights WHERE model = ? AND model_version = ? AND anomaly = 1", m);
        m.quarantined = count_for(
            db, "SELECT count(*) FROM quarantine WHERE stage = 'score' AND model = ? AND model_version = ?", m);
        // Items of the model's input kind after its cursor: records for a feature model, frames for
        // an image model.
        m.pending = count_for(db,
                              "SELECT count(*) FROM items WHERE " + std::string(items_of_kind(active.spec)) +
                                  " AND id > coalesce((SELECT last_item_id FROM score_progress WHERE model = ?1 AND "
                                  "model_version = ?2), 0)",
                              m);
        m.drift_windows = count_for(
            db, "SELECT count(*) FROM drift_windows WHERE model = ? AND model_version = ? AND closed_at IS NOT NULL",
            m);
        m.drift_flagged = count_for(
            db, "SELECT count(*) FROM drift_windows WHERE model = ? AND model_version = ? AND flagged = 1", m);
        Statement window(db, "SELECT flagged, indices FROM drift_windows WHERE model = ? AND model_version = ? AND "
                             "closed_at IS NOT NULL ORDER BY id DESC LIMIT 1");
        window.bind(1, m.name).bind(2, m.version);
        if (window.step()) {
            m.drift_last_flagged = window.column_int(0) == 1;
            if (auto indices = parse_json(window.column_view(1)); indices && (*indices)["flags"].is_array())
                for (const auto& flag : (*indices)["flags"])
                    if (flag.is_string()) m.drift_last_flags.push_back(flag.get<std::string>());
        }
        m.shadow = shadow_version(db, m.name);
        if (m.shadow) {
            Statement answers(db, "SELECT coalesce(sum(answers), 0) FROM shadow_answers WHERE model = ? AND "
                                  "model_version = ? AND active_version = ?");
            answers.bind(1, m.name).bind(2, *m.shadow).bind(3, m.version).step();
            m.shadow_answers = answers.column_int(0);
        }
        r.models.push_back(m);
    }
    r.disk_bytes = disk_use(store.root());
    return r;
}

Json to_json(const StatusReport& r) {
    Json models = Json::array();
    for (const auto& m : r.models)
        models.push_back({{"model", m.name},
                          {"version", m.version},
                          {"scored", m.scored},
                          {"not_scored", m.pending},
                          {"quarantined", m.quarantined},
                          {"anomalies", m.anomalies},
                          {"drift",
                           {{"windows", m.drift_windows},
                            {"flagged", m.drift_flagged},
                            {"last_flagged", m.drift_last_flagged ? Json(*m.drift_last_flagged) : Json()},
                            {"last_flags", m.drift_last_flags}}},
                          {"shadow", m.shadow ? Json{{"version", *m.shadow}, {"answers", m.shadow_answers}} : Json()}});
    return {{"site", r.site},
            {"store", r.store.string()},
            {"items", r.items},
            {"frames", r.frames},
            {"quarantined", r.quarantined},
            {"insights", r.insights},
            {"anomalies", r.anomalies},
            {"waiting_for_export", r.unexported},
            {"exports", r.exports},
            {"unfinished_exports", r.unfinished_exports},
            {"last_export", r.last_export ? Json(*r.last_export) : Json()},
            {"last_export_at", r.last_export_at ? Json(*r.last_export_at) : Json()},
            {"active_models", models},
            {"disk_bytes", r.disk_bytes}};
}

}  // namespace edgectl
