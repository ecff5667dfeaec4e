#pragma once
// The store directory (docs/architecture.md): edgectl.db (SQLite, WAL), models/, trust/, staging/ for
// write-then-rename on the same filesystem, locks/, and the site's secrets. Everything is readable
// by its owner only.

#include "store/db.hpp"
#include "util/fs.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

/// The schema version this build writes; older stores are migrated forward on open.
inline constexpr int store_schema_version = 10;

/// --store DIR, else $EDGECTL_STORE, else /var/lib/edgectl.
fs::path resolve_store_root(const std::string& flag);

/// True for a site id that is safe in file names: [A-Za-z0-9][A-Za-z0-9._-]{0,63}.
bool is_valid_site_id(std::string_view site);

/// An exclusive, non-blocking lock on one command's lock file (flock), held while alive. The kernel
/// drops it when the process dies, so kill -9 never leaves a stale lock behind.
class StoreLock {
  public:
    StoreLock(const fs::path& lock_file, std::string_view command, const fs::path& store_root);
    StoreLock(StoreLock&&) noexcept = default;

    /// The functions that change what a command owns take its lock as a parameter, so that none
    /// can be called without one; each checks it was given the right one (else a logic error).
    void require(std::string_view command) const;

  private:
    File file_;
    std::string command_;
};

/// The tables whose row ids must only grow: exports name their rows by id ranges, score cursors
/// are item ids, and the receiving side keys what it lands on them.
enum class RowTable { items, insights, quarantine, shadow_insights };

/// The id for the next row of table: above every id it ever held, including rows purge deleted
/// (their floor). Call inside the write transaction that inserts, and count up from it. Because
/// write transactions are serialised, ids grow in commit order: a reader that sees an id sees
/// every smaller one that will ever be given (score's cursor relies on it).
std::int64_t next_row_id(Db& db, RowTable table);

/// Raises every table's floor to its largest id; purge calls it, in its transaction, before it
/// deletes, so that no deleted id is ever given again.
void raise_id_floors(Db& db);

/// The forward migrations, compiled in from schemas/: entry i takes a store from schema version i
/// to i + 1.
const std::vector<std::string_view>& store_migrations();

/// Makes a new database at `final` whole or not at all: it is built under a temporary name beside
/// it ('.<name>.init', removed first if a killed run left one), filled by `fill` (whose commits are
/// its own durability points), checkpointed, and renamed into place last ('<rename_point>:rename',
/// ':fsync-dir'). Its presence then says it is complete, so an init killed midway is run again.
void build_database(const fs::path& final, const std::function<void(Db&)>& fill, std::string_view rename_point);

class Store {
  public:
    /// Opens an existing store; throws Error naming the path and 'edgectl init' when there is none.
    static Store open(const fs::path& root);
    /// Creates a new store for site (mode 0700, secret 0600). Refuses an existing store.
    static Store init(const fs::path& root, std::string_view site);

    const fs::path& root() const { return root_; }
    fs::path db_path() const { return root_ / "edgectl.db"; }
    fs::path models_dir() const { return root_ / "models"; }
    fs::path staging_dir() const { return root_ / "staging"; }
    /// Camera frames, each named by the SHA-256 of its bytes (image_path()).
    fs::path images_dir() const { return root_ / "images"; }
    fs::path image_path(std::string_view digest) const {
        return images_dir() / std::string(digest.substr(0, 2)) / std::string(digest);
    }
    fs::path trust_dir() const { return root_ / "trust"; }
    fs::path secret_path() const { return root_ / "site.secret"; }
    /// The site's signing key pair (minisign format): it signs the site's exports.
    fs::path site_key_path() const { return root_ / "site.key"; }
    fs::path site_public_key_path() const { return root_ / "site.pub"; }
    Db& db() { return db_; }
    const std::string& site() const { return site_; }

    /// The key of keyed hashes of personal data (HMAC-SHA-256): the 32 bytes site.secret spells in
    /// hex; for a store made before schema version 5, the file's bytes as they are (newline
    /// included), so that pseudonyms it already shipped keep matching. Throws Error naming the file
    /// if it is missing or malformed.
    std::string pii_key();

    /// Removes what runs killed midway left in staging under this prefix. Call only while holding
    /// the lock of the command that owns the prefix, so that none of it is live.
    void clear_staging(std::string_view prefix) const;

    /// Takes this command's lock, or throws Error(Exit::locked) when another run holds it.
    StoreLock lock(std::string_view command) const;

  private:
    Store(fs::path root, Db db);
    fs::path root_;
    Db db_;
    std::string site_;
};

}  // namespace edgectl
