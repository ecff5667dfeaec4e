#include "hub/receipt.hpp"

#include "hub/hub.hpp"
#include "package/trust.hpp"
#include "util/error.hpp"
#include "util/minisign.hpp"
#include "util/sha256.hpp"

#include <algorithm>

namespace edgectl {
namespace {

// Bounds on what a site accepts: a receipt lists every sequence landed, so it grows by about 70
// bytes per export; 10 million exports is beyond any site's lifetime.
constexpr std::size_t max_receipt_entries = 10'000'000;
// The newest refusals a receipt names; older ones stay in the hub's ledger.
constexpr int receipt_refusals = 100;

[[noreturn]] void malformed(std::string_view where, const std::string& what) {
    throw VerifyError("receipt " + quote(where) + " is malformed: " + what);
}

std::int64_t get_seq(const Json& j, const char* key, std::string_view where) {
    if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<std::int64_t>() < 1)
        malformed(where, std::string("'") + key + "' is not a sequence number");
    return j[key].get<std::int64_t>();
}

std::string get_text(const Json& j, const char* key, std::string_view where, bool optional = false) {
    if (!j.contains(key)) {
        if (optional) return {};
        malformed(where, std::string("'") + key + "' is missing");
    }
    if (!j[key].is_string()) malformed(where, std::string("'") + key + "' is not text");
    return j[key].get<std::string>();
}

const Json& get_array(const Json& j, const char* key, std::string_view where) {
    if (!j.contains(key) || !j[key].is_array()) malformed(where, std::string("'") + key + "' is not a list");
    if (j[key].size() > max_receipt_entries) malformed(where, std::string("'") + key + "' is too long");
    return j[key];
}

}  // namespace

const std::string* Receipt::tagmanifest(std::int64_t seq) const {
    for (const auto& l : landed)
        if (seq >= l.first && seq <= l.last) return &l.tagmanifests[std::size_t(seq - l.first)];
    return nullptr;
}

Receipt make_receipt(Hub& hub, std::string_view site_id) {
    auto site = find_site(hub, site_id);
    if (!site) throw Error("site " + quote(site_id) + " is not registered at this hub (see 'edgectl sites list')");
    Receipt r;
    r.hub = hub.id();
    r.hub_key = minisign::key_id_hex(minisign::read_public_key(hub.public_key_path()).key_id);
    r.site = site->id;
    r.serial = site->version;
    r.issued_at = site->changed_at.value_or(site->added_at);

    // Landed sequences as ranges; what is missing below the newest. A bag whose link is 'none'
    // says the site abandoned the sequence before it: that one is not missing.
    std::vector<std::int64_t> abandoned;
    Statement landed(hub.db(), "SELECT seq, tagmanifest, previous FROM archives WHERE site = ? ORDER BY seq");
    landed.bind(1, r.site);
    std::int64_t expected = 1;
    while (landed.step()) {
        std::int64_t seq = landed.column_int(0);
        if (landed.column_text(2) == "none" && seq > 1) abandoned.push_back(seq - 1);
        if (seq > expected) r.missing.push_back({expected, seq - 1});
        if (!r.landed.empty() && r.landed.back().last == seq - 1) {
            r.landed.back().last = seq;
        } else {
            r.landed.push_back({seq, seq, {}});
        }
        r.landed.back().tagmanifests.push_back(landed.column_text(1));
        expected = seq + 1;
    }
    // Take the abandoned sequences out of the missing ranges.
    std::vector<Receipt::Range> missing;
    for (const auto& m : r.missing) {
        std::int64_t from = m.first;
        for (std::int64_t s = m.first; s <= m.last; ++s) {
            if (std::find(abandoned.begin(), abandoned.end(), s) == abandoned.end()) continue;
            if (s > from) missing.push_back({from, s - 1});
            from = s + 1;
        }
        if (from <= m.last) missing.push_back({from, m.last});
    }
    r.missing = std::move(missing);

    Statement groups(hub.db(), "SELECT group_id, volumes, json_group_array(volume) FROM "
                               "(SELECT group_id, volumes, volume FROM archives WHERE site = ? ORDER BY volume) "
                               "GROUP BY group_id, volumes HAVING count(*) < volumes ORDER BY group_id");
    groups.bind(1, r.site);
    while (groups.step()) {
        Receipt::Group g{groups.column_text(0), int(groups.column_int(1)), {}};
        for (const auto& v : Json::parse(groups.column_text(2)))
            g.landed.push_back(v.get<int>());
        r.incomplete_groups.push_back(std::move(g));
    }

    Statement refused(hub.db(), "SELECT name, seq, sha256, kind, reason, at FROM "
                                "(SELECT * FROM refusals WHERE site = ? ORDER BY id DESC LIMIT ?) ORDER BY id");
    refused.bind(1, r.site).bind(2, receipt_refusals);
    while (refused.step()) {
        Receipt::Refused f;
        f.name = refused.column_text(0);
        if (!refused.column_is_null(1)) f.seq = refused.column_int(1);
        f.sha256 = refused.column_text(2);
        f.kind = refused.column_text(3);
        f.reason = refused.column_text(4);
        f.at = refused.column_text(5);
        r.refused.push_back(std::move(f));
    }
    return r;
}

