#include "hub/ack.hpp"

#include "package/trust.hpp"
#include "util/error.hpp"
#include "util/minisign.hpp"
#include "util/sha256.hpp"

namespace edgectl {
namespace {

constexpr std::size_t max_receipt_bytes = std::size_t(64) << 20;
// Missing sequences looked up one by one in the ledger: far more than a real gap.
constexpr std::int64_t max_missing_listed = 100000;

// The trusted hub key that signed text, by its key id; throws VerifyError otherwise.
TrustedKey check_signature(const Store& store, const std::string& text, const fs::path& path) {
    fs::path sig_path = path.string() + ".minisig";
    if (!fs::exists(sig_path))
        throw VerifyError("receipt " + quote(path) + " has no signature beside it (" + quote(sig_path.filename()) +
                          "): it proves nothing");
    auto sig = minisign::parse_signature(read_file(sig_path, 8192), sig_path.string());
    std::string id = minisign::key_id_hex(sig.key_id);
    for (const auto& k : trusted_keys(store, TrustRole::hubs)) {
        if (k.key_id != id) continue;
        minisign::verify(k.key, sig, text, path.filename().string());
        return k;
    }
    throw VerifyError("receipt " + quote(path) + " is signed by key " + id +
                      ", which this site does not trust as a hub: trust the hub's key with "
                      "'edgectl trust add --hub HUB.pub'");
}

}  // namespace

ReceiptAck apply_receipt(Store& store, const StoreLock& lock, const fs::path& path) {
    lock.require("export");
    std::string text = read_file(path, max_receipt_bytes);
    TrustedKey signer = check_signature(store, text, path);
    Receipt r = parse_receipt(text, path.string());
    std::string where = "receipt " + quote(path);
    if (r.hub_key != signer.key_id)
        throw VerifyError(where + " names hub key " + r.hub_key + " but is signed by " + signer.key_id);
    if (r.site != store.site())
        throw VerifyError(where + " is for site " + quote(r.site) + ", not this site " + quote(store.site()) +
                          ": nothing was acknowledged");

    ReceiptAck out{r.hub, r.hub_key, signer.name, r.serial, false, {}, 0, {}, 0, r.incomplete_groups, r.refused};
    std::string digest = sha256_hex(text);
    Db& db = store.db();
    Transaction tx(db, "ack.receipt");
    Statement last(db, "SELECT serial, sha256, applied_at FROM receipts WHERE hub_key = ?");
    last.bind(1, r.hub_key);
    if (last.step()) {
        std::int64_t serial = last.column_int(0);
        if (r.serial < serial)
            throw VerifyError(where + " has serial " + std::to_string(r.serial) + ", older than receipt " +
                              std::to_string(serial) + " applied on " + last.column_text(2) +
                              ": an old receipt played back; nothing was acknowledged");
        if (r.serial == serial && last.column_text(1) != digest)
            throw VerifyError(where + " differs from the receipt of the same serial (" + std::to_string(serial) +
                              ") applied on " + last.column_text(2) + "; nothing was acknowledged");
        out.reapplied = r.serial == serial;
    }

    // Every bag the receipt says landed must be one this site wrote, complete, with that digest.
    Statement row(db, "SELECT state, tagmanifest_digest, acked_at FROM exports WHERE seq = ?");
    std::vector<std::string> wrong;
    std::vector<std::int64_t> to_ack;
    for (const auto& l : r.landed)
        for (std::int64_t seq = l.first; seq <= l.last; ++seq) {
            row.bind(1, seq);
            const std::string& listed = l.tagmanifests[std::size_t(seq - l.first)];
            if (!row.step())
                wrong.push_back("sequence " + std::to_string(seq) + " was never exported here");
            else if (row.column_text(0) != "complete" || row.column_text(1) != listed)
                wrong.push_back("sequence " + std::to_string(seq) + " landed as " + listed.substr(0, 16) +
                                ", which is not the bag this site wrote");
            else if (row.column_is_null(2))
                to_ack.push_back(seq);
            else
                ++out.acked_before;
            row.reset();
        }
    if (!wrong.empty()) {
        std::string list;
        for (std::size_t i = 0; i < wrong.size() && i < 3; ++i)
            list += (i ? "; " : "") + wrong[i];
        if (wrong.size() > 3) list += "; and " + std::to_string(wrong.size() - 3) + " more";
        throw VerifyError(where + " names bags this site never wrote (" + list + "); nothing was acknowledged");
    }

    Statement ack(db, "UPDATE exports SET acked_at = ? WHERE seq = ?");
    std::string now = now_utc();
    for (auto seq : to_ack)
        ack.bind(1, now).bind(2, seq).run();
    out.acked = std::move(to_ack);
    Statement put(db, "INSERT INTO receipts (hub_key, hub, serial, sha256, applied_at) VALUES (?, ?, ?, ?, ?) "
                      "ON CONFLICT (hub_key) DO UPDATE SET hub = excluded.hub, serial = excluded.serial, "
                      "sha256 = excluded.sha256, applied_at = excluded.applied_at");
    put.bind(1, r.hub_key).bind(2, r.hub).bind(3, r.serial).bind(4, digest).bind(5, now).run();

    // What the hub misses, as this site's ledger sees it.
    Statement state(db, "SELECT state FROM exports WHERE seq = ?");
    for (const auto& m : r.missing)
        for (std::int64_t seq = m.first; seq <= m.last && std::int64_t(out.missing.size()) < max_missing_listed;
             ++seq) {
            state.bind(1, seq);
            out.missing.push_back({seq, state.step() ? state.column_text(0) : "unknown"});
            state.reset();
        }
    std::int64_t newest = r.landed.empty() ? 0 : r.landed.back().last;
    Statement later(db, "SELECT count(*) FROM exports WHERE seq > ? AND state = 'complete'");
    later.bind(1, newest);
    later.step();
    out.not_received = later.column_int(0);
    tx.commit();
    return out;
}

Json to_json(const ReceiptAck& r) {
    Json missing = Json::array(), groups = Json::array(), refused = Json::array();
    for (const auto& m : r.missing)
        missing.push_back({{"seq", m.seq}, {"here", m.state}});
    for (const auto& g : r.incomplete_groups)
        groups.push_back(to_json(g));
    for (const auto& f : r.refused)
        refused.push_back({{"name", f.name},
                           {"seq", f.seq ? Json(*f.seq) : Json()},
                           {"kind", f.kind},
                           {"reason", f.reason},
                           {"at", f.at}});
    return {{"hub", r.hub},
            {"hub_key", r.hub_key},
            {"signer", r.signer},
            {"serial", r.serial},
            {"reapplied", r.reapplied},
            {"acked", r.acked},
            {"acked_before", r.acked_before},
            {"missing", missing},
            {"not_received", r.not_received},
            {"incomplete_groups", groups},
            {"refused", refused}};
}

}  // namespace edgectl
