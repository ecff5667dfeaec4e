#pragma once
// Ingest: files (CSV with a header row, NDJSON) become items in the store; so do camera frames
// (JPEG, PNG), one item each (ingest/frames.hpp). A record's source key is
// '<SHA-256 of the file>:<record ordinal>'; the store keeps, per file, the last ordinal committed
// (in the same transaction as the records), so ingesting the same bytes again adds nothing, even
// after a run killed midway. Bad records go to quarantine with file, line and reason; the rest
// commits in batched transactions. One thread reads, scrubs and formats; the calling thread writes.

#include "image/scrub.hpp"
#include "ingest/reader.hpp"
#include "store/store.hpp"
#include "util/ndjson.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

/// What became of one file.
enum class FileOutcome {
    ingested,
    unchanged,  ///< already ingested
    rejected,   ///< see reason
    deferred,   ///< still being written, or gone: left for the next run
};

/// The spelling in output and --json: "ingested", "unchanged", "rejected", "deferred".
std::string_view to_string(FileOutcome outcome);

struct IngestFileResult {
    std::string path;
    FileOutcome status = FileOutcome::ingested;
    std::string reason;  ///< why it was rejected
    std::int64_t records = 0;
    std::int64_t added = 0;
    std::int64_t quarantined = 0;
    std::string moved_to;  ///< inbox mode: where the file went
};

struct IngestOptions {
    std::vector<fs::path> paths;         ///< files or directories (walked recursively, in name order)
    std::string source;                  ///< source name for every item; empty: each file's path
    std::optional<RecordFormat> format;  ///< none: by extension
    std::size_t batch = 10000;           ///< records per transaction
    fs::path policy;                     ///< PII policy file; empty: store records as they are
    fs::path move_to;                    ///< inbox mode: move each file here once its records are committed
    double settle_seconds = 5;           ///< inbox mode: leave files modified more recently than this
    ImageLimits image_limits;            ///< what a camera frame may declare before it is quarantined
    /// Each file's outcome, in file order, once it is final (its items committed, the file moved out
    /// of the inbox): a share of any size is then reported in constant memory. Empty: the outcomes
    /// are kept in IngestResult::files.
    std::function<void(const IngestFileResult&)> on_file;
    /// Once true (a signal handler sets it), no further file is started: those ingested so far
    /// commit, the rest wait for the next run. nullptr: never.
    const std::atomic<bool>* stop = nullptr;
    /// Called after each transaction of items commits: a long-running caller's sign of life while a
    /// large file is ingested (run --watch pings systemd's watchdog from it).
    std::function<void()> on_commit;
};

struct IngestResult {
    std::vector<IngestFileResult> files;  ///< each file's outcome, unless IngestOptions::on_file took them
    std::int64_t added = 0;
    std::int64_t quarantined = 0;
    std::int64_t rejected_files = 0;
    bool stopped = false;  ///< IngestOptions::stop left files for the next run
    /// True when anything was quarantined or rejected (exit code 3).
    bool partial() const { return quarantined > 0 || rejected_files > 0; }
};

IngestResult ingest(Store& store, const StoreLock& lock, const IngestOptions& options);

Json to_json(const IngestResult& result);

}  // namespace edgectl
