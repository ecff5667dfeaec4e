#include "ingest.hpp"

#include "csv.hpp"
#include "error.hpp"
#include "log.hpp"
#include "policy.hpp"
#include "sha256.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <set>

namespace edgectl {
namespace {

// Writes one file's records into the store, committing every `batch` records.
class FileIngester {
public:
    FileIngester(Store& store, const fs::path& path, std::string source, std::string digest,
                 std::string format, std::size_t batch, const Policy* policy)
        : db_(store.db()), path_(path), source_(std::move(source)), digest_(std::move(digest)),
          format_(std::move(format)), batch_(batch), now_(now_utc()), policy_(policy),
          add_item_(db_, "INSERT INTO items (source_key, source, line, ingested_at, payload, policy_digest) "
                         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING"),
          add_quarantine_(db_, "INSERT INTO quarantine (stage, source, line, source_key, reason, raw, created_at) "
                               "VALUES ('ingest', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING") {}

    IngestFileResult run() {
        begin();
        Statement source(db_, "INSERT INTO sources (digest, name, path, format, ingested_at) VALUES (?, ?, ?, ?, ?) "
                              "ON CONFLICT (digest) DO NOTHING");
        source.bind(1, digest_).bind(2, source_).bind(3, path_.string()).bind(4, format_).bind(5, now_).run();
        if (format_ == "csv") read_csv();
        else read_ndjson();
        Statement done(db_, "UPDATE sources SET complete = 1, records = ?, quarantined = ? WHERE digest = ?");
        done.bind(1, result_.records).bind(2, result_.quarantined).bind(3, digest_).run();
        tx_->commit();
        result_.status = "ingested";
        return result_;
    }

private:
    void begin() { tx_.emplace(db_); pending_ = 0; }

    void counted() {
        ++result_.records;
        if (++pending_ >= batch_) {
            tx_->commit();
            tx_.reset();
            begin();
        }
    }

    std::string key(std::size_t ordinal) const { return digest_ + ":" + std::to_string(ordinal); }

    void add_item(std::size_t ordinal, std::size_t line, Json& payload) {
        std::string text;
        try {
            if (policy_) policy_->apply(payload);  // scrubbed before anything of it is written
            text = dump_json(payload);
        } catch (const Error&) {
            return quarantine(ordinal, line, "text is not valid UTF-8", "");
        }
        add_item_.bind(1, key(ordinal)).bind(2, source_).bind(3, std::int64_t(line)).bind(4, now_).bind(5, text);
        add_item_.bind(6, policy_ ? policy_->digest() : std::string()).run();
        result_.added += db_.changes();
        counted();
    }

    void quarantine(std::size_t ordinal, std::size_t line, const std::string& reason, const std::string& raw) {
        add_quarantine_.bind(1, source_).bind(2, std::int64_t(line)).bind(3, key(ordinal)).bind(4, reason);
        // A record that did not parse cannot be scrubbed field by field: under a policy its text is
        // withheld, so that personal data never reaches the store through quarantine.
        if (policy_ || raw.empty()) add_quarantine_.bind(5, std::nullopt);
        else add_quarantine_.bind(5, raw);
        add_quarantine_.bind(6, now_).run();
        ++result_.quarantined;
        counted();
    }

    void read_csv() {
        File file = File::open_read(path_);
        CsvReader reader(file);
        CsvRecord record;
        if (!reader.next(record)) return; // empty file: nothing to take
        std::vector<std::string> header = record.fields;
        if (std::string why = header_problem(record); !why.empty()) return quarantine(0, record.line, why, record.raw);
        std::size_t ordinal = 0;
        while (reader.next(record)) {
            ++ordinal;
            if (!record.error.empty()) {
                quarantine(ordinal, record.line, record.error, record.raw);
            } else if (record.fields.size() != header.size()) {
                quarantine(ordinal, record.line,
                           "expected " + std::to_string(header.size()) + " fields, found " +
                               std::to_string(record.fields.size()),
                           record.raw);
            } else {
                Json payload = Json::object();
                for (std::size_t i = 0; i < header.size(); ++i) payload[header[i]] = csv_cell_value(record.fields[i]);
                add_item(ordinal, record.line, payload);
            }
        }
    }

    static std::string header_problem(const CsvRecord& header) {
        if (!header.error.empty()) return "bad header row: " + header.error;
        std::set<std::string_view> seen;
        for (const auto& name : header.fields) {
            if (name.empty()) return "empty column name in header row";
            if (!seen.insert(name).second) return "duplicate column name '" + name + "' in header row";
        }
        return {};
    }

    void read_ndjson() {
        File file = File::open_read(path_);
        LineReader reader(file);
        Line line;
        std::size_t ordinal = 0;
        while (reader.next(line)) {
            if (std::all_of(line.text.begin(), line.text.end(), [](char c) { return c == ' ' || c == '\t'; }))
                continue; // blank lines carry no record
            ++ordinal;
            std::string raw = line.text.substr(0, CsvReader::raw_limit);
            if (line.too_long) {
                quarantine(ordinal, line.number, "line is longer than 1048576 bytes", raw);
                continue;
            }
            if (line.text.find('\0') != std::string::npos) {
                quarantine(ordinal, line.number, "NUL byte in record", "");
                continue;
            }
            std::string why;
            if (auto object = parse_json_object(line.text, why)) add_item(ordinal, line.number, *object);
            else quarantine(ordinal, line.number, why, raw);
        }
    }

    Db& db_;
    fs::path path_;
    std::string source_, digest_, format_;
    std::size_t batch_;
    std::string now_;
    const Policy* policy_;
    Statement add_item_, add_quarantine_;
    std::optional<Transaction> tx_;
    std::size_t pending_ = 0;
    IngestFileResult result_;
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

// Moves an ingested file out of the inbox, keeping its name (with a numbered suffix if taken).
fs::path move_out(const fs::path& path, const fs::path& dir) {
    fs::path target = dir / path.filename();
    for (int n = 1; fs::exists(target); ++n) target = dir / (path.filename().string() + "." + std::to_string(n));
    std::error_code ec;
    fs::rename(path, target, ec);
    if (ec == std::errc::cross_device_link) {
        fs::copy_file(path, target);
        File copy = File::open_read(target);
        copy.sync();
        fs::remove(path);
    } else if (ec) {
        throw Error("cannot move '" + path.string() + "' to '" + dir.string() + "': " + ec.message());
    }
    fsync_dir(dir);
    return target;
}

bool already_ingested(Db& db, const std::string& digest) {
    Statement stmt(db, "SELECT complete FROM sources WHERE digest = ?");
    stmt.bind(1, digest);
    return stmt.step() && stmt.column_int(0) == 1;
}

} // namespace

Json csv_cell_value(const std::string& cell) {
    if (cell.empty()) return nullptr;
    // Strict JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    std::size_t i = 0, n = cell.size();
    auto digits = [&] { std::size_t s = i; while (i < n && std::isdigit(static_cast<unsigned char>(cell[i]))) ++i; return i > s; };
    if (cell[i] == '-') ++i;
    bool ok = i < n;
    if (ok && cell[i] == '0') ++i;
    else ok = ok && digits();
    if (ok && i < n && cell[i] == '.') { ++i; ok = digits(); }
    if (ok && i < n && (cell[i] == 'e' || cell[i] == 'E')) {
        ++i;
        if (i < n && (cell[i] == '+' || cell[i] == '-')) ++i;
        ok = digits();
    }
    if (!ok || i != n) return cell;
    if (cell.find_first_of(".eE") == std::string::npos && cell.size() < 19) return std::stoll(cell);
    double value = std::strtod(cell.c_str(), nullptr);
    if (!std::isfinite(value)) return cell;  // out of range: keep the text, scoring will say why
    return value;
}

IngestResult ingest(Store& store, const IngestOptions& options) {
    IngestResult result;
    std::optional<Policy> policy;
    if (!options.policy.empty()) policy = Policy::load(options.policy, read_file(store.secret_path(), 4096));
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
        if (inbox) file.moved_to = move_out(path, options.move_to).string();
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
