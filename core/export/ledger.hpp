#pragma once
// The export ledger: one row per volume in `exports`, 'pending' from the moment its plan is fixed
// until its archive is named on the target and its rows are marked, then 'complete' (or
// 'abandoned', by the operator). Its sequence numbers name the archives and chain them.

#include "store/db.hpp"
#include "store/store.hpp"
#include "util/fs.hpp"
#include "util/ndjson.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct ReadBag;

/// The state of a ledger row (exports.state).
enum class ExportState { pending, complete, abandoned };

/// The spelling in the store and in --json: "pending", "complete", "abandoned".
std::string_view to_string(ExportState state);
/// The state a spelling names, or why it names none.
Result<ExportState> parse_export_state(std::string_view text);

/// The ledger row of one volume.
struct Ledger {
    std::int64_t seq = 0;
    std::string name, nonce, group_id;
    fs::path target;
    std::int64_t max_insight_id = 0;
    int volume = 1, volumes = 1;
    Json plan = Json::object();         ///< include, ranges per category, manifest digest, target device
    Json counts = Json::object();       ///< rows per category
    std::optional<std::string> digest;  ///< of the archive, recorded before it is named
    ExportState state = ExportState::pending;
};

inline constexpr const char* ledger_columns =
    "SELECT seq, name, nonce, target, max_insight_id, group_id, volume, volumes, plan, counts, digest, state ";

/// A row selected with ledger_columns.
Ledger read_ledger(Statement& s);

/// The archive name for an export sequence: '<site>-<seq>' with seq zero-padded to 6 digits.
std::string export_name(const std::string& site, std::int64_t seq);

/// Where a volume's archive is named on its target, and where it is written before that.
fs::path archive_path(const fs::path& dir, const std::string& name);
fs::path partial_path(const fs::path& dir, const std::string& name);

/// The device a target directory is on (-1 if it cannot be read): a volume is written again only
/// where it was planned, never into the empty mount point a disk left.
std::int64_t device_of(const fs::path& dir);

/// The tag-manifest digest of the export before seq, which the bag of seq chains on ("none").
std::string previous_tagmanifest(Db& db, std::int64_t seq);

/// Records a volume's digest in its pending ledger row before the archive gets its final name: a
/// later run finishes the volume only if the archive under that name has exactly these bytes.
void record_digest(Db& db, const Ledger& l, const ReadBag& read);

/// Marks a placed volume's rows and completes its ledger row, in one transaction.
void mark_exported(Db& db, const Ledger& l, std::int64_t bytes, const std::string& sha256,
                   const std::string& tagmanifest);

/// Forgets a pending volume that provably never got its final name: nothing of it shipped, and its
/// sequence number is used again.
void forget(Db& db, const Ledger& l);

struct ExportRecord {
    std::int64_t seq = 0;
    std::string name;
    ExportState state = ExportState::pending;
    std::string started_at;
    std::optional<std::string> completed_at, acked_at, digest;
    int volume = 1, volumes = 1;
    std::int64_t rows = 0, bytes = 0;
};

/// The export ledger, oldest first.
std::vector<ExportRecord> list_exports(Db& db);

/// Records that the receiving side confirmed these complete exports.
void ack_exports(Db& db, const StoreLock& lock, const std::vector<std::int64_t>& seqs);

Json to_json(const std::vector<ExportRecord>& exports);

}  // namespace edgectl
