#include "export/export.hpp"

#include "export/bag.hpp"
#include "export/records.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/minisign.hpp"
#include "util/sha256.hpp"

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#ifndef EDGECTL_VERSION
#define EDGECTL_VERSION "unknown"
#endif

namespace edgectl {
namespace {

constexpr std::uint64_t min_volume_bytes = 64 * 1024;
constexpr std::uint64_t sidecar_reserve = 4096;  // the .sha256 and .minisig beside each archive

fs::path archive_path(const fs::path& dir, const std::string& name) { return dir / (name + ".tar.zst"); }
fs::path partial_path(const fs::path& dir, const std::string& name) { return dir / ("." + name + ".tar.zst.partial"); }

std::string utc_date() { return now_utc().substr(0, 10); }

// ---------------------------------------------------------------------------------------------
// The ledger row of one volume.

struct Ledger {
    std::int64_t seq = 0;
    std::string name, nonce, group_id;
    fs::path target;
    std::int64_t max_insight_id = 0;
    int volume = 1, volumes = 1;
    Json plan = Json::object();         ///< include, ranges per category, manifest digest, target device
    Json counts = Json::object();       ///< rows per category
    std::optional<std::string> digest;  ///< of the archive, recorded before it is named
    std::string state;
};

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
    l.state = s.column_text(11);
    return l;
}

constexpr const char* ledger_columns =
    "SELECT seq, name, nonce, target, max_insight_id, group_id, volume, volumes, plan, counts, digest, state ";

// The device a target directory is on: a volume is written again only where it was planned, never
// into the empty mount point a disk left.
std::int64_t device_of(const fs::path& dir) {
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 ? std::int64_t(st.st_dev) : -1;
}

std::string previous_tagmanifest(Db& db, std::int64_t seq) {
    Statement stmt(db, "SELECT tagmanifest_digest FROM exports WHERE seq = ? AND tagmanifest_digest IS NOT NULL");
    stmt.bind(1, seq - 1);
    return stmt.step() ? stmt.column_text(0) : "none";
}

// ---------------------------------------------------------------------------------------------
// Rows: how each category is selected and serialised. Planning selects unexported rows in an id
// range; marking uses the same predicate; a resend selects the rows marked with the sequence.

struct CategorySql {
    std::string select;  ///< fresh: ?1 lo, ?2 hi, ?3 max insight id; resend: ?1 seq
    std::string resend;
    std::string mark;    ///< ?1 seq, ?2 lo, ?3 hi, ?4 max insight id
    std::string max_id;  ///< the upper end of a fresh plan
};

// An item's source name, source key and ingest time are its ingest's and its source file's. (The
// view item_records shows the same for people; edgectl runs with trusted_schema off, which does
// not let SQL in a view call the JSON functions.)
const std::string item_joins = "JOIN ingests g ON g.id = it.ingest_id JOIN sources f ON f.id = g.source_id ";
const std::string item_source = "g.name, f.digest || ':' || it.ordinal";

const std::string insight_columns =
    "SELECT i.id, i.item_id, " + item_source +
    ", i.model, i.model_version, i.label, i.score, i.probabilities, "
    "i.anomaly, i.scored_at, g.ingested_at, it.payload, i.model_digest, g.columns FROM insights i "
    "JOIN items it ON it.id = i.item_id " +
    item_joins;

CategorySql insight_sql(int anomaly) {
    std::string a = std::to_string(anomaly);
    return {insight_columns + "WHERE i.export_seq IS NULL AND i.anomaly = " + a +
                " AND i.id > ?1 AND i.id <= ?2 "
                "AND ?3 >= 0 ORDER BY i.id",
            insight_columns + "WHERE i.export_seq = ?1 AND i.anomaly = " + a + " ORDER BY i.id",
            "UPDATE insights SET export_seq = ?1 WHERE export_seq IS NULL AND anomaly = " + a +
                " AND id > ?2 AND id <= ?3 AND ?4 >= 0",
            "SELECT coalesce(max(id), 0) FROM insights"};
}

const std::string item_columns =
    "SELECT it.id, " + item_source + ", it.line, g.ingested_at, it.payload, g.columns FROM items it " + item_joins;
const std::string item_scored = " AND EXISTS (SELECT 1 FROM insights s WHERE s.item_id = it.id AND s.id <= ?3)";
const std::string quarantine_columns = "SELECT id, stage, source, line, source_key, item_id, model, model_version, "
                                       "reason, raw, created_at FROM quarantine ";

const CategorySql& category_sql(const std::string& category) {
    static const std::map<std::string, CategorySql> all = {
        {"anomalies", insight_sql(1)},
        {"insights", insight_sql(0)},
        {"items",
         {item_columns + "WHERE it.export_seq IS NULL AND it.id > ?1 AND it.id <= ?2" + item_scored + " ORDER BY it.id",
          item_columns + "WHERE it.export_seq = ?1 ORDER BY it.id",
          "UPDATE items AS it SET export_seq = ?1 WHERE it.export_seq IS NULL AND it.id > ?2 AND it.id <= ?3 AND "
          "EXISTS (SELECT 1 FROM insights s WHERE s.item_id = it.id AND s.id <= ?4)",
          "SELECT coalesce(max(id), 0) FROM items"}},
        {"quarantine",
         {quarantine_columns + "WHERE export_seq IS NULL AND id > ?1 AND id <= ?2 AND ?3 >= 0 ORDER BY id",
          quarantine_columns + "WHERE export_seq = ?1 ORDER BY id",
          "UPDATE quarantine SET export_seq = ?1 WHERE export_seq IS NULL AND id > ?2 AND id <= ?3 AND ?4 >= 0",
          "SELECT coalesce(max(id), 0) FROM quarantine"}}};
    return all.at(category);
}

Json optional_text(const Statement& s, int col) { return s.column_is_null(col) ? Json() : Json(s.column_text(col)); }

std::optional<std::string_view> optional_view(const Statement& s, int col) {
    if (s.column_is_null(col)) return std::nullopt;
    return s.column_view(col);
}

PayloadFields payload_fields(const Statement& s, int payload, int columns) {
    return {s.column_view(payload), optional_view(s, columns)};
}

/// One row serialised: the lines it adds to which payload files.
struct RowLines {
    std::int64_t id = 0;
    std::vector<std::pair<std::string, std::string>> lines;  ///< file, line
    std::string model, version, label, hour;                 ///< for the summary (insights only)
    bool anomaly = false;
};

RowLines serialise_row(const std::string& category, const Statement& s, ExportRecords& records,
                       const std::string& site) {
    RowLines r;
    r.id = s.column_int(0);
    if (category == "anomalies" || category == "insights") {
        InsightFields f;
        f.insight_id = r.id;
        f.item_id = s.column_int(1);
        f.source = s.column_view(2);
        f.source_key = s.column_view(3);
        f.model = s.column_view(4);
        f.model_version = s.column_view(5);
        f.label = optional_view(s, 6);
        f.score = s.column_double(7);
        f.probabilities = optional_view(s, 8);
        f.anomaly = s.column_int(9) != 0;
        f.scored_at = s.column_view(10);
        f.model_digest = optional_view(s, 13);
        r.lines.emplace_back("data/insights.ndjson", records.insight(f));
        r.model = f.model;
        r.version = f.model_version;
        r.label = f.label ? std::string(*f.label) : "";
        r.hour = std::string(f.scored_at.substr(0, 13)) + ":00:00Z";
        r.anomaly = f.anomaly;
        if (r.anomaly)
            r.lines.emplace_back("data/anomalies.ndjson",
                                 records.anomaly(f, s.column_view(11), payload_fields(s, 12, 14)));
    } else if (category == "items") {
        r.lines.emplace_back("data/items.ndjson",
                             records.item(r.id, s.column_view(1), s.column_view(2), s.column_int(3), s.column_view(4),
                                          payload_fields(s, 5, 6)));
    } else {
        Json record = {{"site", site},
                       {"quarantine_id", r.id},
                       {"stage", s.column_text(1)},
                       {"source", s.column_text(2)},
                       {"line", s.column_int(3)},
                       {"source_key", s.column_text(4)},
                       {"item_id", s.column_is_null(5) ? Json() : Json(s.column_int(5))},
                       {"model", s.column_text(6)},
                       {"model_version", s.column_text(7)},
                       {"reason", s.column_text(8)},
                       {"raw", optional_text(s, 9)},
                       {"created_at", s.column_text(10)}};
        // A record quarantined for bytes that are not UTF-8 keeps them in `raw`: U+FFFD here, as
        // ExportRecords writes such text.
        r.lines.emplace_back("data/quarantine.ndjson", record.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    return r;
}

// A row that cannot be written (a stored JSON value that does not parse) is named, so that it can be
// found and mended.
RowLines serialise(const std::string& category, const Statement& s, ExportRecords& records, const std::string& site) {
    try {
        return serialise_row(category, s, records, site);
    } catch (const std::exception& e) {
        throw Error("cannot export " + category + " row " + std::to_string(s.column_int(0)) + ": " + e.what());
    }
}

// ---------------------------------------------------------------------------------------------
// Staging one volume: payload files hashed as written, and a zstd stream that counts how large the
// compressed payload is so far, so that a volume is cut before it outgrows its budget.

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
    /// Writes what is buffered, so that the file on disk holds every line so far.
    void flush() {
        file_.write_all(buf_);
        hash_.update(buf_);
        entry_.size += buf_.size();
        buf_.clear();
    }

  private:
    File file_;
    Sha256 hash_;
    std::string buf_;
    BagFile entry_;
};

class CompressedSizeCounter {
  public:
    /// Compresses at the archive's level, flushing every flush_every bytes of input.
    CompressedSizeCounter(int level, std::uint64_t flush_every)
        : cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()), flush_every_(flush_every) {
        ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, level);
    }
    void feed(std::string_view bytes) {
        run(bytes, ZSTD_e_continue);
        unflushed_ += bytes.size();
        // Flushing now and then makes `produced_` exact up to here, at a negligible cost in ratio.
        if (unflushed_ >= flush_every_) {
            run({}, ZSTD_e_flush);
            flushed_ += unflushed_;
            unflushed_ = 0;
        }
    }
    /// Compressed bytes so far: exact up to the last flush; input since then is counted at 1.5 times
    /// the ratio seen so far (or uncompressed before the first flush), to err on the large side.
    std::uint64_t estimate() const {
        double ratio = flushed_ ? std::min(1.0, 1.5 * double(produced_) / double(flushed_)) : 1.0;
        return produced_ + std::uint64_t(std::ceil(double(unflushed_) * ratio));
    }

