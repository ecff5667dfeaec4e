#include "hub/hub.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace edgectl {

namespace embedded {
extern const std::string_view hub_v1_sql;
}  // namespace embedded

namespace {

void migrate(Db& db, const fs::path& root) {
    int version = db.user_version();
    if (version > hub_schema_version)
        throw Error("hub '" + root.string() + "' has schema version " + std::to_string(version) +
                    ", newer than this edgectl understands (" + std::to_string(hub_schema_version) +
                    "); upgrade edgectl");
    if (version == hub_schema_version) return;
    Transaction tx(db, "hub.migrate");
    if (db.user_version() == 0) {
        db.exec(embedded::hub_v1_sql);
        db.exec("PRAGMA user_version = 1");
    }
    tx.commit();
}

HubSite read_site(Statement& s) {
    HubSite site;
    site.id = s.column_text(0);
    site.key = minisign::parse_public_key(s.column_text(1), "the key of site " + quote(site.id));
    site.key_id = s.column_text(2);
    site.added_at = s.column_text(3);
    site.version = s.column_int(4);
    site.changed_at = s.column_optional_text(5);
    return site;
}

constexpr const char* site_columns = "SELECT id, public_key, key_id, added_at, version, changed_at FROM sites ";

}  // namespace

Hub::Hub(fs::path root, Db db) : root_(std::move(root)), db_(std::move(db)) {
    Statement stmt(db_, "SELECT value FROM meta WHERE key = 'hub'");
    if (stmt.step()) id_ = stmt.column_text(0);
}

Hub Hub::open(const fs::path& root) {
    if (!fs::exists(root / "hub.db")) {
        if (fs::exists(root / "edgectl.db"))
            throw Error("'" + root.string() +
                        "' is a site's store, not a hub: the receiving side has its own, made by "
                        "'edgectl init --hub ID'");
        throw Error("no edgectl hub at '" + root.string() +
                    "': create one with 'edgectl init --hub ID' (or point --store / EDGECTL_STORE at it)");
    }
    Db db = Db::open(root / "hub.db", false);
    migrate(db, root);
    return Hub(root, std::move(db));
}

Hub Hub::init(const fs::path& root, std::string_view id) {
    require(is_valid_site_id(id),
            "hub id '" + std::string(id) +
                "' is not valid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            Exit::usage);
    if (fs::exists(root / "hub.db") || fs::exists(root / "edgectl.db"))
        throw Error("a store already exists at '" + root.string() + "'");
    make_dir(root, 0700, "init.hub");
    if (::chmod(root.c_str(), 0700) != 0)
        throw Error("cannot set mode 0700 on '" + root.string() + "': " + std::strerror(errno));
    for (const char* sub : {"lake", "evidence", "receipts", "staging", "locks"})
        make_dir(root / sub, 0700, "init.hub");
    // A run killed after the secret key was written finishes the pair from it: the key that may
    // already have been handed out stays the hub's.
    bool have_secret = fs::exists(root / "hub.key");
    minisign::SecretKey key =
        have_secret ? minisign::read_secret_key(root / "hub.key", std::nullopt) : minisign::generate();
    minisign::write_key_pair(root / "hub.key", root / "hub.pub", key, "init.hub-key", have_secret);

    // The ledger goes in last: its presence is what makes a directory a hub.
    build_database(
        root / "hub.db",
        [&](Db& db) {
            migrate(db, root);
            Transaction tx(db, "init.hub-meta");
            Statement put(db, "INSERT INTO meta (key, value) VALUES (?, ?)");
            put.bind(1, "hub").bind(2, id).run();
            put.bind(1, "created_at").bind(2, now_utc()).run();
            tx.commit();
        },
        "init.hub-db");
    return open(root);
}

StoreLock Hub::lock(std::string_view command) const {
    return StoreLock(root_ / "locks" / (std::string(command) + ".lock"), command, root_);
}

HubSite add_site(Hub& hub, const StoreLock& lock, std::string_view id, const fs::path& public_key_file) {
    lock.require("sites");
    require(is_valid_site_id(id), "site id " + quote(id) + " is not valid", Exit::usage);
    std::string text = read_file(public_key_file, 4096);
    minisign::PublicKey key = minisign::parse_public_key(text, public_key_file.string());
    HubSite site{std::string(id), minisign::key_id_hex(key.key_id), key, now_utc(), 0, std::nullopt};
    Transaction tx(hub.db(), "sites.add");
    if (find_site(hub, id)) throw Error("site " + quote(id) + " is registered already (see 'edgectl sites list')");
    for (const auto& other : list_sites(hub))
        if (other.key_id == site.key_id)
            throw Error("key " + site.key_id + " is site " + quote(other.id) +
                        "'s already: each site signs with its own key");
    Statement put(hub.db(), "INSERT INTO sites (id, public_key, key_id, added_at) VALUES (?, ?, ?, ?)");
    put.bind(1, site.id).bind(2, minisign::format_public_key(key)).bind(3, site.key_id).bind(4, site.added_at).run();
    tx.commit();
    return site;
}

std::optional<HubSite> find_site(Hub& hub, std::string_view id) {
    Statement s(hub.db(), std::string(site_columns) + "WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_site(s);
}

std::vector<HubSite> list_sites(Hub& hub) {
    Statement s(hub.db(), std::string(site_columns) + "ORDER BY id");
    std::vector<HubSite> out;
    while (s.step())
        out.push_back(read_site(s));
    return out;
}

Json to_json(const std::vector<HubSite>& sites) {
    Json out = Json::array();
    for (const auto& s : sites)
        out.push_back({{"site", s.id},
                       {"key_id", s.key_id},
                       {"added_at", s.added_at},
                       {"receipt_serial", s.version},
                       {"changed_at", s.changed_at ? Json(*s.changed_at) : Json()}});
    return out;
}

}  // namespace edgectl
