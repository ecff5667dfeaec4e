#pragma once
// `edgectl ack --receipt FILE` at the site (docs/hub.md): a hub's signed receipt acknowledges the
// exports it landed, after every check passed: its signature by a key the site trusts as a hub
// (trust/hubs/), that it is this site's, that it is not older than one applied before, and that
// every bag it says landed is one this site wrote (its tag-manifest digest is in the ledger). Any
// failure changes nothing. What the receipt says is missing is compared with the site's own
// ledger: complete exports to resend, abandoned ones that need nothing.

#include "hub/receipt.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace edgectl {

struct ReceiptAck {
    std::string hub, hub_key, signer;  ///< signer: the trusted key's name
    std::int64_t serial = 0;
    bool reapplied = false;           ///< this very receipt was applied before
    std::vector<std::int64_t> acked;  ///< acknowledged now
    std::int64_t acked_before = 0;    ///< landed, and acknowledged already
    struct Missing {
        std::int64_t seq = 0;
        std::string state;  ///< here: complete (resend it), abandoned, pending, or unknown
    };
    std::vector<Missing> missing;
    std::int64_t not_received = 0;  ///< complete exports above the newest the hub landed
    std::vector<Receipt::Group> incomplete_groups;
    std::vector<Receipt::Refused> refused;
};

/// Checks the receipt at path (and path.minisig) and applies it; throws VerifyError if any
/// check fails, with nothing changed.
ReceiptAck apply_receipt(Store& store, const StoreLock& lock, const fs::path& path);

Json to_json(const ReceiptAck& r);

}  // namespace edgectl