  private:
    struct Free {
        void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
    };
    void run(std::string_view bytes, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
        for (;;) {
            ZSTD_outBuffer out{out_.data(), out_.size(), 0};
            std::size_t left = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
            if (ZSTD_isError(left)) throw Error("zstd failed while sizing an export volume");
            produced_ += out.pos;
            if (in.pos == in.size && (mode == ZSTD_e_continue || left == 0)) break;
        }
    }
    std::unique_ptr<ZSTD_CCtx, Free> cctx_;
    std::vector<char> out_;
    std::uint64_t flush_every_;
    std::uint64_t produced_ = 0, flushed_ = 0, unflushed_ = 0;
};

struct SummaryKey {
    std::string model, version, label, hour;
    auto operator<=>(const SummaryKey&) const = default;
};

struct Volume {
    Volume(const Store& store, std::uint64_t limit, int level)
        : dir(store.staging_dir(), "export-"), budget(limit),
          counter(level, std::clamp<std::uint64_t>(limit / 16, 16u << 10, 1u << 20)) {
        fs::create_directories(dir.path() / "data");
    }

    bool fits(const RowLines& row) {
        std::uint64_t bytes = 0;
        for (const auto& [file, line] : row.lines)
            bytes += line.size() + 1;
        // Room for tar headers, tag files, the summary and models files, and the estimate's slack.
        std::uint64_t margin = 16384 + budget / 100 + summary.size() * 160 + models.size() * 4096;
        // Compressing only to learn the size was a tenth of an export's time, for a budget that is
        // usually the whole disk: as long as even zstd's worst case (no compression at all) fits, it
        // is not needed. Once it is, what is staged so far is compressed first.
        if (!counting && ZSTD_compressBound(raw) + bytes + margin > budget) start_counting();
        return estimate() + bytes + margin <= budget;
    }

    /// The compressed size of what is staged: zstd's bound until it had to be counted.
    std::uint64_t estimate() const { return counting ? counter.estimate() : ZSTD_compressBound(raw); }