Json to_json(const Receipt& r) {
    Json landed = Json::array(), missing = Json::array(), groups = Json::array(), refused = Json::array();
    for (const auto& l : r.landed)
        landed.push_back({{"first", l.first}, {"last", l.last}, {"tagmanifests", l.tagmanifests}});
    for (const auto& m : r.missing)
        missing.push_back(to_json(m));
    for (const auto& g : r.incomplete_groups)
        groups.push_back(to_json(g));
    for (const auto& f : r.refused)
        refused.push_back({{"name", f.name},
                           {"seq", f.seq ? Json(*f.seq) : Json()},
                           {"sha256", f.sha256},
                           {"kind", f.kind},
                           {"reason", f.reason},
                           {"at", f.at}});
    return {{"format", receipt_format}, {"hub", r.hub},       {"hub_key", r.hub_key},
            {"site", r.site},           {"serial", r.serial}, {"issued_at", r.issued_at},
            {"landed", landed},         {"missing", missing}, {"incomplete_groups", groups},
            {"refused", refused}};
}

Json to_json(const Receipt::Range& r) { return {{"first", r.first}, {"last", r.last}}; }

Json to_json(const Receipt::Group& g) { return {{"group", g.group}, {"volumes", g.volumes}, {"landed", g.landed}}; }

std::string format_receipt(const Receipt& r) { return to_json(r).dump() + "\n"; }

Receipt parse_receipt(std::string_view text, std::string_view where) {
    auto parsed = parse_json_object(text);
    if (!parsed) malformed(where, parsed.error());
    const Json& j = *parsed;
    if (get_text(j, "format", where) != receipt_format)
        malformed(where, "its format is not " + std::string(receipt_format));
    Receipt r;
    r.hub = get_text(j, "hub", where);
    r.hub_key = get_text(j, "hub_key", where);
    r.site = get_text(j, "site", where);
    if (!j.contains("serial") || !j["serial"].is_number_integer() || j["serial"].get<std::int64_t>() < 0)
        malformed(where, "'serial' is not a number");
    r.serial = j["serial"].get<std::int64_t>();
    r.issued_at = get_text(j, "issued_at", where);
    std::int64_t after = 0;  // ranges ascend and do not overlap
    for (const auto& l : get_array(j, "landed", where)) {
        Receipt::Landed x{get_seq(l, "first", where), get_seq(l, "last", where), {}};
        if (x.first <= after || x.last < x.first || x.last - x.first >= std::int64_t(max_receipt_entries))
            malformed(where, "its landed ranges do not ascend");
        const Json& digests = get_array(l, "tagmanifests", where);
        if (std::int64_t(digests.size()) != x.last - x.first + 1)
            malformed(where, "a landed range does not give one digest per sequence");
        for (const auto& d : digests) {
            if (!d.is_string() || !is_sha256_hex(d.get<std::string>()))
                malformed(where, "a landed digest is not a SHA-256");
            x.tagmanifests.push_back(d.get<std::string>());
        }
        after = x.last;
        r.landed.push_back(std::move(x));
    }
    after = 0;
    for (const auto& m : get_array(j, "missing", where)) {
        Receipt::Range x{get_seq(m, "first", where), get_seq(m, "last", where)};
        if (x.first <= after || x.last < x.first) malformed(where, "its missing ranges do not ascend");
        after = x.last;
        r.missing.push_back(x);
    }
    for (const auto& g : get_array(j, "incomplete_groups", where)) {
        Receipt::Group x{get_text(g, "group", where), 0, {}};
        if (!g.contains("volumes") || !g["volumes"].is_number_integer()) malformed(where, "a group has no volumes");
        x.volumes = g["volumes"].get<int>();
        for (const auto& v : get_array(g, "landed", where)) {
            if (!v.is_number_integer()) malformed(where, "a group's landed volume is not a number");
            x.landed.push_back(v.get<int>());
        }
        r.incomplete_groups.push_back(std::move(x));
    }
    for (const auto& f : get_array(j, "refused", where)) {
        Receipt::Refused x;
        x.name = get_text(f, "name", where);
        if (f.contains("seq") && !f["seq"].is_null()) x.seq = get_seq(f, "seq", where);
        x.sha256 = get_text(f, "sha256", where);
        x.kind = get_text(f, "kind", where);
        x.reason = get_text(f, "reason", where);
        x.at = get_text(f, "at", where);
        r.refused.push_back(std::move(x));
    }
    return r;
}

fs::path write_receipt(Hub& hub, const Receipt& r, const fs::path& dir) {
    std::string text = format_receipt(r);
    minisign::SecretKey key = load_secret_key(hub.key_path());
    std::string comment = "edgectl receipt for site " + r.site + " from hub " + r.hub + " serial " +
                          std::to_string(r.serial) + " sha256 " + sha256_hex(text);
    fs::path path = dir / (r.site + ".receipt");
    // A run killed between the two leaves a pair that does not match, which a site refuses; the
    // next run writes both again from the same ledger.
    write_file_atomic(path.string() + ".minisig", minisign::sign(key, text, comment, "signature from edgectl hub key"),
                      0644, "receipt.sig");
    write_file_atomic(path, text, 0644, "receipt.write");
    return path;
}

}  // namespace edgectl
