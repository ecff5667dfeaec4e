#include "ingest.hpp"

#include "ingest_reader.hpp"
#include "error.hpp"
#include "log.hpp"
#include "pipe.hpp"
#include "policy.hpp"
#include "sha256.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <set>

namespace edgectl {
namespace {

// Writes one file's records into the store, committing every `batch` records. Reading, scrubbing
// and formatting run on a second thread (RecordReader); this thread only writes. Every commit
// carries the file's progress (sources.done) with the records it covers, the last one too: a run
// killed anywhere resumes after exactly what it committed, and items are unique on (source file,
// ordinal) in the schema besides.
class FileIngester {
public:
    FileIngester(Store& store, const fs::path& path, std::string source, std::string digest,
                 std::string format, std::size_t batch, const Policy* policy)
        : db_(store.db()), path_(path), source_(std::move(source)), digest_(std::move(digest)),
          format_(std::move(format)), batch_(batch), now_(now_utc()), policy_(policy),
          add_item_(db_, "INSERT INTO items (id, ingest_id, source_id, ordinal, line, payload) VALUES (?, ?, ?, ?, ?, ?)"),
          add_quarantine_(db_, "INSERT INTO quarantine (id, stage, source, line, source_key, reason, raw, created_at) "
                               "VALUES (?, 'ingest', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
          progress_(db_, "UPDATE sources SET done = ? WHERE id = ?"), shown_("ingest " + path.string(), "records") {}

    IngestFileResult run() {
        begin();
        Statement source(db_, "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES (?, ?, ?, ?, ?) "
                              "ON CONFLICT (digest) DO NOTHING");
        source.bind(1, digest_).bind(2, source_).bind(3, path_.string()).bind(4, format_).bind(5, now_).run();
        Statement find(db_, "SELECT id, done FROM sources WHERE digest = ?");
        find.bind(1, digest_);
        find.step();
        source_id_ = find.column_int(0);
        done_ = std::size_t(find.column_int(1));
        RecordReader reader(File::open_read(path_), format_, policy_, done_);
        if (format_ == "csv") {
            std::string why, raw;
            std::size_t line = 0;
            if (reader.read_header(why, line, raw) && !why.empty()) {
                Row header{0, line, true, why, policy_ ? std::string() : raw};
                write(header);
                return finish(reader);
            }
            columns_ = reader.columns();
        }
        {
            Pipeline<RowBatch> pipe([&reader](RowBatch& b) { return reader.fill(b); });
            while (RowBatch* b = pipe.take())
                for (std::size_t i = 0; i < b->size; ++i) write(b->rows[i]);
        }
        return finish(reader);
    }

private:
    // Opens the next transaction. Ids are given here, above every id ever used (next_row_id):
    // this run holds the write lock until the commit.
    void begin() {
        tx_.emplace(db_, "ingest.records");
        pending_ = 0;
        next_item_ = next_row_id(db_, RowTable::items);
        next_quarantine_ = next_row_id(db_, RowTable::quarantine);
    }

    // Commits what is pending together with the file's progress.
    void commit(std::size_t done) {
        progress_.bind(1, std::int64_t(done)).bind(2, source_id_).run();
        tx_->commit();
    }

    IngestFileResult finish(const RecordReader& reader) {
        result_.records = std::int64_t(reader.records());
        commit(std::max(reader.records(), done_));
        // The records of a file are durable before it counts as done and may leave the inbox
        // (--move-to): this last, small transaction commits in full mode, which syncs the
        // write-ahead log, and with it every earlier commit of the file.
        db_.set_synchronous(Db::Sync::full);
        {
            Transaction last(db_, "ingest.complete");
            Statement done(db_, "UPDATE sources SET complete = 1, records = ?, "
                                "quarantined = (SELECT count(*) FROM quarantine WHERE stage = 'ingest' AND source_key "
                                "BETWEEN ?2 || ':' AND ?2 || ';') WHERE id = ?3");
            done.bind(1, result_.records).bind(2, digest_).bind(3, source_id_).run();
            last.commit();
        }
        db_.set_synchronous(Db::Sync::normal);
        result_.status = "ingested";
        return result_;
    }

    void write(Row& row) {
        if (row.quarantined) {
            add_quarantine_.bind(1, next_quarantine_++).bind(2, source_).bind(3, std::int64_t(row.line))
                .bind(4, digest_ + ":" + std::to_string(row.ordinal)).bind(5, row.text);
            if (row.raw.empty()) add_quarantine_.bind(6, std::nullopt);
            else add_quarantine_.bind(6, row.raw);
            add_quarantine_.bind(7, now_).run();
            ++result_.quarantined;
        } else {
            if (ingest_id_ == 0) add_ingest();
            add_item_.bind(1, next_item_++).bind(2, ingest_id_).bind(3, source_id_).bind(4, std::int64_t(row.ordinal));
            add_item_.bind(5, std::int64_t(row.line)).bind_static(6, row.text).run();  // the row outlives the step
            ++result_.added;
        }
        shown_.advance();
        if (++pending_ >= batch_) {
            commit(row.ordinal);
            begin();
        }
    }

    // What this run's items share: one row, written with the first of them.
    void add_ingest() {
        Statement add(db_, "INSERT INTO ingests (source_id, name, columns, policy_digest, ingested_at) "
                           "VALUES (?, ?, ?, ?, ?)");
        add.bind(1, source_id_).bind(2, source_);
        if (columns_.empty()) add.bind(3, std::nullopt);
        else add.bind(3, columns_);
        add.bind(4, policy_ ? policy_->digest() : std::string()).bind(5, now_).run();
        ingest_id_ = db_.last_insert_rowid();
    }

    Db& db_;
    fs::path path_;
    std::string source_, digest_, format_;
    std::size_t batch_;
    std::string now_;
    const Policy* policy_;
    Statement add_item_, add_quarantine_, progress_;
    std::optional<Transaction> tx_;
    std::size_t pending_ = 0;
    std::int64_t source_id_ = 0, ingest_id_ = 0;
    std::int64_t next_item_ = 0, next_quarantine_ = 0;
    std::size_t done_ = 0;
    std::string columns_;
    IngestFileResult result_;
    log::Progress shown_;
};

bool is_ignored_name(const fs::path& path) {
    std::string name = path.filename().string();
    return name.starts_with('.') || name.ends_with(".partial") || name.ends_with(".tmp");
}

std::string format_of(const fs::path& path, const std::string& requested) {
    if (requested != "auto") return requested;
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".csv") return "csv";
    if (ext == ".ndjson" || ext == ".jsonl") return "ndjson";
    return {};
}

// The files named by the command line: files as given, directories walked in name order.
std::vector<fs::path> expand(const std::vector<fs::path>& paths) {
    std::vector<fs::path> files;
    for (const auto& path : paths) {
        std::error_code ec;
        auto status = fs::status(path, ec);
        if (ec || !fs::exists(status)) throw Error("cannot ingest '" + path.string() + "': no such file or directory");
        if (!fs::is_directory(status)) {
            files.push_back(path);
            continue;
        }
        std::vector<fs::path> found;
        for (auto it = fs::recursive_directory_iterator(path); it != fs::recursive_directory_iterator(); ++it) {
            if (is_ignored_name(it->path())) {
                if (it->is_directory()) it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file()) found.push_back(it->path());
        }
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
    }
    return files;
}

// True for a file still being written: named *.partial / *.tmp, or modified within `settle` seconds.
bool still_being_written(const fs::path& path, double settle) {
    if (is_ignored_name(path)) return true;
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(path);
    return std::chrono::duration<double>(age).count() < settle;
}

// Moves an ingested file out of the inbox, keeping its name (with a numbered suffix if taken). A
// run killed after a copy across filesystems but before the source went finds its copy there,
// identical, and only removes the source.
fs::path move_out(const fs::path& path, const fs::path& dir, const std::string& digest) {
    fs::path target = dir / path.filename();
    for (int n = 1; fs::exists(target); ++n) {
        if (fs::file_size(target) == fs::file_size(path) && sha256_file(target) == digest) {
            remove_durably(path, "ingest.move-source");
            return target;
        }
        target = dir / (path.filename().string() + "." + std::to_string(n));
    }
    move_file(path, target, "ingest.move");
    return target;
}

bool already_ingested(Db& db, const std::string& digest) {
    Statement stmt(db, "SELECT complete FROM sources WHERE digest = ?");
    stmt.bind(1, digest);
    return stmt.step() && stmt.column_int(0) == 1;
}

} // namespace

IngestResult ingest(Store& store, const IngestOptions& options) {
    IngestResult result;
    std::optional<Policy> policy;
    if (!options.policy.empty()) policy = Policy::load(options.policy, store.pii_key());
    // Commits between a file's records need not wait for the disk: a power cut may undo the last of
    // them, and the next run redoes exactly those (FileIngester makes each file's last commit durable).
    store.db().set_synchronous(Db::Sync::normal);
    store.db().set_checkpoint_bytes(std::int64_t(64) << 20);
    bool inbox = !options.move_to.empty();
    if (inbox) require(fs::is_directory(options.move_to), "--move-to '" + options.move_to.string() + "' is not a directory");
    for (const auto& path : expand(options.paths)) {
        IngestFileResult file;
        if (inbox && still_being_written(path, options.settle_seconds)) {
            result.files.push_back({path.string(), "deferred", "still being written; left for the next run", 0, 0, 0, ""});
            continue;
        }
        std::string format = format_of(path, options.format);
        if (format.empty()) {
            file = {path.string(), "rejected", "unknown file type (use --format csv or ndjson)", 0, 0, 0, ""};
            log::warning("skipping '" + path.string() + "': " + file.reason);
            ++result.rejected_files;
            result.files.push_back(file);
            continue;
        }
        std::string digest = sha256_file(path);
        if (already_ingested(store.db(), digest)) {
            file = {path.string(), "unchanged", "", 0, 0, 0, ""};
        } else {
            std::string source = options.source.empty() ? path.string() : options.source;
            file = FileIngester(store, path, source, digest, format, options.batch, policy ? &*policy : nullptr).run();
            file.path = path.string();
        }
        // Only now, with every record committed, does the file leave the inbox. Killed before this,
        // the next run finds it 'unchanged' and moves it.
        if (inbox) file.moved_to = move_out(path, options.move_to, digest).string();
        log::debug("ingested '" + path.string() + "': " + std::to_string(file.added) + " items added");
        result.added += file.added;
        result.quarantined += file.quarantined;
        result.files.push_back(file);
    }
    return result;
}

Json to_json(const IngestResult& result) {
    Json files = Json::array();
    for (const auto& f : result.files)
        files.push_back({{"path", f.path}, {"status", f.status}, {"reason", f.reason}, {"records", f.records},
                         {"added", f.added}, {"quarantined", f.quarantined},
                         {"moved_to", f.moved_to.empty() ? Json() : Json(f.moved_to)}});
    return {{"added", result.added}, {"quarantined", result.quarantined},
            {"rejected_files", result.rejected_files}, {"files", files}};
}

} // namespace edgectl
