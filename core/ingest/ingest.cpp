#include "ingest/ingest.hpp"

#include "image/scrub.hpp"
#include "ingest/frames.hpp"
#include "ingest/policy.hpp"
#include "ingest/reader.hpp"
#include "ingest/sources.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/pipe.hpp"
#include "util/scope_guard.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
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
    FileIngester(Store& store, File file, std::string source, std::string digest, RecordFormat format,
                 const IngestOptions& o, const Policy* policy)
        : db_(store.db()), file_(std::move(file)), path_(file_.path()), source_(std::move(source)),
          digest_(std::move(digest)), format_(format), batch_(o.batch), on_commit_(o.on_commit), now_(now_utc()),
          policy_(policy),
          add_item_(db_,
                    "INSERT INTO items (id, ingest_id, source_id, ordinal, line, payload) VALUES (?, ?, ?, ?, ?, ?)"),
          add_quarantine_(db_, "INSERT INTO quarantine (id, stage, source, line, source_key, reason, raw, created_at) "
                               "VALUES (?, 'ingest', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
          progress_(db_, "UPDATE sources SET done = ? WHERE id = ?"), shown_("ingest " + path_.string(), "records") {}

    IngestFileResult run() {
        begin();
        Statement source(db_, "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES (?, ?, ?, ?, ?) "
                              "ON CONFLICT (digest) DO NOTHING");
        source.bind(1, digest_)
            .bind(2, source_)
            .bind(3, path_.string())
            .bind(4, to_string(format_))
            .bind(5, now_)
            .run();
        Statement find(db_, "SELECT id, done FROM sources WHERE digest = ?");
        find.bind(1, digest_);
        find.step();
        source_id_ = find.column_int(0);
        done_ = std::size_t(find.column_int(1));
        RecordReader reader(std::move(file_), format_, policy_, done_);
        if (format_ == RecordFormat::csv) {
            if (auto bad = reader.read_header()) {
                Row header{0, bad->line, true, bad->why, policy_ ? std::string() : bad->raw};
                write(header);
                return finish(reader);
            }
            columns_ = reader.columns();
        }
        {
            Pipeline<RowBatch> pipe([&reader](RowBatch& b) { return reader.fill(b); });
            while (RowBatch* b = pipe.take())
                for (std::size_t i = 0; i < b->size; ++i)
                    write(b->rows[i]);
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
        if (on_commit_) on_commit_();
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
        result_.status = FileOutcome::ingested;
        return result_;
    }

    void write(Row& row) {
        if (row.quarantined) {
            add_quarantine_.bind(1, next_quarantine_++)
                .bind(2, source_)
                .bind(3, std::int64_t(row.line))
                .bind(4, digest_ + ":" + std::to_string(row.ordinal))
                .bind(5, row.text);
            if (row.raw.empty())
                add_quarantine_.bind(6, std::nullopt);
            else
                add_quarantine_.bind(6, row.raw);
            add_quarantine_.bind(7, now_).run();
            ++result_.quarantined;
        } else {
            if (ingest_id_ == 0) add_ingest();
            add_item_.bind(1, next_item_++).bind(2, ingest_id_).bind(3, source_id_).bind(4, std::int64_t(row.ordinal));
            add_item_.bind(5, std::int64_t(row.line)).bind_static(6, row.text);  // the row outlives the step
            in_context("cannot store record " + std::to_string(row.ordinal) + " (line " + std::to_string(row.line) +
                           ") of " + quote(path_),
                       [&] { add_item_.run(); });
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
        if (columns_.empty())
            add.bind(3, std::nullopt);
        else
            add.bind(3, columns_);
        add.bind(4, policy_ ? policy_->digest() : std::string()).bind(5, now_).run();
        ingest_id_ = db_.last_insert_rowid();
    }

    Db& db_;
    File file_;
    fs::path path_;
    std::string source_, digest_;
    RecordFormat format_;
    std::size_t batch_;
    const std::function<void()>& on_commit_;
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

std::optional<RecordFormat> format_of(const fs::path& path, std::optional<RecordFormat> requested) {
    if (requested) return requested;
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".csv") return RecordFormat::csv;
    if (ext == ".ndjson" || ext == ".jsonl") return RecordFormat::ndjson;
    return std::nullopt;
}

// Visits the files of one directory and those below it, in name order (the order sorted full paths
// would have), holding one directory's names at a time per level rather than the whole tree's.
// Directories named like temporary files, and `skip` (the inbox's --move-to), are not entered;
// symbolic links to directories are not followed.
void walk_directory(const fs::path& dir, const fs::path& skip, const std::function<void(const fs::path&)>& visit) {
    std::error_code ec;
    // The names end to end in one buffer, each with its offset: a camera's folder of 100k frames
    // holds ~2 MB of them rather than ~7 MB of separate strings.
    std::string buffer;
    std::vector<std::pair<std::size_t, std::size_t>> names;  // offset, length
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        names.emplace_back(buffer.size(), name.size());
        buffer += name;
    }
    if (ec) throw Error("cannot walk '" + dir.string() + "': " + ec.message());
    auto name_of = [&](const std::pair<std::size_t, std::size_t>& n) {
        return std::string_view(buffer).substr(n.first, n.second);
    };
    std::sort(names.begin(), names.end(), [&](const auto& a, const auto& b) { return name_of(a) < name_of(b); });
    for (const auto& name : names) {
        fs::path path = dir / name_of(name);
        if (is_ignored_name(path)) continue;
        // Gone since it was listed, or a link to nothing: nothing to take. Anything else unreadable
        // stops the run, as a file that cannot be read does.
        auto unreadable = [&] {
            if (ec && ec != std::errc::no_such_file_or_directory)
                throw Error("cannot walk '" + path.string() + "': " + ec.message());
            return bool(ec);
        };
        auto status = fs::symlink_status(path, ec);
        if (unreadable()) continue;
        if (fs::is_directory(status)) {
            bool moved_to = !skip.empty() && fs::equivalent(path, skip, ec);
            if (!unreadable() && !moved_to) walk_directory(path, skip, visit);
        } else if (fs::is_regular_file(path, ec)) {
            visit(path);
        } else {
            unreadable();  // a link that cannot be followed; a device or FIFO is left alone
        }
    }
}

// Visits every file the paths name, in order: a file as it is, a directory's files walked.
void walk(const std::vector<fs::path>& paths, const fs::path& skip, const std::function<void(const fs::path&)>& visit) {
    std::error_code ec;
    for (const auto& path : paths)  // every path checked before the first file is taken
        if (auto status = fs::status(path, ec); ec || !fs::exists(status))
            throw Error("cannot ingest '" + path.string() + "': no such file or directory");
    for (const auto& path : paths) {
        if (fs::is_directory(path, ec))
            walk_directory(path, skip, visit);
        else
            visit(path);
    }
}

// Files' outcomes, handed on in file order as each becomes final. A frame's is final once its
// batch commits, and the files after it wait for it: ingest commits the frames waiting when a
// batch's worth of outcomes is queued, so that at most that many wait whatever follows.
class Reports {
  public:
    Reports(const IngestOptions& o, IngestResult& result) : o_(o), result_(result) {}

    /// Adds a file's outcome, not final yet; returns its number.
    std::size_t add(IngestFileResult file) {
        waiting_.emplace_back(std::move(file), false);
        return first_ + waiting_.size() - 1;
    }
    IngestFileResult& at(std::size_t n) { return waiting_[n - first_].first; }
    /// How many outcomes wait for an earlier one.
    std::size_t waiting() const { return waiting_.size(); }
    /// Marks an outcome final, and hands on every final one at the front.
    void finish(std::size_t n) {
        waiting_[n - first_].second = true;
        while (!waiting_.empty() && waiting_.front().second) {
            if (o_.on_file)
                o_.on_file(waiting_.front().first);
            else
                result_.files.push_back(std::move(waiting_.front().first));
            waiting_.pop_front();
            ++first_;
        }
    }

  private:
    const IngestOptions& o_;
    IngestResult& result_;
    std::deque<std::pair<IngestFileResult, bool>> waiting_;
    std::size_t first_ = 0;
};

// True for a file still being written: named *.partial / *.tmp, or modified within `settle` seconds.
// Sets ec if the file is gone.
bool still_being_written(const fs::path& path, double settle, std::error_code& ec) {
    if (is_ignored_name(path)) return true;
    auto written = fs::last_write_time(path, ec);
    if (ec) return false;
    auto age = fs::file_time_type::clock::now() - written;
    return std::chrono::duration<double>(age).count() < settle;
}

// Moves an ingested file out of the inbox, keeping its name (with a numbered suffix if taken). A
// run killed after a copy across filesystems but before the source went finds its copy there,
// identical, and only removes the source; a name that is the file itself means it is there already.
fs::path move_out(const fs::path& path, const fs::path& dir, const std::string& digest) {
    fs::path target = dir / path.filename();
    std::error_code ec;
    for (int n = 1; fs::exists(target); ++n) {
        if (fs::equivalent(path, target, ec)) return target;
        if (fs::file_size(target) == fs::file_size(path) && sha256_file(target) == digest) {
            remove_durably(path, "ingest.move-source");
            return target;
        }
        target = dir / (path.filename().string() + "." + std::to_string(n));
    }
    move_file(path, target, "ingest.move");
    return target;
}

}  // namespace