    /// Adds a row; `previous` is the id of the row of this category before it (0 if none), which
    /// opens this volume's range for the category when it is the first.
    void add(const std::string& category, const RowLines& row, std::int64_t previous) {
        for (const auto& [file, line] : row.lines) {
            auto it = files.find(file);
            if (it == files.end()) it = files.emplace(file, HashedFile(dir.path() / file, file)).first;
            it->second.write_line(line);
            raw += line.size() + 1;
            if (counting) counter.feed(line);
        }
        auto& range = ranges[category];
        if (range.is_null()) range = {previous, row.id};
        range[1] = row.id;
        ++counts[category];
        if (!row.model.empty()) {
            models.insert({row.model, row.version});
            auto& s = summary[{row.model, row.version, row.label, row.hour}];
            ++s.first;
            s.second += row.anomaly;
        }
    }

    bool empty() const { return counts.empty(); }

    void start_counting() {
        for (auto& [name, file] : files) {
            file.flush();
            File staged = File::open_read(dir.path() / name);
            std::vector<char> chunk(1 << 20);
            while (std::size_t n = staged.read_some(chunk.data(), chunk.size()))
                counter.feed(std::string_view(chunk.data(), n));
        }
        counting = true;
    }

    TempDir dir;
    std::uint64_t budget;
    std::map<std::string, HashedFile> files;
    CompressedSizeCounter counter;
    bool counting = false;  ///< whether `counter` has been fed everything staged
    std::uint64_t raw = 0;  ///< bytes staged
    Json ranges = Json::object();
    std::map<std::string, std::int64_t> counts;
    std::set<std::pair<std::string, std::string>> models;
    std::map<SummaryKey, std::pair<std::int64_t, std::int64_t>> summary;
    std::vector<BagFile> payload;  ///< after finish_payload
};

// Writes the derived files (models, summary) and closes the payload files.
void finish_payload(Store& store, Volume& v, bool with_summary) {
    auto write = [&](const std::string& file, const std::string& line) {
        auto it = v.files.find(file);
        if (it == v.files.end()) it = v.files.emplace(file, HashedFile(v.dir.path() / file, file)).first;
        it->second.write_line(line);
    };
    Statement model(store.db(), "SELECT digest, signer, imported_at, spec FROM models WHERE name = ? AND version = ?");
    for (const auto& [name, version] : v.models) {
        model.bind(1, name).bind(2, version);
        if (model.step())
            write("data/models.ndjson", Json{{"site", store.site()},
                                             {"model", name},
                                             {"model_version", version},
                                             {"digest", model.column_text(0)},
                                             {"signer", optional_text(model, 1)},
                                             {"imported_at", model.column_text(2)},
                                             {"spec", Json::parse(model.column_view(3))}}
                                            .dump());
        model.reset();
    }
    if (with_summary)
        for (const auto& [k, n] : v.summary)
            write("data/summary.ndjson", Json{{"site", store.site()},
                                              {"model", k.model},
                                              {"model_version", k.version},
                                              {"label", k.label.empty() ? Json() : Json(k.label)},
                                              {"hour", k.hour},
                                              {"insights", n.first},
                                              {"anomalies", n.second}}
                                             .dump());
    for (auto& [name, file] : v.files)
        v.payload.push_back(file.finish());
}

std::uint64_t free_bytes(const fs::path& dir) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0)
        throw Error("cannot read the free space of '" + dir.string() + "': " + std::strerror(errno));
    return std::uint64_t(st.f_bavail) * st.f_frsize;
}

void check_target(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error("export target '" + dir.string() + "' does not exist or is not a directory");
    if (::access(dir.c_str(), W_OK) != 0)
        throw Error("cannot write to export target '" + dir.string() + "': " + std::strerror(errno));
}

// ---------------------------------------------------------------------------------------------
// Planning: fill volumes in priority order until the rows run out or the target's space does.

struct Planned {
    std::vector<std::unique_ptr<Volume>> volumes;
    std::int64_t max_insight_id = 0;
    std::int64_t left_pending = 0;
};

Planned plan_volumes(Store& store, const ExportOptions& o, const fs::path& target) {
    Db& db = store.db();
    Planned p;
    p.max_insight_id = query_int(db, "SELECT coalesce(max(id), 0) FROM insights");
    std::uint64_t space = free_bytes(target), used = 0;
    // The next volume's budget: the volume limit, within what is left on the disk.
    auto next_budget = [&]() -> std::uint64_t {
        std::uint64_t reserve = (p.volumes.size() + 1) * sidecar_reserve;
        std::uint64_t left = space > used + reserve ? space - used - reserve : 0;
        return o.max_bytes ? std::min(o.max_bytes, left) : left;
    };
    auto open_volume = [&]() -> Volume* {
        std::uint64_t budget = next_budget();
        if (budget < min_volume_bytes) return nullptr;
        p.volumes.push_back(std::make_unique<Volume>(store, budget, o.level));
        return p.volumes.back().get();
    };
    Volume* v = nullptr;
    ExportRecords records(store.site());
    bool out_of_space = false;
    for (const auto& category : export_categories) {
        if (!o.include.count(category)) continue;
        const CategorySql& sql = category_sql(category);
        std::int64_t hi = query_int(db, sql.max_id);
        Statement rows(db, sql.select);
        rows.bind(1, std::int64_t(0)).bind(2, hi).bind(3, p.max_insight_id);
        std::int64_t last = 0;
        while (!out_of_space && rows.step()) {
            RowLines row = serialise(category, rows, records, store.site());
            if (!v && !(v = open_volume())) {
                out_of_space = true;
                break;
            }
            if (!v->fits(row) && !v->empty()) {
                used += v->estimate() + 16384;  // the full volume, closed
                if (!(v = open_volume())) {
                    out_of_space = true;
                    break;
                }
            }
            if (!v->fits(row)) {  // not even in an empty volume
                if (o.max_bytes && v->budget == o.max_bytes)
                    throw Error("a " + category + " record (id " + std::to_string(row.id) +
                                ") is larger than --max-bytes allows");
                out_of_space = true;
                break;
            }
            v->add(category, row, last);
            last = row.id;
        }
        if (out_of_space) {
            Statement left(db, "SELECT count(*) FROM (" + sql.select + ")");
            left.bind(1, last).bind(2, hi).bind(3, p.max_insight_id);
            p.left_pending += left.step() ? left.column_int(0) : 0;
        }
    }
    if (!p.volumes.empty() && p.volumes.back()->empty()) p.volumes.pop_back();
    return p;
}

