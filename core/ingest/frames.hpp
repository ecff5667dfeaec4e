#pragma once
// Camera frames at ingest: each JPEG or PNG file is one item. Its bytes, checked and stripped of the
// metadata that can identify people or places (image/scrub.hpp, unless the PII policy keeps it),
// become a file of the store named by their SHA-256, durable before the transaction that adds the
// item commits. A frame that cannot be taken (another format, empty, truncated, corrupt,
// over a limit) is quarantined with the reason. The item is keyed by the digest of the file as it
// came, like a records file: ingesting the same frame again adds nothing.

#include "ingest/ingest.hpp"
#include "ingest/policy.hpp"

#include <functional>
#include <set>
#include <string_view>
#include <vector>

namespace edgectl {

/// Whether a file is taken as a camera frame: its first bytes are those of an image format (taken
/// or not: a GIF is a frame that is refused), or its name ends like an image's (an empty or
/// truncated '.jpg' is a frame that is refused, not a file of unknown type).
bool is_frame(const fs::path& path, std::string_view first_bytes);

/// The whole of a frame's file, read once from its start, or why it is not read: over max_bytes.
Result<std::string> read_frame(File& file, std::uint64_t max_bytes);

/// Frames are ingested in batches of IngestOptions::batch, at most max_frame_batch: each frame's
/// file is written as it comes; when the batch is full, or at flush(), one sync_filesystem() makes all of them durable,
/// then one transaction adds the rows that name them. A run killed before that commit leaves files
/// no row names, which the next ingest removes, and frames it ingests again.
class FrameWriter {
  public:
    /// The most frames a batch holds: what a batch costs in memory and in one syncfs stays small.
    static constexpr std::size_t max_frame_batch = 256;

    FrameWriter(Store& store, const IngestOptions& o, const Policy* policy);

    /// Checks, scrubs and writes one frame: the file at `path` as read_frame() read it, whose
    /// SHA-256 is `digest` and which is not ingested yet; its rows follow with its batch.
    IngestFileResult add(const fs::path& path, const Result<std::string>& bytes, const std::string& digest,
                         const std::string& source);
    /// Runs `then` once every frame added so far is committed: now, if none is waiting.
    void after_commit(std::function<void()> then);
    /// Commits the frames waiting, then runs what waited for them.
    void flush();

  private:
    struct Pending {
        std::string digest, source, path, format;
        std::string stored, payload;  ///< the stored file's digest and the item's payload; empty if refused
        std::string reason;           ///< why it was refused
        std::int64_t width = 0, height = 0, size = 0;
    };
    void commit();

    Store& store_;
    const IngestOptions& o_;
    const Policy* policy_;
    std::vector<Pending> pending_;
    std::set<std::string> digests_;
    bool written_ = false;  ///< whether a file of this batch was written (else nothing to sync)
    std::vector<std::function<void()>> then_;
};

/// Removes the image files of the store that no row names: a run killed between writing a frame and
/// committing it, and frames purge released. Ingest's lock is the only one under which image files
/// are written, so none can be on its way to a row meanwhile. Returns how many went.
std::size_t sweep_frames(Store& store, const StoreLock& lock);

}  // namespace edgectl
