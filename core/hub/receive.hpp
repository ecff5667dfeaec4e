#pragma once
// `edgectl receive PATH...` (docs/hub.md): every export archive found is verified whole (its bag,
// its .sha256, its signature by the key registered for the site it names, its link to the
// sequence before and after it) while its records are staged for the lake in the same read, and
// then landed exactly once: a 'landing' row names every staged file, the files are renamed into
// the lake and evidence/, and the row becomes 'landed'. A run killed anywhere is finished by the
// next. What cannot be landed is refused with its reason and the rest is still received.

#include "hub/hub.hpp"
#include "hub/receipt.hpp"

#include <optional>
#include <string>
#include <vector>

namespace edgectl {

struct ReceiveOptions {
    std::vector<fs::path> paths;          ///< archives, or folders walked for '*.tar.zst'
    std::optional<fs::path> receipts_to;  ///< also write the receipts here (the disk going back)
    int level = 1;  ///< zstd level of the lake's files: the fastest, and on NDJSON about as small as 3
    /// Archives made durable together: their staged files with one syncfs, their ledger rows with
    /// one commit, their names in the lake with one more syncfs. A batch also ends at 256 MiB of
    /// archives. A failure loses the batch's work (never data): the next run receives it again.
    std::size_t batch = 64;
};

/// What became of one archive.
struct ReceivedArchive {
    fs::path path;
    std::string site, name;
    std::int64_t seq = 0;
    enum class Outcome { landed, duplicate, refused } outcome = Outcome::refused;
    std::string reason;  ///< why it was refused, or what the duplicate matched
    std::string kind;    ///< the refusal's kind
    Json records = Json::object();
};

/// Per site touched: its receipt and what it says is missing.
struct SiteReport {
    std::string site;
    fs::path receipt;
    std::int64_t serial = 0;
    std::vector<Receipt::Range> missing;
    std::vector<Receipt::Group> incomplete_groups;
    std::vector<std::string> completed_groups;  ///< groups this run made complete
};

struct ReceiveResult {
    std::vector<ReceivedArchive> archives;
    std::vector<SiteReport> sites;
    std::size_t recovered = 0;  ///< landings a killed run left, finished first
    bool any_refused() const;
};

ReceiveResult receive(Hub& hub, const StoreLock& lock, const ReceiveOptions& o);

/// Finishes the landings a killed run left and clears staging. receive() does it first; the other
/// commands that write receipts do it too.
std::size_t recover_landings(Hub& hub, const StoreLock& lock);

/// Writes the receipts of these sites (all when empty) into dir; returns their paths.
std::vector<fs::path> write_receipts(Hub& hub, const StoreLock& lock, const std::vector<std::string>& sites,
                                     const fs::path& dir);

std::string_view to_string(ReceivedArchive::Outcome outcome);
Json to_json(const ReceiveResult& r);

}  // namespace edgectl