namespace {

const std::string unknown_type = "unknown file type: not CSV, NDJSON, JPEG or PNG (use --format csv or ndjson)";

// One file: opened once, so that the bytes hashed, the bytes parsed and the file moved out of the
// inbox are the same file, whatever happens to its name meanwhile.
// Moves an ingested file out of the inbox, unless another file was put under its name meanwhile
// (that one stays for the next run). Returns where it went, or "".
std::string leave_inbox(const fs::path& path, std::pair<dev_t, ino_t> id, const IngestOptions& o,
                        const std::string& digest) {
    if (file_id(path) != id) {
        log::warning("'" + path.string() + "' was replaced while it was ingested; left in the inbox for the next run");
        return {};
    }
    return move_out(path, o.move_to, digest).string();
}

// One file, its outcome added to `reports`: opened once, so that the bytes hashed, the bytes parsed
// and the file moved out of the inbox are the same file, whatever happens to its name meanwhile.
// Returns the outcome (its moved_to filled in later for a frame, with its batch).
IngestFileResult ingest_file(Store& store, const fs::path& path, const IngestOptions& o, const Policy* policy,
                             FrameWriter& frames, Reports& reports) {
    bool inbox = !o.move_to.empty();
    auto outcome = [&](FileOutcome status, std::string reason) {
        IngestFileResult result{path.string(), status, std::move(reason), 0, 0, 0, ""};
        reports.finish(reports.add(result));
        return result;
    };
    std::error_code gone;
    if (inbox && still_being_written(path, o.settle_seconds, gone))
        return outcome(FileOutcome::deferred, "still being written; left for the next run");
    if (gone) return outcome(FileOutcome::deferred, "removed while the inbox was read");
    File file = File::open_regular(path);
    auto id = file.id();
    // A frame is told by its first bytes, whatever its name or --format says (a PNG named '.csv' is a
    // PNG: parsed as records, its metadata would reach the store), or by its name when they are no
    // image's; records by --format or their name.
    std::string head(16, '\0');
    head.resize(file.read_some(head.data(), head.size()));
    file.rewind();
    auto format = format_of(path, o.format);
    bool frame = is_image_magic(head) || (!format && is_frame(path, head));
    if (!frame && !format) {
        log::warning("skipping '" + path.string() + "': " + unknown_type);
        return outcome(FileOutcome::rejected, unknown_type);
    }
    // A frame is read once, whole (its limit bounds it), and hashed from memory.
    Result<std::string> frame_bytes = frame ? read_frame(file, o.image_limits.max_bytes) : fail("not a frame");
    std::string digest = frame_bytes ? sha256_hex(*frame_bytes) : digest_of(file);
    IngestFileResult result{path.string(), FileOutcome::unchanged, "", 0, 0, 0, ""};
    if (!already_ingested(store.db(), digest)) {
        std::string source = o.source.empty() ? path.string() : o.source;
        if (frame)
            result = frames.add(path, frame_bytes, digest, source);
        else
            result = FileIngester(store, std::move(file), source, digest, *format, o, policy).run();
        result.path = path.string();
    }
    // Only once its records are committed does a file leave the inbox (a frame's, with its batch),
    // and only then is its outcome final. Killed before, the next run finds it 'unchanged' and moves it.
    std::size_t n = reports.add(result);
    frames.after_commit([&reports, &o, n, path, id, digest, inbox] {
        if (inbox) reports.at(n).moved_to = leave_inbox(path, id, o, digest);
        reports.finish(n);
    });
    return result;
}

}  // namespace