// ---------------------------------------------------------------------------------------------
// Writing, checking and finishing one volume.

std::vector<BagFile> write_tags(Store& store, const Ledger& l, const fs::path& dir,
                                const std::vector<BagFile>& payload) {
    std::uint64_t bytes = 0;
    for (const auto& f : payload)
        bytes += f.size;
    std::vector<std::pair<std::string, std::string>> info = {
        {"Source-Organization", store.site()},
        {"Bagging-Date", utc_date()},
        {"Payload-Oxum", std::to_string(bytes) + "." + std::to_string(payload.size())},
        {"External-Identifier", l.name},
        {"Bag-Group-Identifier", l.group_id},
        {"Bag-Count", std::to_string(l.volume) + " of " + std::to_string(l.volumes)},
        {"Edgectl-Version", EDGECTL_VERSION},
        {"Edgectl-Export-Sequence", std::to_string(l.seq)},
        {"Edgectl-Export-Nonce", l.nonce},
        {"Edgectl-Previous-Tagmanifest-SHA256", previous_tagmanifest(store.db(), l.seq)}};
    // Records per payload file: insights.ndjson holds the anomalies too.
    auto count = [&](const char* c) { return l.counts.value(c, std::int64_t(0)); };
    info.push_back({"Edgectl-Insights", std::to_string(count("anomalies") + count("insights"))});
    info.push_back({"Edgectl-Anomalies", std::to_string(count("anomalies"))});
    if (l.counts.contains("items")) info.push_back({"Edgectl-Items", std::to_string(count("items"))});
    if (l.counts.contains("quarantine")) info.push_back({"Edgectl-Quarantine", std::to_string(count("quarantine"))});
    std::vector<std::pair<std::string, std::string>> texts = {
        {"bagit.txt", bagit_txt()}, {"bag-info.txt", bag_info(info)}, {"manifest-sha256.txt", bag_manifest(payload)}};
    std::vector<BagFile> tags;
    // Staged files need no durability: only the archive made of them must survive a crash.
    auto stage = [&](const std::string& name, const std::string& text) {
        File f = File::create_new(dir / name, 0600);
        f.write_all(text);
        f.close();
    };
    for (const auto& [name, text] : texts) {
        stage(name, text);
        tags.push_back({name, sha256_hex(text), text.size()});
    }
    std::string tagmanifest = bag_manifest(tags);
    stage("tagmanifest-sha256.txt", tagmanifest);
    tags.push_back({"tagmanifest-sha256.txt", sha256_hex(tagmanifest), tagmanifest.size()});
    return tags;
}

// A volume's archive, written under a temporary name on the target and read back whole through the
// same descriptor: what was verified is exactly what is then digested, signed, recorded and named.
struct Sealed {
    File file;              ///< open read-write (written) or read-only (found on the target)
    ReadBag read;           ///< the bag's verification and the digests of the bytes verified
    bool recorded = false;  ///< its digest is in the ledger: from now on only recovery may remove it
};

// Builds the archive under a temporary name on the target, durable, and reads it back.
Sealed write_archive(const Ledger& l, const fs::path& staging, const std::vector<BagFile>& files, int level) {
    fs::path partial = partial_path(l.target, l.name);
    UnlinkGuard guard(partial);
    File out = File::create_new(partial, 0644, true);
    ArchiveWriter writer(out, level, std::int64_t(std::time(nullptr)));
    writer.add_directory(l.name);
    writer.add_directory(l.name + "/data");
    for (const auto& f : files)
        writer.add_file_from(l.name + "/" + f.path, staging / f.path);
    writer.close();
    out.sync("export.archive");
    fsync_dir(l.target, "export.archive");
    out.rewind();
    ReadBag read = read_bag(out, l.name);
    guard.dismiss();
    return {std::move(out), std::move(read)};
}

// The site's key signs its exports. It is made once, by init: a missing key is an error, never a
// reason to make another, since the receiving side knows the site by its key.
minisign::SecretKey site_key(const Store& store) {
    if (!fs::exists(store.site_key_path()))
        throw Error("the site's signing key '" + store.site_key_path().string() +
                    "' is missing, so exports cannot be signed: restore it (and site.pub) from a backup; a new key "
                    "would make the receiving side refuse this site's exports");
    return minisign::parse_secret_key(read_file(store.site_key_path(), 4096), store.site_key_path().string(),
                                      std::nullopt);
}

// Records a volume's digest in its pending ledger row before the archive gets its final name: a
// later run finishes the volume only if the archive under that name has exactly these bytes.
void record_digest(Db& db, const Ledger& l, const ReadBag& read) {
    Transaction tx(db, "export.digest");
    Statement put(db, "UPDATE exports SET digest = ?, bytes = ? WHERE seq = ? AND state = 'pending'");
    put.bind(1, read.sha256).bind(2, std::int64_t(read.size)).bind(3, l.seq).run();
    tx.commit();
}

