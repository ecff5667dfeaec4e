#pragma once
// Camera frames at ingest: each JPEG or PNG file is one item. Its bytes, checked and stripped of the
// metadata that can identify people or places (image/scrub.hpp, unless the PII policy keeps it),
// become a file of the store named by their SHA-256, written and synced before the transaction that
// adds the item commits. A frame that cannot be taken (another format, empty, truncated, corrupt,
// over a limit) is quarantined with the reason. The item is keyed by the digest of the file as it
// came, like a records file: ingesting the same frame again adds nothing.

#include "ingest/ingest.hpp"
#include "ingest/policy.hpp"

#include <string_view>

namespace edgectl {

/// Whether a file is taken as a camera frame: its first bytes are those of an image format (taken
/// or not: a GIF is a frame that is refused), or its name ends like an image's (an empty or
/// truncated '.jpg' is a frame that is refused, not a file of unknown type).
bool is_frame(const fs::path& path, std::string_view first_bytes);

/// Ingests one frame read from `file` (at its start), whose SHA-256 is `digest` and which is not
/// ingested yet, as ingest() does a records file.
IngestFileResult ingest_frame(Store& store, File file, const std::string& digest, const std::string& source,
                              const IngestOptions& o, const Policy* policy);

/// Removes the image files of the store that no row names: a run killed between writing a frame and
/// committing it, and frames purge released. Ingest's lock is the only one under which image files
/// are written, so none can be on its way to a row meanwhile. Returns how many went.
std::size_t sweep_frames(Store& store, const StoreLock& lock);

}  // namespace edgectl
