#pragma once
// Receipts (docs/hub.md): what a hub tells a site, signed with the hub's key in minisign format,
// so that 'minisign -V' checks it as well as 'edgectl ack --receipt' does. One JSON document per
// site, rebuilt whole from the hub's ledger each time: the sequences landed, as ranges, each with
// its bag's tag-manifest digest; the sequences missing below the newest landed; export groups not
// yet complete; and the archives refused with why. Its serial grows with every change, so that a
// site can refuse an older receipt played back to it.

#include "util/ndjson.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

class Hub;

/// The 'format' of a receipt document.
inline constexpr std::string_view receipt_format = "edgectl-receipt/1";

struct Receipt {
    struct Landed {
        std::int64_t first = 0, last = 0;
        std::vector<std::string> tagmanifests;  ///< one per sequence, first to last
    };
    struct Range {
        std::int64_t first = 0, last = 0;
    };
    struct Group {
        std::string group;
        int volumes = 0;
        std::vector<int> landed;  ///< the volumes landed so far
    };
    struct Refused {
        std::string name;
        std::optional<std::int64_t> seq;
        std::string sha256, kind, reason, at;
    };
    std::string hub, hub_key, site;
    std::int64_t serial = 0;
    std::string issued_at;
    std::vector<Landed> landed;
    std::vector<Range> missing;
    std::vector<Group> incomplete_groups;
    std::vector<Refused> refused;

    /// The tag-manifest digest the receipt gives for seq, if it lists seq as landed.
    const std::string* tagmanifest(std::int64_t seq) const;
};

/// The receipt of one site as the hub's ledger stands (the same ledger gives the same document).
Receipt make_receipt(Hub& hub, std::string_view site);

/// The receipt document, one line of canonical JSON.
std::string format_receipt(const Receipt& r);

/// Parses a receipt document; anything malformed or out of bounds is a VerifyError naming where.
Receipt parse_receipt(std::string_view text, std::string_view where);

/// Writes '<site>.receipt' and its '.minisig' into dir, each atomically; returns the receipt's path.
fs::path write_receipt(Hub& hub, const Receipt& r, const fs::path& dir);

Json to_json(const Receipt& r);
Json to_json(const Receipt::Range& r);
Json to_json(const Receipt::Group& g);

}  // namespace edgectl
