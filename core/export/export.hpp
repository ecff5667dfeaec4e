#pragma once
// Export (docs/export-format.md): what the cloud needs, most important first, as BagIt bags in
// '<site>-<seq>.tar.zst' volumes on the target disk, each with a sha256sum-format digest and the
// site's minisign signature beside it.
//
// Volumes are planned first (the first staged as it is planned, the others only counted), then
// staged and sealed one at a time, so that memory, open files and staging hold one volume.
//
// Exactly-once: every volume first gets a 'pending' ledger row holding its sequence number, a
// random nonce its bag repeats, and its plan — the id range of the rows it holds in each category.
// The archive is written under a temporary name, flushed, and read back through the same
// descriptor: that one read verifies the bag and digests the bytes it verified. The digest goes to
// the ledger, the archive gets its final name (the very file read back), and only then are its rows
// marked, in one transaction with the ledger row becoming 'complete'. The next run finishes a
// pending volume whose final name holds exactly the recorded bytes, writes one that never got its
// name again from its plan (same rows, sequence, nonce and place in its group), and otherwise stops
// until the archive is found or the operator abandons it; so every row ends up in exactly one
// complete archive, and nothing is signed that edgectl did not write.

#include "store/store.hpp"
#include "util/ndjson.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace edgectl {

/// What --include accepts: the categories, the per-volume summary, and the frames of image items.
inline const std::set<std::string> export_includes = {"anomalies", "drift",      "images", "insights",
                                                      "items",     "quarantine", "shadow", "summary"};

/// Which camera frames go into a bag as payload files (data/images/DIGEST.jpg|png): none; the
/// anomalies' ("images" included); or every exported item's, for a retraining subset (--all-images).
enum class ImageSelection { none, anomalies, all };

struct ExportOptions {
    fs::path to;                  ///< target directory (a mounted Data Box disk)
    bool dry_run = false;         ///< say what would be written and how big; write nothing
    int level = 3;                ///< zstd level
    std::uint64_t max_bytes = 0;  ///< largest archive (volume); 0: no limit but the disk's free space
    std::set<std::string> include = {"anomalies", "drift", "insights", "shadow", "summary"};
    std::int64_t resend = 0;  ///< rebuild the archive of this complete export sequence instead
    bool all_images = false;  ///< with "images" included: every exported item's frame, not only anomalies'

    ImageSelection images() const {
        if (!include.count("images")) return ImageSelection::none;
        return all_images ? ImageSelection::all : ImageSelection::anomalies;
    }
};

struct ExportedArchive {
    std::int64_t seq = 0;
    std::string name;  ///< <site>-<seq> (the bag's base directory too)
    fs::path path;     ///< the archive's final path
    int volume = 1, volumes = 1;
    std::map<std::string, std::int64_t> counts;  ///< rows per category
    std::uint64_t bytes = 0;                     ///< archive size (estimated for a dry run)
    std::string sha256;
    bool recovered = false;  ///< finished on behalf of an interrupted run
    bool resent = false;
};

struct ExportResult {
    std::vector<ExportedArchive> archives;
    bool dry_run = false;
    std::int64_t left_pending = 0;  ///< rows that did not fit and wait for the next export
};

ExportResult export_next(Store& store, const StoreLock& lock, const ExportOptions& options);

/// Gives up a pending export whose archive is lost (the disk it went to is gone): its rows go out
/// again in the next export; its sequence number is never used again; what it left on its target,
/// when that is here, is removed (never an archive). Abandoning it again only removes that again.
/// Throws Error if seq is neither pending nor abandoned.
void abandon_export(Store& store, const StoreLock& lock, std::int64_t seq);

Json to_json(const ExportResult& result);

}  // namespace edgectl
