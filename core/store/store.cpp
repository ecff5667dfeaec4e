#include "store/store.hpp"

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/log.hpp"
#include "util/minisign.hpp"
#include "util/sha256.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <vector>

namespace edgectl {

namespace embedded {
extern const std::string_view store_v1_sql;
extern const std::string_view store_v2_sql;
extern const std::string_view store_v3_sql;
extern const std::string_view store_v4_sql;
extern const std::string_view store_v5_sql;
extern const std::string_view store_v6_sql;
extern const std::string_view store_v7_sql;
extern const std::string_view store_v8_sql;
extern const std::string_view store_v9_sql;
extern const std::string_view store_v10_sql;
}  // namespace embedded

const std::vector<std::string_view>& store_migrations() {
    static const std::vector<std::string_view> all = {
        embedded::store_v1_sql, embedded::store_v2_sql, embedded::store_v3_sql, embedded::store_v4_sql,
        embedded::store_v5_sql, embedded::store_v6_sql, embedded::store_v7_sql, embedded::store_v8_sql,
        embedded::store_v9_sql, embedded::store_v10_sql};
    return all;
}

namespace {

constexpr std::string_view default_store = "/var/lib/edgectl";
// In `meta` while the migrations of an upgrade are under way (back_up_before_migrating).
constexpr std::string_view migrating_key = "upgrade.migrating";

std::string read_meta(Db& db, std::string_view key);

// Before the first migration of an upgrade changes anything, a copy of the store's database as
// the older edgectl left it: backups/edgectl-vN.db, N its schema version. The migrations then mark
// the upgrade begun in `meta` (in their first transaction; the last removes it), so that a command
// killed between two of them, run again, keeps that copy rather than making one of a half-migrated
// store. EDGECTL_MIGRATE_BACKUP=0 migrates without one (a store too large to copy).
std::optional<fs::path> back_up_before_migrating(Db& db, const fs::path& root, int version) {
    if (version == 0) return std::nullopt;  // a new database, being built
    if (const char* env = std::getenv("EDGECTL_MIGRATE_BACKUP"); env && std::string_view(env) == "0")
        return std::nullopt;
    if (!read_meta(db, migrating_key).empty()) return std::nullopt;
    const fs::path dir = root / "backups", name = "edgectl-v" + std::to_string(version) + ".db", final = dir / name,
                   temp = dir / ("." + name.string() + ".partial");
    try {
        fs::remove(temp);
        Statement copy(db, "VACUUM INTO ?");
        copy.bind(1, temp.string()).run();
        if (::chmod(temp.c_str(), 0600) != 0) throw Error(std::strerror(errno));
        File::open_read(temp).sync("store.backup");
        rename_durably(temp, final, "store.backup");
    } catch (const std::exception& e) {
        std::error_code ignored;
        fs::remove(temp, ignored);
        throw Error("store '" + root.string() + "' was not migrated from schema version " + std::to_string(version) +
                    " to " + std::to_string(store_schema_version) + ": cannot back it up first to '" + final.string() +
                    "': " + e.what() +
                    " (it needs free space about the size of edgectl.db; EDGECTL_MIGRATE_BACKUP=0 migrates "
                    "without a backup)");
    }
    return final;
}

void migrate(Db& db, const fs::path& root) {
    int version = db.user_version();
    if (version > store_schema_version)
        throw Error("store '" + root.string() + "' has schema version " + std::to_string(version) +
                    ", newer than this edgectl understands (" + std::to_string(store_schema_version) +
                    "); upgrade edgectl");
    if (version == store_schema_version) return;
    // One process upgrades a store at a time, the backup included; another waits for none (exit 75).
    std::optional<StoreLock> lock;
    if (version > 0) {
        make_dir(root / "backups", 0700, "store.backup");
        try {
            lock.emplace(root / "backups" / ".migrate.lock", "migrate", root);
        } catch (const Error& e) {
            if (e.code() != Exit::locked) throw;
            throw Error("another edgectl is migrating store '" + root.string() + "'; try again later", Exit::locked);
        }
        version = db.user_version();
        if (version == store_schema_version) return;
    }
    const int from = version;
    const std::optional<fs::path> backup = back_up_before_migrating(db, root, version);
    // Migrations may rebuild tables that others refer to: foreign keys are off while they run (the
    // pragma has no effect inside a transaction) and checked before each commits. The version is
    // read again under the write lock: another process may have migrated the store meanwhile.
    db.exec("PRAGMA foreign_keys = OFF");
    for (;;) {
        Transaction tx(db, "store.migrate");
        version = db.user_version();
        if (version >= store_schema_version) break;
        db.exec(store_migrations()[std::size_t(version)]);
        if (from > 0) {
            Statement mark(db, version + 1 == store_schema_version
                                   ? "DELETE FROM meta WHERE key = ?"
                                   : "INSERT INTO meta (key, value) VALUES (?, 'begun') ON CONFLICT DO NOTHING");
            mark.bind(1, migrating_key).run();
        }
        if (query_int(db, "SELECT count(*) FROM pragma_foreign_key_check") != 0)
            throw Error("store '" + root.string() + "': migration to schema version " + std::to_string(version + 1) +
                        " would break references between rows; nothing was changed");
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
        tx.commit();
    }
    db.exec("PRAGMA foreign_keys = ON");
    if (backup)
        log::warning("store '" + root.string() + "' migrated from schema version " + std::to_string(from) + " to " +
                     std::to_string(store_schema_version) + "; its database as it was is kept in '" + backup->string() +
                     "' (docs/operations.md: going back)");
}

std::string read_meta(Db& db, std::string_view key) {
    Statement stmt(db, "SELECT value FROM meta WHERE key = ?");
    stmt.bind(1, key);
    return stmt.step() ? stmt.column_text(0) : std::string();
}

std::string_view table_name(RowTable table) {
    switch (table) {
    case RowTable::items: return "items";
    case RowTable::insights: return "insights";
    case RowTable::quarantine: return "quarantine";
    case RowTable::shadow_insights: return "shadow_insights";
    }
    return {};
}

// The largest id the table holds, or NULL. A row of shadow answers holds the ids from its own up to
// its own + answers - 1; the row with the largest id has the largest.
std::string max_id_sql(RowTable table) {
    if (table == RowTable::shadow_insights)
        return "(SELECT id + answers - 1 FROM shadow_answers ORDER BY id DESC LIMIT 1)";
    return "(SELECT max(id) FROM " + std::string(table_name(table)) + ")";
}

}  // namespace

std::int64_t next_row_id(Db& db, RowTable table) {
    // Table names come from the enum above, never from input.
    std::string name(table_name(table));
    Statement next(db, "SELECT max(coalesce(" + max_id_sql(table) +
                           ", 0), coalesce((SELECT floor FROM id_floors WHERE name = ?), 0)) + 1");
    next.bind(1, name);
    next.step();
    return next.column_int(0);
}

void raise_id_floors(Db& db) {
    for (RowTable table : {RowTable::items, RowTable::insights, RowTable::quarantine, RowTable::shadow_insights}) {
        std::string name(table_name(table));
        Statement raise(db, "INSERT INTO id_floors (name, floor) VALUES (?1, coalesce(" + max_id_sql(table) +
                                ", 0)) ON CONFLICT (name) DO UPDATE SET floor = max(floor, excluded.floor)");
        raise.bind(1, name).run();
    }
}

fs::path resolve_store_root(const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const char* env = std::getenv("EDGECTL_STORE"); env && *env) return env;
    return fs::path(default_store);
}