std::string_view to_string(FileOutcome outcome) {
    switch (outcome) {
    case FileOutcome::ingested: return "ingested";
    case FileOutcome::unchanged: return "unchanged";
    case FileOutcome::rejected: return "rejected";
    case FileOutcome::deferred: return "deferred";
    }
    return "unknown";
}

IngestResult ingest(Store& store, const StoreLock& lock, const IngestOptions& options) {
    lock.require("ingest");
    IngestResult result;
    std::optional<Policy> policy;
    if (!options.policy.empty()) policy = Policy::load(options.policy, store.pii_key());
    // Commits between a file's records need not wait for the disk: a power cut may undo the last of
    // them, and the next run redoes exactly those (FileIngester makes each file's last commit durable).
    store.db().set_synchronous(Db::Sync::normal);
    store.db().set_checkpoint_bytes(std::int64_t(64) << 20);
    // What killed runs and purge left of the store's frames, before any is written.
    if (std::size_t swept = sweep_frames(store, lock))
        log::debug("removed " + std::to_string(swept) + " image files no row names");
    bool inbox = !options.move_to.empty();
    if (inbox)
        require(fs::is_directory(options.move_to), "--move-to '" + options.move_to.string() + "' is not a directory");
    // Before the frames, whose commits hand their outcomes on, even while unwinding.
    Reports reports(options, result);
    FrameWriter frames(store, options, policy ? &*policy : nullptr);
    // A file that fails (unreadable, say) stops the run; the frames before it still commit, as the
    // records files before it did, rather than being written again by every run.
    ScopeFail commit_waiting([&frames]() noexcept {
        try {
            frames.flush();
        } catch (const std::exception& e) {
            log::warning("could not commit the frames ingested before the failure: " + std::string(e.what()));
        }
    });
    walk(options.paths, options.move_to, [&](const fs::path& path) {
        if (options.stop && options.stop->load()) {
            result.stopped = true;
            return;
        }
        IngestFileResult file = ingest_file(store, path, options, policy ? &*policy : nullptr, frames, reports);
        if (file.status == FileOutcome::rejected) ++result.rejected_files;
        log::debug(quote(path) + ": " + std::string(to_string(file.status)) + ", " + std::to_string(file.added) +
                   " items added");
        result.added += file.added;
        result.quarantined += file.quarantined;
        if (reports.waiting() >= FrameWriter::max_frame_batch) frames.flush();
    });
    frames.flush();
    return result;
}

Json to_json(const IngestResult& result) {
    Json files = Json::array();
    for (const auto& f : result.files)
        files.push_back({{"path", f.path},
                         {"status", to_string(f.status)},
                         {"reason", f.reason},
                         {"records", f.records},
                         {"added", f.added},
                         {"quarantined", f.quarantined},
                         {"moved_to", f.moved_to.empty() ? Json() : Json(f.moved_to)}});
    return {{"added", result.added},
            {"quarantined", result.quarantined},
            {"rejected_files", result.rejected_files},
            {"files", files}};
}

}  // namespace edgectl