// Writes the digest and the signature of a verified archive beside it and, unless it is there
// already (a recovered volume), gives it its final name. With the ledger row pending, its digest is
// recorded first.
ExportedArchive place(Store& store, const Ledger& l, Sealed& s, bool pending) {
    const BagReport& report = s.read.report;
    if (!report.ok())
        throw Error("export '" + s.file.path().string() +
                    "' failed verification after writing: " + report.problems.front());
    ExportedArchive a;
    a.seq = l.seq;
    a.name = l.name;
    a.path = archive_path(l.target, l.name);
    // Whatever holds the final name keeps it, sidecars included, unless it is this very file.
    if (s.file.path() != a.path && fs::exists(a.path))
        throw Error("export target already holds '" + a.path.string() + "'; refusing to overwrite it");
    a.volume = l.volume;
    a.volumes = l.volumes;
    for (const auto& [k, v] : l.counts.items())
        a.counts[k] = v.get<std::int64_t>();
    a.bytes = s.read.size;
    a.sha256 = s.read.sha256;
    std::string comment = "edgectl export " + l.name + " site:" + store.site() + " seq:" + std::to_string(l.seq) +
                          " volume:" + std::to_string(l.volume) + "/" + std::to_string(l.volumes) +
                          " sha256:" + a.sha256;
    std::string signature = minisign::sign_prehashed(site_key(store), s.read.prehash, comment,
                                                     "signature from edgectl site " + store.site());
    // Sidecars are written (their space taken) before the archive gets its final name, so a full disk
    // fails with no archive under a final name.
    AtomicFile digest_file(a.path.string() + ".sha256", 0644, "export.sidecar");
    digest_file.write(a.sha256 + "  " + a.path.filename().string() + "\n");
    AtomicFile signature_file(a.path.string() + ".minisig", 0644, "export.sidecar");
    signature_file.write(signature);
    if (pending) {
        record_digest(store.db(), l, s.read);
        s.recorded = true;
    }
    // The sidecars get their names before the archive: an archive under its final name always has
    // them (a resend killed in between is simply run again), and a pending volume's are written
    // again by the run that finishes it.
    digest_file.commit();
    signature_file.commit();
    if (s.file.path() != a.path) {
        try {
            name_open_file(s.file, a.path, "export.archive");
        } catch (const Error& e) {
            if (file_id(a.path) != s.file.id()) {  // not named: its sidecars go too
                ::unlink((a.path.string() + ".sha256").c_str());
                ::unlink((a.path.string() + ".minisig").c_str());
            }
            throw Error("cannot finish export " + l.name + ": " + e.what());
        }
    }
    return a;
}

// Marks a placed volume's rows and completes its ledger row, in one transaction.
void mark_exported(Db& db, const Ledger& l, const ExportedArchive& a, const std::string& tagmanifest) {
    Transaction tx(db, "export.mark");
    std::int64_t rows = 0;
    const Json ranges = l.plan.value("ranges", Json::object());  // items() must not outlive its object
    for (const auto& [category, range] : ranges.items()) {
        Statement mark(db, category_sql(category).mark);
        mark.bind(1, l.seq).bind(2, range[0].get<std::int64_t>()).bind(3, range[1].get<std::int64_t>());
        mark.bind(4, l.max_insight_id).run();
        rows += db.changes();
    }
    Statement done(db,
                   "UPDATE exports SET state = 'complete', rows = ?, bytes = ?, digest = ?, tagmanifest_digest = ?, "
                   "completed_at = ? WHERE seq = ?");
    done.bind(1, rows).bind(2, std::int64_t(a.bytes)).bind(3, a.sha256).bind(4, tagmanifest);
    done.bind(5, now_utc()).bind(6, l.seq).run();
    tx.commit();
}

// Places a verified archive and marks its rows. The one verification pass (the archive re-read
// after writing) also yields the tag-manifest digest the ledger chains on.
ExportedArchive finish(Store& store, const Ledger& l, Sealed& s) {
    ExportedArchive a = place(store, l, s, true);
    mark_exported(store.db(), l, a, s.read.report.tagmanifest_sha256);
    return a;
}

// The export name in a file name of this site's on a target ('<site>-<seq>' of
// '<site>-<seq>.tar.zst...', or of '.<site>-<seq>.tar.zst...' for a temporary), or "" if it is none.
std::string export_name_in(const std::string& file, const std::string& site) {
    std::size_t start = file.starts_with('.') ? 1 : 0;
    std::size_t end = file.find(".tar.zst", start);
    if (end == std::string::npos || file.compare(start, site.size() + 1, site + "-") != 0) return {};
    std::string seq = file.substr(start + site.size() + 1, end - start - site.size() - 1);
    bool digits = seq.size() >= 6 && std::all_of(seq.begin(), seq.end(), [](char c) { return c >= '0' && c <= '9'; });
    return digits ? file.substr(start, end - start) : std::string();
}

// Removes what killed runs left on a target, of this site only: archives being written
// ('.<name>.tar.zst.partial'), sidecars not yet renamed ('.<name>.tar.zst.sha256.tmp-PID'), and
// sidecars named for an archive that is not there (a volume forgotten or abandoned after its
// sidecars were named); with `only`, those of that export alone. Call under the export lock, with
// no pending volume left on this target but `only`, so that none of it is live.
void sweep_target(const fs::path& target, const std::string& site, const std::string& only = {}) {
    std::error_code ec;
    if (!fs::is_directory(target, ec)) return;
    for (const auto& entry : fs::directory_iterator(target, ec)) {
        std::string file = entry.path().filename().string();
        std::string name = export_name_in(file, site);
        if (name.empty() || (!only.empty() && name != only)) continue;
        bool temporary =
            file.starts_with('.') && (file.ends_with(".partial") || file.find(".tmp-") != std::string::npos);
        bool orphan = !file.starts_with('.') &&
                      (file.ends_with(".tar.zst.sha256") || file.ends_with(".tar.zst.minisig")) &&
                      !fs::exists(archive_path(target, name), ec);
        if (temporary || orphan) remove_durably(entry.path(), "export.sweep");
    }
}

std::string pending_help(const Ledger& l) {
    return "; mount the disk it was written to and run 'edgectl export' again, or, if that archive is lost, "
           "'edgectl exports abandon " +
           std::to_string(l.seq) + "' (its rows then go out in the next export)";
}

// Forgets a pending volume that provably never got its final name: nothing of it shipped, and its
// sequence number is used again.
void forget(Db& db, const Ledger& l) {
    Transaction tx(db, "export.forget");
    Statement drop(db, "DELETE FROM exports WHERE seq = ? AND state = 'pending'");
    drop.bind(1, l.seq).run();
    tx.commit();
}

// The rows of a ledger row's volume, staged as when it was first made: those marked with its
// sequence (a complete export, resent), or those in its plan's ranges (a pending one, written again).
std::unique_ptr<Volume> restage(Store& store, const Ledger& l, int level) {
    bool complete = l.state == "complete";
    std::set<std::string> include;
    for (const auto& i : l.plan.value("include", Json::array()))
        include.insert(i.get<std::string>());
    const Json ranges = l.plan.value("ranges", Json::object());
    auto v = std::make_unique<Volume>(store, 0, level);
    ExportRecords records(store.site());
    for (const auto& category : export_categories) {
        if (!include.count(category) || (!complete && !ranges.contains(category))) continue;
        const CategorySql& sql = category_sql(category);
        Statement rows(store.db(), complete ? sql.resend : sql.select);
        std::int64_t previous = 0;
        if (complete) {
            rows.bind(1, l.seq);
        } else {
            previous = ranges[category][0].get<std::int64_t>();
            rows.bind(1, previous).bind(2, ranges[category][1].get<std::int64_t>()).bind(3, l.max_insight_id);
        }
        for (; rows.step(); previous = rows.column_int(0))
            v->add(category, serialise(category, rows, records, store.site()), previous);
    }
    finish_payload(store, *v, include.count("summary") > 0);
    return v;
}

