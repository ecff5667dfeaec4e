#include "export/ledger.hpp"

#include "export/bag.hpp"
#include "export/records.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

#include <cstdio>
#include <sys/stat.h>

namespace edgectl {

fs::path archive_path(const fs::path& dir, const std::string& name) { return dir / (name + ".tar.zst"); }
fs::path partial_path(const fs::path& dir, const std::string& name) { return dir / ("." + name + ".tar.zst.partial"); }

Ledger read_ledger(Statement& s) {
    Ledger l;
    l.seq = s.column_int(0);
    l.name = s.column_text(1);
    l.nonce = s.column_text(2);
    l.target = s.column_text(3);
    l.max_insight_id = s.column_int(4);
    l.group_id = s.column_is_null(5) ? l.name : s.column_text(5);
    l.volume = int(s.column_int(6));
    l.volumes = int(s.column_int(7));
    if (!s.column_is_null(8)) l.plan = Json::parse(s.column_view(8));
    if (!s.column_is_null(9)) l.counts = Json::parse(s.column_view(9));
    l.digest = s.column_optional_text(10);
    l.state = parse_export_state(s.column_view(11)).or_throw("export " + l.name + " in the ledger");
    return l;
}

std::int64_t device_of(const fs::path& dir) {
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 ? std::int64_t(st.st_dev) : -1;
}

std::string previous_tagmanifest(Db& db, std::int64_t seq) {
    Statement stmt(db, "SELECT tagmanifest_digest FROM exports WHERE seq = ? AND tagmanifest_digest IS NOT NULL");
    stmt.bind(1, seq - 1);
    return stmt.step() ? stmt.column_text(0) : "none";
}

void record_digest(Db& db, const Ledger& l, const ReadBag& read) {
    Transaction tx(db, "export.digest");
    Statement put(db, "UPDATE exports SET digest = ?, bytes = ? WHERE seq = ? AND state = 'pending'");
    put.bind(1, read.sha256).bind(2, std::int64_t(read.size)).bind(3, l.seq).run();
    tx.commit();
}

void mark_exported(Db& db, const Ledger& l, std::int64_t bytes, const std::string& sha256,
                   const std::string& tagmanifest) {
    Transaction tx(db, "export.mark");
    std::int64_t rows = 0;
    const Json ranges = l.plan.value("ranges", Json::object());  // items() must not outlive its object
    bool both = ranges.contains("anomalies") && ranges.contains("insights");
    if (both) {
        Statement mark(db, mark_anomalies_and_insights);
        mark.bind(1, l.seq).bind(2, ranges["anomalies"][0].get<std::int64_t>());
        mark.bind(3, ranges["anomalies"][1].get<std::int64_t>()).bind(4, ranges["insights"][0].get<std::int64_t>());
        mark.bind(5, ranges["insights"][1].get<std::int64_t>()).bind(6, l.max_insight_id).run();
        rows += db.changes();
    }
    for (const auto& [name, range] : ranges.items()) {
        Category category = parse_category(name).or_throw("export " + l.name + "'s plan");
        if (both && (category == Category::anomalies || category == Category::insights)) continue;
        Statement mark(db, category_sql(category).mark);
        mark.bind(1, l.seq).bind(2, range[0].get<std::int64_t>()).bind(3, range[1].get<std::int64_t>());
        mark.bind(4, l.max_insight_id).run();
        rows += db.changes();
    }
    Statement done(db,
                   "UPDATE exports SET state = 'complete', rows = ?, bytes = ?, digest = ?, tagmanifest_digest = ?, "
                   "completed_at = ? WHERE seq = ?");
    done.bind(1, rows).bind(2, bytes).bind(3, sha256).bind(4, tagmanifest);
    done.bind(5, now_utc()).bind(6, l.seq).run();
    tx.commit();
}

void forget(Db& db, const Ledger& l) {
    Transaction tx(db, "export.forget");
    Statement drop(db, "DELETE FROM exports WHERE seq = ? AND state = 'pending'");
    drop.bind(1, l.seq).run();
    tx.commit();
}

std::string export_name(const std::string& site, std::int64_t seq) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(seq));
    return site + "-" + buf;
}

std::string_view to_string(ExportState state) {
    switch (state) {
    case ExportState::pending: return "pending";
    case ExportState::complete: return "complete";
    case ExportState::abandoned: return "abandoned";
    }
    return "unknown";
}

Result<ExportState> parse_export_state(std::string_view text) {
    for (auto state : {ExportState::pending, ExportState::complete, ExportState::abandoned})
        if (to_string(state) == text) return state;
    return fail("unknown export state " + quote(text));
}

std::vector<ExportRecord> list_exports(Db& db) {
    Statement stmt(db,
                   "SELECT seq, name, state, started_at, completed_at, acked_at, digest, volume, volumes, rows, bytes "
                   "FROM exports ORDER BY seq");
    std::vector<ExportRecord> out;
    while (stmt.step())
        out.push_back({stmt.column_int(0), stmt.column_text(1),
                       parse_export_state(stmt.column_view(2)).or_throw("export " + stmt.column_text(1)),
                       stmt.column_text(3), stmt.column_optional_text(4), stmt.column_optional_text(5),
                       stmt.column_optional_text(6), int(stmt.column_int(7)), int(stmt.column_int(8)),
                       stmt.column_int(9), stmt.column_int(10)});
    return out;
}

void ack_exports(Db& db, const StoreLock& lock, const std::vector<std::int64_t>& seqs) {
    lock.require("export");
    Transaction tx(db, "ack");
    Statement ack(db, "UPDATE exports SET acked_at = coalesce(acked_at, ?) WHERE seq = ? AND state = 'complete'");
    for (auto seq : seqs) {
        ack.bind(1, now_utc()).bind(2, seq).run();
        if (db.changes() == 0)
            throw Error("export " + std::to_string(seq) + " is not a complete export (see 'edgectl exports list')");
    }
    tx.commit();
}

Json to_json(const std::vector<ExportRecord>& exports) {
    Json out = Json::array();
    auto opt = [](const std::optional<std::string>& s) { return s ? Json(*s) : Json(); };
    for (const auto& e : exports)
        out.push_back({{"seq", e.seq},
                       {"name", e.name},
                       {"state", to_string(e.state)},
                       {"volume", e.volume},
                       {"volumes", e.volumes},
                       {"rows", e.rows},
                       {"bytes", e.bytes},
                       {"sha256", opt(e.digest)},
                       {"started_at", e.started_at},
                       {"completed_at", opt(e.completed_at)},
                       {"acked_at", opt(e.acked_at)}});
    return out;
}

}  // namespace edgectl
