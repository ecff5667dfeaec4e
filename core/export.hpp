#pragma once
// Export (DESIGN.md §6): the insights and anomalies not yet shipped become one BagIt bag in
// '<site>-<seq>.tar.zst' on the target disk, with a sha256sum-format digest beside it.
//
// Exactly-once: a 'pending' ledger row first fixes the sequence number and the high-water mark of
// the rows it will hold. The archive is written under a temporary name, flushed, re-read and
// verified, and renamed to its final name; only then are the rows marked, in one transaction with
// the ledger row becoming 'complete'. A run killed at any point leaves either nothing under a final
// name, or a complete, verified archive that the next run recognises and finishes marking.

#include "ndjson.hpp"
#include "store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgectl {

struct ExportOptions {
    fs::path to;           ///< target directory (a mounted Data Box disk)
    bool dry_run = false;  ///< say what would be written, write nothing
    int level = 3;         ///< zstd level
};

struct ExportedArchive {
    std::int64_t seq = 0;
    std::string name;     ///< <site>-<seq> (the bag's base directory too)
    fs::path path;        ///< the archive's final path
    std::int64_t insights = 0;
    std::int64_t anomalies = 0;
    std::uint64_t bytes = 0;
    std::string sha256;
    bool recovered = false;  ///< finished on behalf of an interrupted run
};

struct ExportResult {
    std::vector<ExportedArchive> archives;
    std::int64_t pending_insights = 0;  ///< dry run: rows that would be exported
    std::int64_t pending_anomalies = 0;
    bool dry_run = false;
};

ExportResult export_next(Store& store, const ExportOptions& options);

/// The archive name for an export sequence: '<site>-<seq>' with seq zero-padded to 6 digits.
std::string export_name(const std::string& site, std::int64_t seq);

Json to_json(const ExportResult& result);

} // namespace edgectl