// Whether a restaged volume holds the very payload its plan recorded (the rows may have changed
// since, by purge).
bool matches_plan(const Volume& v, const Ledger& l) {
    return sha256_hex(bag_manifest(v.payload)) == l.plan.value("manifest_sha256", std::string());
}

// Writes a staged volume's bag as an archive on its target, and reads it back.
Sealed seal(Store& store, const Ledger& l, Volume& v, int level) {
    std::vector<BagFile> files = write_tags(store, l, v.dir.path(), v.payload);
    files.insert(files.end(), v.payload.begin(), v.payload.end());
    return write_archive(l, v.dir.path(), files, level);
}

// Writes a pending volume that never got its name again, from its plan: the same rows under the
// same sequence, nonce and place in its group (k of n), so that a group interrupted midway is still
// whole. Only on the target it was planned for, on the filesystem it was planned on (not the empty
// mount point of a disk taken away), and only if its rows have not changed meanwhile (purge
// --force); otherwise it is forgotten and its rows planned anew.
std::optional<ExportedArchive> rebuild_volume(Store& store, const Ledger& l, const fs::path& to, int level) {
    std::error_code ec;
    bool same_place = l.target == fs::absolute(to) && l.plan.contains("target_device") &&
                      l.plan["target_device"].get<std::int64_t>() == device_of(l.target);
    if (!same_place || fs::exists(archive_path(l.target, l.name), ec)) return forget(store.db(), l), std::nullopt;
    sweep_target(l.target, store.site(), l.name);
    std::unique_ptr<Volume> v = restage(store, l, level);
    if (!matches_plan(*v, l)) return forget(store.db(), l), std::nullopt;
    Sealed s = seal(store, l, *v, level);
    UnlinkGuard partial(s.file.path());
    try {
        ExportedArchive a = finish(store, l, s);
        partial.dismiss();
        a.recovered = true;
        log::warning("wrote export " + l.name + " again, for an interrupted run");
        return a;
    } catch (...) {
        if (s.recorded) partial.dismiss();
        throw;
    }
}

// Finishes what an interrupted run left of one volume. Its digest is recorded before any of its
// files is named, and naming takes the archive's temporary name away. So: no digest, or a temporary
// archive that is not the recorded one, means it was never named, and it is written again from its
// plan; the temporary archive holding exactly the recorded bytes is named now; the archive under
// its final name is finished only if it holds exactly the recorded bytes; and with neither file
// there (a disk not mounted, a mount point left empty), the volume stays pending and export stops,
// until that archive is found or the operator abandons it. A volume left pending by an edgectl
// that named archives before recording their digest (store schema 4, plan marked 'legacy') is
// finished, as that version did, if its archive is a valid bag with its nonce.
std::optional<ExportedArchive> recover_volume(Store& store, const Ledger& l, const fs::path& to, int level) {
    fs::path archive = archive_path(l.target, l.name), partial = partial_path(l.target, l.name);
    std::error_code ec;
    bool legacy = l.plan.value("legacy", false) && !l.digest;
    bool named = fs::exists(archive, ec), temporary = !named && fs::exists(partial, ec);
    if (!l.digest && !legacy) return rebuild_volume(store, l, to, level);
    if (!named && !temporary)
        throw Error("export " + l.name + " is unfinished, and its archive is not at '" + archive.string() + "'" +
                    pending_help(l));
    if (legacy && !named) return forget(store.db(), l), std::nullopt;  // never named by that version
    Sealed s{File::open_regular(named ? archive : partial), {}};
    s.read = read_bag(s.file, l.name);
    auto nonce = s.read.report.info.find("Edgectl-Export-Nonce");
    bool ours = s.read.report.ok() && nonce != s.read.report.info.end() && nonce->second == l.nonce &&
                (legacy || s.read.sha256 == *l.digest);
    if (!ours && temporary) return rebuild_volume(store, l, to, level);
    if (!ours)
        throw VerifyError("'" + archive.string() + "' is not the archive export " + l.name + " wrote (its SHA-256 is " +
                          s.read.sha256 + ", the ledger recorded " + l.digest.value_or("none") +
                          "): it is neither signed nor marked; move it aside" + pending_help(l));
    ExportedArchive a = place(store, l, s, false);
    mark_exported(store.db(), l, a, s.read.report.tagmanifest_sha256);
    a.recovered = true;
    log::warning("finished export " + l.name + " left by an interrupted run");
    return a;
}

std::vector<ExportedArchive> recover(Store& store, const fs::path& to, int level) {
    std::vector<Ledger> pending;
    {
        Statement stmt(store.db(), std::string(ledger_columns) + "FROM exports WHERE state = 'pending' ORDER BY seq");
        while (stmt.step())
            pending.push_back(read_ledger(stmt));
    }
    std::vector<ExportedArchive> done;
    std::set<fs::path> targets;
    for (const auto& l : pending) {
        if (auto a = recover_volume(store, l, to, level)) done.push_back(*a);
        targets.insert(l.target);
    }
    for (const auto& target : targets)
        sweep_target(target, store.site());
    return done;
}