bool is_valid_site_id(std::string_view site) {
    if (site.empty() || site.size() > 64) return false;
    for (std::size_t i = 0; i < site.size(); ++i) {
        char c = site[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

StoreLock::StoreLock(const fs::path& lock_file, std::string_view command, const fs::path& store_root)
    : command_(command) {
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("cannot open lock file '" + lock_file.string() + "': " + std::strerror(errno));
    file_ = File(fd, lock_file);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            throw Error("another 'edgectl " + std::string(command) + "' is running on store '" + store_root.string() +
                            "'; try again later",
                        Exit::locked);
        throw Error("cannot lock '" + lock_file.string() + "': " + std::strerror(errno));
    }
}

void StoreLock::require(std::string_view command) const {
    if (command != command_)
        throw std::logic_error("called with the '" + command_ + "' lock where the '" + std::string(command) +
                               "' lock is needed");
}

Store::Store(fs::path root, Db db) : root_(std::move(root)), db_(std::move(db)) { site_ = read_meta(db_, "site"); }

Store Store::open(const fs::path& root) {
    if (!fs::exists(root / "edgectl.db") && fs::exists(root / "hub.db"))
        throw Error("'" + root.string() +
                    "' is a hub (the receiving side), not a site's store: this command runs at a site");
    if (!fs::exists(root / "edgectl.db"))
        throw Error("no edgectl store at '" + root.string() +
                    "': create one with 'edgectl init --site ID' (or point --store / EDGECTL_STORE at it)");
    Db db = Db::open(root / "edgectl.db", false);
    migrate(db, root);
    return Store(root, std::move(db));
}

Store Store::init(const fs::path& root, std::string_view site) {
    require(is_valid_site_id(site),
            "site id '" + std::string(site) +
                "' is not valid: use 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
            Exit::usage);
    if (fs::exists(root / "edgectl.db") || fs::exists(root / "hub.db"))
        throw Error("a store already exists at '" + root.string() + "'");
    ::umask(077);
    make_dir(root, 0700, "init.store");
    if (::chmod(root.c_str(), 0700) != 0)
        throw Error("cannot set mode 0700 on '" + root.string() + "': " + std::strerror(errno));
    for (const char* sub : {"models", "trust", "staging", "locks"})
        make_dir(root / sub, 0700, "init.store");
    write_file_atomic(root / "site.secret", random_hex(32) + "\n", 0600, "init.secret");
    minisign::SecretKey site_key = minisign::generate();
    minisign::write_key_pair(root / "site.key", root / "site.pub", site_key, "init.site-key");

    // The database goes in last: its presence is what makes a directory a store.
    build_database(
        root / "edgectl.db",
        [&](Db& db) {
            migrate(db, root);
            Transaction tx(db, "init.meta");
            Statement put(db, "INSERT INTO meta (key, value) VALUES (?, ?)");
            put.bind(1, "site").bind(2, site).run();
            put.bind(1, "created_at").bind(2, now_utc()).run();
            tx.commit();
        },
        "init.db");
    return open(root);
}

void build_database(const fs::path& final, const std::function<void(Db&)>& fill, std::string_view rename_point) {
    fs::path temp = final.parent_path() / ("." + final.filename().string() + ".init");
    fs::remove(temp);
    {
        Db db = Db::open(temp, true);
        fill(db);
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    fs::remove(fs::path(temp.string() + "-wal"));
    fs::remove(fs::path(temp.string() + "-shm"));
    rename_durably(temp, final, rename_point);
}

void Store::clear_staging(std::string_view prefix) const {
    for (const auto& entry : fs::directory_iterator(staging_dir()))
        if (entry.path().filename().string().starts_with(prefix)) remove_durably(entry.path(), "staging.sweep");
}

std::string Store::pii_key() {
    std::string text = read_file(secret_path(), 4096);
    if (read_meta(db_, "pii_key") == "secret-file-bytes") return text;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (!is_sha256_hex(text))
        throw Error("'" + secret_path().string() +
                    "' is not 64 hex digits: the site secret is damaged; restore it "
                    "from a backup (personal data hashed with another secret no longer matches)");
    std::string key;
    for (std::size_t i = 0; i < text.size(); i += 2)
        key.push_back(char(std::stoi(text.substr(i, 2), nullptr, 16)));
    return key;
}

StoreLock Store::lock(std::string_view command) const {
    return StoreLock(root_ / "locks" / (std::string(command) + ".lock"), command, root_);
}

}  // namespace edgectl
