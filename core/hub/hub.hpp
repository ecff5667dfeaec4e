#pragma once
// The receiving side's directory (docs/hub.md): hub.db (SQLite, WAL: the sites, what landed, what
// was refused), the hub's signing key pair (it signs receipts), lake/ (what landed, as engines read
// it), evidence/ (the archives as received), receipts/, staging/ for write-then-rename on the same
// filesystem, and locks/. Owner-only, like a site's store.

#include "store/db.hpp"
#include "store/store.hpp"
#include "util/fs.hpp"
#include "util/minisign.hpp"
#include "util/ndjson.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgectl {

/// The schema version of hub.db this build writes.
inline constexpr int hub_schema_version = 1;

class Hub {
  public:
    /// Opens an existing hub; throws Error naming the path and 'edgectl init --hub' when there is none.
    static Hub open(const fs::path& root);
    /// Creates a hub (mode 0700, its key pair 0600). Refuses an existing store or hub.
    static Hub init(const fs::path& root, std::string_view id);

    const fs::path& root() const { return root_; }
    fs::path lake_dir() const { return root_ / "lake"; }
    fs::path evidence_dir() const { return root_ / "evidence"; }
    fs::path receipts_dir() const { return root_ / "receipts"; }
    fs::path staging_dir() const { return root_ / "staging"; }
    fs::path key_path() const { return root_ / "hub.key"; }
    fs::path public_key_path() const { return root_ / "hub.pub"; }
    Db& db() { return db_; }
    const std::string& id() const { return id_; }

    /// Takes this command's lock, or throws Error(Exit::locked) when another run holds it.
    StoreLock lock(std::string_view command) const;

  private:
    Hub(fs::path root, Db db);
    fs::path root_;
    Db db_;
    std::string id_;
};

/// A site the hub receives from.
struct HubSite {
    std::string id;
    std::string key_id;
    minisign::PublicKey key;
    std::string added_at;
    std::int64_t version = 0;  ///< grows with each landing or refusal: the serial of its receipt
    std::optional<std::string> changed_at;
};

/// Registers a site and the public key its archives must be signed with ('edgectl site-key' at
/// the site). Refuses a site registered already, and a key another site uses.
HubSite add_site(Hub& hub, const StoreLock& lock, std::string_view id, const fs::path& public_key_file);
/// The registered site with this id, if any.
std::optional<HubSite> find_site(Hub& hub, std::string_view id);
/// Every registered site, by id.
std::vector<HubSite> list_sites(Hub& hub);

Json to_json(const std::vector<HubSite>& sites);

}  // namespace edgectl