// Builds, places and finishes each planned volume in turn.
void write_volumes(Store& store, const ExportOptions& o, Planned& p, ExportResult& result) {
    Db& db = store.db();
    std::vector<Ledger> ledgers;
    std::int64_t first = query_int(db, "SELECT coalesce(max(seq), 0) + 1 FROM exports");
    fs::path target = fs::absolute(o.to);
    Json include = Json::array();
    for (const auto& i : o.include)
        include.push_back(i);
    for (std::size_t k = 0; k < p.volumes.size(); ++k) {
        Volume& v = *p.volumes[k];
        finish_payload(store, v, o.include.count("summary") > 0);
        Ledger l;
        l.seq = first + std::int64_t(k);
        l.name = export_name(store.site(), l.seq);
        l.group_id = export_name(store.site(), first);
        l.nonce = random_hex(16);
        l.target = target;
        l.max_insight_id = p.max_insight_id;
        l.volume = int(k + 1);
        l.volumes = int(p.volumes.size());
        l.plan = {{"include", include},
                  {"ranges", v.ranges},
                  {"manifest_sha256", sha256_hex(bag_manifest(v.payload))},
                  {"target_device", device_of(target)}};
        l.counts = v.counts;
        require(!fs::exists(archive_path(target, l.name)), "export target already holds '" +
                                                               archive_path(target, l.name).string() +
                                                               "'; refusing to overwrite it");
        ledgers.push_back(l);
    }
    {
        Transaction tx(db, "export.plan");
        Statement add(db, "INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at, group_id, "
                          "volume, volumes, plan, counts) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)");
        for (const auto& l : ledgers) {
            add.bind(1, l.seq).bind(2, l.name).bind(3, l.nonce).bind(4, l.target.string()).bind(5, l.max_insight_id);
            add.bind(6, now_utc()).bind(7, l.group_id).bind(8, l.volume).bind(9, l.volumes);
            add.bind(10, l.plan.dump()).bind(11, l.counts.dump()).run();
        }
        tx.commit();
    }
    for (std::size_t k = 0; k < ledgers.size(); ++k) {
        const Ledger& l = ledgers[k];
        try {
            Sealed s = seal(store, l, *p.volumes[k], o.level);
            UnlinkGuard partial(s.file.path());
            // The size estimate errs on the large side; should it ever not, the volume is refused.
            if (s.read.size > p.volumes[k]->budget)
                throw Error("volume " + l.name + " came out at " + std::to_string(s.read.size) +
                            " bytes, over its budget of " + std::to_string(p.volumes[k]->budget) +
                            "; nothing was marked");
            try {
                result.archives.push_back(finish(store, l, s));
            } catch (...) {
                // With its digest recorded, the volume is the next run's to finish or write again,
                // from whatever is under its names then.
                if (s.recorded) partial.dismiss();
                throw;
            }
            partial.dismiss();
        } catch (...) {
            // Volumes whose digest was never recorded never got a name, nor shipped anything:
            // forget them, so that the next run plans their rows anew (the disk may be fuller by
            // then). One whose digest was recorded may have: the next run's recovery decides.
            Transaction tx(db, "export.forget");
            Statement drop(db, "DELETE FROM exports WHERE seq = ? AND state = 'pending' AND digest IS NULL");
            for (std::size_t j = k; j < ledgers.size(); ++j)
                drop.bind(1, ledgers[j].seq).run();
            tx.commit();
            throw;
        }
    }
}

// Rebuilds a complete export from the rows marked with its sequence: same rows, same payload bytes.
ExportedArchive resend(Store& store, const ExportOptions& o) {
    Statement stmt(store.db(), std::string(ledger_columns) + "FROM exports WHERE seq = ? AND state = 'complete'");
    stmt.bind(1, o.resend);
    if (!stmt.step())
        throw Error("export " + std::to_string(o.resend) + " is not a complete export (see 'edgectl exports list')");
    Ledger l = read_ledger(stmt);
    l.target = fs::absolute(o.to);
    sweep_target(l.target, store.site(), l.name);  // what a killed resend of it left
    require(!fs::exists(archive_path(l.target, l.name)),
            "export target already holds '" + archive_path(l.target, l.name).string() + "'; refusing to overwrite it");
    std::unique_ptr<Volume> v = restage(store, l, o.level);
    if (!matches_plan(*v, l))
        throw Error("the rows of export " + l.name +
                    " have changed since it was made (purged?); it cannot be resent identically");
    Sealed s = seal(store, l, *v, o.level);
    UnlinkGuard partial(s.file.path());
    ExportedArchive a = place(store, l, s, false);
    partial.dismiss();
    a.resent = true;
    return a;
}

}  // namespace

std::string export_name(const std::string& site, std::int64_t seq) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(seq));
    return site + "-" + buf;
}

std::uint64_t parse_size(const std::string& text) {
    std::size_t end = 0;
    double value = 0;
    try {
        value = std::stod(text, &end);
    } catch (const std::exception&) { end = 0; }
    std::string unit = text.substr(end);
    static const std::map<std::string, double> units = {{"", 1},
                                                        {"B", 1},
                                                        {"K", 1024.0},
                                                        {"KiB", 1024.0},
                                                        {"M", 1048576.0},
                                                        {"MiB", 1048576.0},
                                                        {"G", 1073741824.0},
                                                        {"GiB", 1073741824.0},
                                                        {"T", 1099511627776.0},
                                                        {"TiB", 1099511627776.0}};
    auto it = units.find(unit);
    if (end == 0 || it == units.end() || !(value > 0))
        throw Error("'" + text + "' is not a size (e.g. 500M, 4G, 1T)", Exit::usage);
    return std::uint64_t(std::llround(value * it->second));
}

ExportResult export_next(Store& store, const ExportOptions& o) {
    for (const auto& i : o.include)
        require(export_includes.count(i) > 0,
                "--include: unknown '" + i + "' (use anomalies, insights, items, quarantine, summary)", Exit::usage);
    require(o.max_bytes == 0 || o.max_bytes >= min_volume_bytes, "--max-bytes must be at least 64K", Exit::usage);
    ExportResult result;
    result.dry_run = o.dry_run;
    check_target(o.to);
    store.clear_staging("export-");
    if (o.resend > 0) {
        result.archives.push_back(resend(store, o));
        return result;
    }
    if (!o.dry_run) {
        // What interrupted runs left: finished, forgotten, or (pending, its archive not found) an error.
        auto recovered = recover(store, o.to, o.level);
        result.archives.insert(result.archives.end(), recovered.begin(), recovered.end());
        sweep_target(o.to, store.site());
    }
    Planned p = plan_volumes(store, o, o.to);
    result.left_pending = p.left_pending;
    if (p.volumes.empty() && p.left_pending > 0)
        throw Error("export target '" + o.to.string() + "' has " + std::to_string(free_bytes(o.to)) +
                    " bytes free: not enough for any archive");
    if (o.dry_run) {
        std::int64_t seq = query_int(store.db(), "SELECT coalesce(max(seq), 0) + 1 FROM exports");
        for (std::size_t k = 0; k < p.volumes.size(); ++k) {
            ExportedArchive a;
            a.seq = seq + std::int64_t(k);
            a.name = export_name(store.site(), a.seq);
            a.path = archive_path(fs::absolute(o.to), a.name);
            a.volume = int(k + 1);
            a.volumes = int(p.volumes.size());
            a.counts = p.volumes[k]->counts;
            // Planned exactly as a real export plans (the same cuts); only the report wants the
            // compressed size of a volume whose budget never needed it.
            if (!p.volumes[k]->counting) p.volumes[k]->start_counting();
            a.bytes = p.volumes[k]->estimate();
            result.archives.push_back(a);
        }
        return result;
    }
    write_volumes(store, o, p, result);
    return result;
}

