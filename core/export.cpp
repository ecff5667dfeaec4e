#include "export.hpp"

#include "archive.hpp"
#include "bag.hpp"
#include "error.hpp"
#include "log.hpp"
#include "sha256.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <unistd.h>

#ifndef EDGECTL_VERSION
#define EDGECTL_VERSION "unknown"
#endif

namespace edgectl {
namespace {

struct Ledger {
    std::int64_t seq = 0;
    std::string name;
    std::string nonce;
    fs::path target;
    std::int64_t max_insight_id = 0;
};

fs::path archive_path(const fs::path& dir, const std::string& name) { return dir / (name + ".tar.zst"); }
fs::path partial_path(const fs::path& dir, const std::string& name) { return dir / ("." + name + ".tar.zst.partial"); }

// A payload file written to staging while its SHA-256 and size are computed.
class HashedFile {
public:
    HashedFile(const fs::path& path, std::string bag_path) : file_(File::create_new(path, 0600)) {
        entry_.path = std::move(bag_path);
    }
    void write_line(const std::string& line) {
        buf_ += line;
        buf_ += '\n';
        if (buf_.size() >= (1 << 16)) flush();
    }
    BagFile finish() {
        flush();
        file_.close();
        entry_.sha256 = hash_.finish();
        return entry_;
    }

private:
    void flush() {
        file_.write_all(buf_);
        hash_.update(buf_);
        entry_.size += buf_.size();
        buf_.clear();
    }
    File file_;
    Sha256 hash_;
    std::string buf_;
    BagFile entry_;
};

void check_target(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw Error("export target '" + dir.string() + "' does not exist or is not a directory");
    if (::access(dir.c_str(), W_OK) != 0)
        throw Error("cannot write to export target '" + dir.string() + "': " + std::strerror(errno));
}

std::optional<Ledger> pending_export(Db& db) {
    Statement stmt(db, "SELECT seq, name, nonce, target, max_insight_id FROM exports WHERE state = 'pending'");
    if (!stmt.step()) return std::nullopt;
    return Ledger{stmt.column_int(0), stmt.column_text(1), stmt.column_text(2), stmt.column_text(3), stmt.column_int(4)};
}

std::string previous_tagmanifest(Db& db, std::int64_t seq) {
    Statement stmt(db, "SELECT tagmanifest_digest FROM exports WHERE state = 'complete' AND seq < ? ORDER BY seq DESC LIMIT 1");
    stmt.bind(1, seq);
    return stmt.step() ? stmt.column_text(0) : "none";
}

std::string utc_date() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

// Streams the rows of one export from the store into data/*.ndjson in staging.
std::vector<BagFile> write_payload(Store& store, const Ledger& l, const fs::path& dir, ExportedArchive& out) {
    fs::create_directories(dir / "data");
    HashedFile insights(dir / "data/insights.ndjson", "data/insights.ndjson");
    HashedFile anomalies(dir / "data/anomalies.ndjson", "data/anomalies.ndjson");
    Statement rows(store.db(),
                   "SELECT i.id, i.item_id, it.source, it.source_key, i.model, i.model_version, i.label, i.score, "
                   "i.probabilities, i.anomaly, i.scored_at, it.ingested_at, it.payload FROM insights i "
                   "JOIN items it ON it.id = i.item_id WHERE i.export_seq IS NULL AND i.id <= ? ORDER BY i.id");
    rows.bind(1, l.max_insight_id);
    while (rows.step()) {
        Json record = {{"site", store.site()}, {"insight_id", rows.column_int(0)}, {"item_id", rows.column_int(1)},
                       {"source", rows.column_text(2)}, {"source_key", rows.column_text(3)},
                       {"model", rows.column_text(4)}, {"model_version", rows.column_text(5)},
                       {"label", rows.column_is_null(6) ? Json() : Json(rows.column_text(6))},
                       {"score", rows.column_double(7)},
                       {"probabilities", rows.column_is_null(8) ? Json() : Json::parse(rows.column_view(8))},
                       {"anomaly", rows.column_int(9) != 0}, {"scored_at", rows.column_text(10)}};
        insights.write_line(record.dump());
        ++out.insights;
        if (rows.column_int(9) == 0) continue;
        record["ingested_at"] = rows.column_text(11);
        record["payload"] = Json::parse(rows.column_view(12));
        anomalies.write_line(record.dump());
        ++out.anomalies;
    }
    return {anomalies.finish(), insights.finish()};
}

// Writes the tag files of the bag into staging; returns them in archive order.
std::vector<BagFile> write_tags(Store& store, const Ledger& l, const fs::path& dir,
                                const std::vector<BagFile>& payload, const ExportedArchive& a) {
    std::uint64_t bytes = 0;
    for (const auto& f : payload) bytes += f.size;
    std::vector<std::pair<std::string, std::string>> info = {
        {"Source-Organization", store.site()},
        {"Bagging-Date", utc_date()},
        {"Payload-Oxum", std::to_string(bytes) + "." + std::to_string(payload.size())},
        {"External-Identifier", l.name},
        {"Bag-Group-Identifier", l.name},
        {"Bag-Count", "1 of 1"},
        {"Edgectl-Version", EDGECTL_VERSION},
        {"Edgectl-Export-Sequence", std::to_string(l.seq)},
        {"Edgectl-Export-Nonce", l.nonce},
        {"Edgectl-Previous-Tagmanifest-SHA256", previous_tagmanifest(store.db(), l.seq)},
        {"Edgectl-Insights", std::to_string(a.insights)},
        {"Edgectl-Anomalies", std::to_string(a.anomalies)}};
    std::vector<std::pair<std::string, std::string>> texts = {
        {"bagit.txt", bagit_txt()}, {"bag-info.txt", bag_info(info)}, {"manifest-sha256.txt", bag_manifest(payload)}};
    std::vector<BagFile> tags;
    for (const auto& [name, text] : texts) {
        write_file_atomic(dir / name, text, 0600);
        tags.push_back({name, sha256_hex(text), text.size()});
    }
    std::string tagmanifest = bag_manifest(tags);
    write_file_atomic(dir / "tagmanifest-sha256.txt", tagmanifest, 0600);
    tags.push_back({"tagmanifest-sha256.txt", sha256_hex(tagmanifest), tagmanifest.size()});
    return tags;
}

// Builds the archive under a temporary name on the target, durable and verified; returns its path.
fs::path write_archive(const Ledger& l, const fs::path& staging, const std::vector<BagFile>& files, int level) {
    fs::path partial = partial_path(l.target, l.name);
    ::unlink(partial.c_str());
    try {
        File out = File::create_new(partial, 0644);
        ArchiveWriter writer(out, level, std::int64_t(std::time(nullptr)));
        writer.add_directory(l.name);
        writer.add_directory(l.name + "/data");
        for (const auto& f : files) writer.add_file_from(l.name + "/" + f.path, staging / f.path);
        writer.close();
        out.sync();
        out.close();
        fsync_dir(l.target);
    } catch (...) {
        ::unlink(partial.c_str());
        throw;
    }
    return partial;
}

// Marks the rows of a finished archive and completes its ledger row, in one transaction.
void mark_exported(Db& db, const Ledger& l, const ExportedArchive& a, const std::string& tagmanifest) {
    Transaction tx(db);
    Statement mark(db, "UPDATE insights SET export_seq = ? WHERE export_seq IS NULL AND id <= ?");
    mark.bind(1, l.seq).bind(2, l.max_insight_id).run();
    Statement done(db, "UPDATE exports SET state = 'complete', rows = ?, bytes = ?, digest = ?, tagmanifest_digest = ?, "
                       "completed_at = ? WHERE seq = ?");
    done.bind(1, a.insights).bind(2, std::int64_t(a.bytes)).bind(3, a.sha256).bind(4, tagmanifest);
    done.bind(5, now_utc()).bind(6, l.seq).run();
    tx.commit();
}

// Checks an archive on the target and, if whole, moves it to its final name and marks its rows.
ExportedArchive finish(Store& store, const Ledger& l, const fs::path& archive) {
    BagReport report = verify_bag_archive(archive);
    if (!report.ok()) throw Error("export '" + archive.string() + "' failed verification after writing: " + report.problems.front());
    ExportedArchive a;
    a.seq = l.seq;
    a.name = l.name;
    a.path = archive_path(l.target, l.name);
    a.insights = std::stoll(report.info["Edgectl-Insights"]);
    a.anomalies = std::stoll(report.info["Edgectl-Anomalies"]);
    a.bytes = fs::file_size(archive);
    a.sha256 = sha256_file(archive);
    // The sidecar is written (and its space taken) before the archive gets its final name, so a full
    // disk fails here with nothing under a final name. Its own rename follows the archive's; a crash
    // between the two is finished by recover(), which comes back here.
    AtomicFile sidecar(a.path.string() + ".sha256", 0644);
    sidecar.write(a.sha256 + "  " + a.path.filename().string() + "\n");
    sidecar.file().sync();
    if (archive != a.path) {
        if (::rename(archive.c_str(), a.path.c_str()) != 0)
            throw Error("cannot rename '" + archive.string() + "' into place: " + std::strerror(errno));
    }
    sidecar.commit();
    mark_exported(store.db(), l, a, report.tagmanifest_sha256);
    return a;
}

// True when a bag found on the target is whole and is the very export the ledger row describes.
bool is_this_export(BagReport report, const Ledger& l) {
    return report.ok() && report.info["Edgectl-Export-Nonce"] == l.nonce && report.base == l.name;
}

// An export interrupted after its archive reached its final name is finished; any other is dropped
// (its sequence number is reused, nothing was marked).
std::optional<ExportedArchive> recover(Store& store) {
    auto l = pending_export(store.db());
    if (!l) return std::nullopt;
    ::unlink(partial_path(l->target, l->name).c_str());
    fs::path archive = archive_path(l->target, l->name);
    if (fs::exists(archive) && is_this_export(verify_bag_archive(archive), *l)) {
        ExportedArchive a = finish(store, *l, archive);
        a.recovered = true;
        log::warning("finished export " + l->name + " left by an interrupted run");
        return a;
    }
    Statement drop(store.db(), "DELETE FROM exports WHERE seq = ? AND state = 'pending'");
    drop.bind(1, l->seq).run();
    return std::nullopt;
}

} // namespace

std::string export_name(const std::string& site, std::int64_t seq) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(seq));
    return site + "-" + buf;
}