std::vector<ExportRecord> list_exports(Db& db) {
    Statement stmt(db,
                   "SELECT seq, name, state, started_at, completed_at, acked_at, digest, volume, volumes, rows, bytes "
                   "FROM exports ORDER BY seq");
    std::vector<ExportRecord> out;
    while (stmt.step())
        out.push_back({stmt.column_int(0), stmt.column_text(1), stmt.column_text(2), stmt.column_text(3),
                       stmt.column_optional_text(4), stmt.column_optional_text(5), stmt.column_optional_text(6),
                       int(stmt.column_int(7)), int(stmt.column_int(8)), stmt.column_int(9), stmt.column_int(10)});
    return out;
}

void ack_exports(Db& db, const std::vector<std::int64_t>& seqs) {
    Transaction tx(db, "ack");
    Statement ack(db, "UPDATE exports SET acked_at = coalesce(acked_at, ?) WHERE seq = ? AND state = 'complete'");
    for (auto seq : seqs) {
        ack.bind(1, now_utc()).bind(2, seq).run();
        if (db.changes() == 0)
            throw Error("export " + std::to_string(seq) + " is not a complete export (see 'edgectl exports list')");
    }
    tx.commit();
}

void abandon_export(Store& store, std::int64_t seq) {
    Db& db = store.db();
    Statement find(db, std::string(ledger_columns) + "FROM exports WHERE seq = ? AND state <> 'complete'");
    find.bind(1, seq);
    if (!find.step())
        throw Error("export " + std::to_string(seq) +
                    " is not pending; only an unfinished export can be abandoned "
                    "(see 'edgectl exports list')");
    Ledger l = read_ledger(find);
    find.reset();
    // An archive that is there after all, with the recorded bytes, is not lost: abandoning it would
    // ship its rows twice.
    fs::path archive = archive_path(l.target, l.name);
    std::error_code ec;
    if (l.state == "pending" && l.digest && fs::is_regular_file(archive, ec)) {
        File file = File::open_regular(archive);
        if (read_bag(file, l.name).sha256 == *l.digest)
            throw Error("export " + l.name + " is not lost: its archive is at '" + archive.string() +
                        "'; run 'edgectl export' to finish it");
    }
    if (l.state == "pending") {  // abandoned already: a run killed before its sweep; only that is left
        Transaction tx(db, "exports.abandon");
        Statement abandon(
            db, "UPDATE exports SET state = 'abandoned', abandoned_at = ? WHERE seq = ? AND state = 'pending'");
        abandon.bind(1, now_utc()).bind(2, seq).run();
        tx.commit();
    }
    // What it left on its target, if that is here: never its archive, should it be there after all.
    sweep_target(l.target, store.site(), l.name);
}

PurgeResult purge(Store& store, double days, bool force) {
    require(days >= 0, "--older-than must be a number of days, 0 or more", Exit::usage);
    // Times are stored to the second: a row stamped in the cutoff's own second is old enough (so
    // --older-than 0 takes everything acknowledged, even what was written a moment ago).
    std::time_t cutoff_t = std::time(nullptr) - std::time_t(days * 86400);
    std::tm tm{};
    gmtime_r(&cutoff_t, &tm);
    char cutoff[32];
    std::strftime(cutoff, sizeof cutoff, "%Y-%m-%dT%H:%M:%SZ", &tm);
    // Without --force, only rows whose export the receiving side acknowledged go.
    std::string acked = force ? "1" : "export_seq IN (SELECT seq FROM exports WHERE acked_at IS NOT NULL)";
    Db& db = store.db();
    PurgeResult r;
    Transaction tx(db, "purge");
    // The ids of what goes are never given again: exports and score cursors rely on ids that grow.
    raise_id_floors(db);
    auto run = [&](const std::string& sql) {
        Statement s(db, sql);
        s.bind(1, std::string_view(cutoff)).run();
        return std::int64_t(db.changes());
    };
    r.insights = run("DELETE FROM insights WHERE scored_at <= ?1 AND " + acked);
    r.quarantine = run("DELETE FROM quarantine WHERE created_at <= ?1 AND " + acked);
    // An item goes only when nothing refers to it any more.
    r.items = run("DELETE FROM items WHERE ingest_id IN (SELECT id FROM ingests WHERE ingested_at <= ?1) AND " + acked +
                  " AND NOT EXISTS (SELECT 1 FROM insights s WHERE s.item_id = items.id)"
                  " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.item_id = items.id)");
    tx.commit();
    return r;
}

Json to_json(const ExportResult& r) {
    Json archives = Json::array();
    for (const auto& a : r.archives)
        archives.push_back({{"seq", a.seq},
                            {"name", a.name},
                            {"path", a.path.string()},
                            {"volume", a.volume},
                            {"volumes", a.volumes},
                            {"rows", a.counts},
                            {"bytes", a.bytes},
                            {"sha256", a.sha256.empty() ? Json() : Json(a.sha256)},
                            {"recovered", a.recovered},
                            {"resent", a.resent}});
    return {{"archives", archives}, {"dry_run", r.dry_run}, {"left_pending", r.left_pending}};
}

Json to_json(const std::vector<ExportRecord>& exports) {
    Json out = Json::array();
    auto opt = [](const std::optional<std::string>& s) { return s ? Json(*s) : Json(); };
    for (const auto& e : exports)
        out.push_back({{"seq", e.seq},
                       {"name", e.name},
                       {"state", e.state},
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