ExportResult export_next(Store& store, const ExportOptions& o) {
    ExportResult result;
    result.dry_run = o.dry_run;
    Db& db = store.db();
    check_target(o.to);
    if (o.dry_run) {
        result.pending_insights = query_int(db, "SELECT count(*) FROM insights WHERE export_seq IS NULL");
        result.pending_anomalies = query_int(db, "SELECT count(*) FROM insights WHERE export_seq IS NULL AND anomaly = 1");
        return result;
    }
    store.clear_staging("export-");
    if (auto a = recover(store)) result.archives.push_back(*a);

    // 1. Fix the sequence number and the rows (everything unexported up to now) in the ledger.
    Ledger l;
    l.max_insight_id = query_int(db, "SELECT coalesce(max(id), 0) FROM insights WHERE export_seq IS NULL");
    if (l.max_insight_id == 0) return result;
    l.seq = query_int(db, "SELECT coalesce(max(seq), 0) + 1 FROM exports");
    l.name = export_name(store.site(), l.seq);
    l.nonce = random_hex(16);
    l.target = fs::absolute(o.to);
    fs::path final_path = archive_path(l.target, l.name);
    require(!fs::exists(final_path), "export target already holds '" + final_path.string() + "'; refusing to overwrite it");
    {
        Statement add(db, "INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at) "
                          "VALUES (?, ?, ?, ?, 'pending', ?, ?)");
        add.bind(1, l.seq).bind(2, l.name).bind(3, l.nonce).bind(4, l.target.string()).bind(5, l.max_insight_id);
        add.bind(6, now_utc()).run();
    }
    // 2. Stage the bag on the store's filesystem, 3. pack it onto the target, verified, 4. finish.
    try {
        TempDir staging(store.staging_dir(), "export-");
        ExportedArchive counts;
        std::vector<BagFile> payload = write_payload(store, l, staging.path(), counts);
        std::vector<BagFile> files = write_tags(store, l, staging.path(), payload, counts);
        files.insert(files.end(), payload.begin(), payload.end());
        fs::path partial = write_archive(l, staging.path(), files, o.level);
        try {
            result.archives.push_back(finish(store, l, partial));
        } catch (...) {
            ::unlink(partial.c_str());
            throw;
        }
    } catch (...) {
        // Failed before the archive reached its final name: nothing was shipped, forget the attempt.
        if (!fs::exists(final_path)) {
            Statement drop(db, "DELETE FROM exports WHERE seq = ? AND state = 'pending'");
            drop.bind(1, l.seq).run();
        }
        throw;
    }
    return result;
}

Json to_json(const ExportResult& r) {
    Json archives = Json::array();
    for (const auto& a : r.archives)
        archives.push_back({{"seq", a.seq}, {"name", a.name}, {"path", a.path.string()}, {"insights", a.insights},
                            {"anomalies", a.anomalies}, {"bytes", a.bytes}, {"sha256", a.sha256},
                            {"recovered", a.recovered}});
    Json out = {{"archives", archives}, {"dry_run", r.dry_run}};
    if (r.dry_run) out["pending"] = {{"insights", r.pending_insights}, {"anomalies", r.pending_anomalies}};
    return out;
}

} // namespace edgectl
