#include "hub/receive.hpp"

#include "export/bag.hpp"
#include "hub/lake.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <set>

namespace edgectl {
namespace {

using Outcome = ReceivedArchive::Outcome;

// An archive's landed row, as far as the chain checks need it.
struct LandedRow {
    std::string sha256, tagmanifest, previous, landed_at;  ///< landed_at: empty if landing in this run
    std::string when() const { return landed_at.empty() ? "earlier in this run" : "on " + landed_at; }
};

std::optional<LandedRow> landed_row(Hub& hub, const std::string& site, std::int64_t seq) {
    Statement s(hub.db(), "SELECT sha256, tagmanifest, previous, coalesce(landed_at, received_at) FROM archives "
                          "WHERE site = ? AND seq = ?");
    s.bind(1, site).bind(2, seq);
    if (!s.step()) return std::nullopt;
    return LandedRow{s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3)};
}

// '<site>-<seq>' with seq at least 6 digits; false if the name is not one.
bool parse_archive_name(const std::string& base, std::string& site, std::int64_t& seq) {
    auto dash = base.rfind('-');
    if (dash == std::string::npos) return false;
    std::string digits = base.substr(dash + 1);
    if (digits.size() < 6 || digits.size() > 15 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    site = base.substr(0, dash);
    seq = std::stoll(digits);
    return seq > 0 && is_valid_site_id(site);
}

void bump_site(Hub& hub, const std::string& site) {
    Statement s(hub.db(), "UPDATE sites SET version = version + 1, changed_at = ? WHERE id = ?");
    s.bind(1, now_utc()).bind(2, site).run();
}

// Creates dir and every missing folder above it, for the syncfs that follows the renames.
void make_dirs(const fs::path& dir) {
    if (fs::is_directory(dir)) return;
    make_dirs(dir.parent_path());
    make_dir_unsynced(dir, 0700, "receive.lake");
}

// Gives every staged file of a landing its final name. A file already moved (by a run killed
// midway) is where it belongs; a staged file is renamed over whatever is under its final name,
// which can only be the same bytes (names are fixed by site, sequence and content). Nothing is
// synced: the caller makes all its landings' renames durable with one syncfs before marking them
// landed.
void place(Hub& hub, const std::vector<LandedFile>& files, const std::string& name) {
    for (const auto& f : files) {
        fs::path staged = hub.root() / f.staged, final = hub.root() / f.final;
        if (fs::exists(staged)) {
            make_dirs(final.parent_path());
            rename_unsynced(staged, final, "receive.lake");
        } else if (!fs::exists(final)) {
            throw Error("the landing of " + name + " lost " + quote(f.final) +
                        ": it is neither staged nor in place; the hub is damaged (restore it from a backup)");
        }
    }
}

// Marks these archives, whose files are all in place and durable, 'landed', and grows each one's
// site's receipt serial, in one transaction.
void record_landed(Hub& hub, const std::vector<std::pair<std::string, std::int64_t>>& archives) {
    if (archives.empty()) return;
    Transaction tx(hub.db(), "receive.landed");
    Statement done(hub.db(), "UPDATE archives SET state = 'landed', landed_at = ? WHERE site = ? AND seq = ?");
    std::string now = now_utc();
    for (const auto& [site, seq] : archives) {
        done.bind(1, now).bind(2, site).bind(3, seq).run();
        bump_site(hub, site);
    }
    tx.commit();
}

Json files_json(const std::vector<LandedFile>& files) {
    Json out = Json::array();
    for (const auto& f : files)
        out.push_back(Json::array({f.staged, f.final}));
    return out;
}

// An archive verified and staged, waiting for its batch to land: its ledger row.
struct Landing {
    std::string site, name, sha256, tagmanifest, previous, group, bagging_date, source;
    std::int64_t seq = 0, bytes = 0;
    int volume = 1, volumes = 1;
    Json records;
    std::vector<LandedFile> files;
};

// Archives land in batches. Each archive is verified and staged on its own, but a batch is made
// durable together: one syncfs of what it staged, one commit of its 'landing' rows, its files
// renamed into place, one syncfs of the renames, one commit marking it 'landed'. A fleet's disks
// bring thousands of small archives, and a flush of the disk per archive was most of receive's
// time. A run killed within a batch leaves its staged files unnamed (swept by the next run) or
// its rows 'landing' (finished by the next run). ReceiveOptions::batch archives at most, and:
constexpr std::int64_t batch_bytes = std::int64_t(256) << 20;  // of archives: what one batch may stage

class Receiver {
  public:
    Receiver(Hub& hub, const ReceiveOptions& o) : hub_(hub), o_(o) {}
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;
    // A batch whose rows were never committed is forgotten: its staged files go.
    ~Receiver() {
        std::error_code ec;
        for (const auto& l : batch_)
            for (const auto& f : l.files)
                fs::remove(hub_.root() / f.staged, ec);
    }

    ReceivedArchive receive_one(const fs::path& path);
    /// Lands the archives staged since the last call.
    void land_batch();
    std::set<std::string> touched;
    std::vector<std::pair<std::string, std::string>> completed;  // site, group

  private:
    ReceivedArchive refuse(ReceivedArchive a, const std::string& kind, const std::string& reason,
                           const std::string& sha256);
    /// The archive (site, seq) as landed, or staged in this batch.
    std::optional<LandedRow> row(const std::string& site, std::int64_t seq);

    Hub& hub_;
    const ReceiveOptions& o_;
    std::vector<Landing> batch_;
    std::int64_t batch_size_ = 0;
};

std::optional<LandedRow> Receiver::row(const std::string& site, std::int64_t seq) {
    for (const auto& l : batch_)
        if (l.site == site && l.seq == seq) return LandedRow{l.sha256, l.tagmanifest, l.previous, ""};
    return landed_row(hub_, site, seq);
}

ReceivedArchive Receiver::refuse(ReceivedArchive a, const std::string& kind, const std::string& reason,
                                 const std::string& sha256) {
    a.outcome = Outcome::refused;
    a.kind = kind;
    a.reason = reason;
    bool known = !a.site.empty() && find_site(hub_, a.site).has_value();
    Transaction tx(hub_.db(), "receive.refusal");
    Statement put(hub_.db(), "INSERT OR IGNORE INTO refusals (site, seq, name, sha256, kind, reason, source, at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    put.bind(1, known ? std::optional<std::string>(a.site) : std::nullopt);
    if (known)
        put.bind(2, a.seq);
    else
        put.bind(2, std::nullopt);
    put.bind(3, a.path.filename().string()).bind(4, sha256).bind(5, kind).bind(6, reason);
    put.bind(7, fs::absolute(a.path).string()).bind(8, now_utc()).run();
    if (known && hub_.db().changes() > 0) bump_site(hub_, a.site);
    tx.commit();
    if (known) touched.insert(a.site);
    return a;
}

ReceivedArchive Receiver::receive_one(const fs::path& path) {
    ReceivedArchive a;
    a.path = path;
    std::string file_name = path.filename().string();
    a.name = file_name.ends_with(".tar.zst") ? file_name.substr(0, file_name.size() - 8) : file_name;
    if (!file_name.ends_with(".tar.zst") || !parse_archive_name(a.name, a.site, a.seq)) {
        a.site.clear();
        return refuse(a, "name", "not an export archive: its name is not '<site>-<seq>.tar.zst'", sha256_file(path));
    }
    auto site = find_site(hub_, a.site);
    if (!site)
        return refuse(a, "unknown-site",
                      "site " + quote(a.site) +
                          " is not registered at this hub: register its key with 'edgectl sites add " + a.site +
                          " SITE.pub'",
                      sha256_file(path));
    touched.insert(a.site);
    auto existing = row(a.site, a.seq);
    File file = File::open_regular(path);
    if (existing) {
        // The very archive landed already: proven by its digest, without reading it twice.
        if (sha256_file(path) == existing->sha256) {
            a.outcome = Outcome::duplicate;
            a.reason = "landed already, " + existing->when();
            return a;
        }
    }

    // Staged as staging/land-<name>.N until its batch lands; what a refusal or a failure leaves of
    // it is removed here (what a kill leaves, by the next run's sweep). Another archive of the same
    // name in this batch, which can only be refused, stages beside it.
    std::string prefix = "land-" + a.name + (existing && existing->landed_at.empty() ? "-again" : "");
    struct Cleanup {
        fs::path staging;
        std::string prefix;
        bool keep = false;
        ~Cleanup() {
            std::error_code ec;
            if (keep) return;
            for (const auto& e : fs::directory_iterator(staging, ec))
                if (e.path().filename().string().starts_with(prefix)) fs::remove(e.path(), ec);
        }
    } cleanup{hub_.staging_dir(), prefix + "."};

    LakeStager stager(hub_.root(), "staging/" + prefix, a.site, a.name, o_.level);
    ReadBag read = read_bag(file, a.name, &stager);
    std::size_t bag_problems = read.report.problems.size();
    check_bag_sidecars(path, read, &site->key, true, true);
    if (!read.report.ok()) {
        std::string reason;
        for (std::size_t i = 0; i < read.report.problems.size() && i < 3; ++i)
            reason += (i ? "; " : "") + read.report.problems[i];
        if (read.report.problems.size() > 3)
            reason += "; and " + std::to_string(read.report.problems.size() - 3) + " more";
        bool signature =
            std::any_of(read.report.problems.begin() + std::ptrdiff_t(bag_problems), read.report.problems.end(),
                        [](const std::string& p) { return p.find(".minisig") != std::string::npos; });
        return refuse(a, bag_problems > 0 ? "corrupt" : signature ? "signature" : "checksum", reason, read.sha256);
    }
    const auto& info = read.report.info;
    const std::string& tagmanifest = read.report.tagmanifest_sha256;
    const std::string& previous = info.at("Edgectl-Previous-Tagmanifest-SHA256");
    if (existing) {
        if (existing->tagmanifest == tagmanifest) {
            a.outcome = Outcome::duplicate;
            a.reason = "the same bag (resent) landed already, " + existing->when();
            return a;
        }
        return refuse(a, "fork",
                      "sequence " + std::to_string(a.seq) +
                          " landed already with other content: a possible forgery or fork, never landed",
                      read.sha256);
    }
    if (auto before = row(a.site, a.seq - 1); before && before->tagmanifest != previous)
        return refuse(a, "chain",
                      "it links to " +
                          (previous == "none" ? std::string("no earlier export") : previous.substr(0, 16)) +
                          ", but sequence " + std::to_string(a.seq - 1) + " landed as " +
                          before->tagmanifest.substr(0, 16) + ": a possible forgery or fork",
                      read.sha256);
    if (auto after = row(a.site, a.seq + 1)) {
        if (after->previous == "none")
            return refuse(a, "abandoned",
                          "the site abandoned sequence " + std::to_string(a.seq) + " (sequence " +
                              std::to_string(a.seq + 1) + ", landed, does not link to it): its rows went out again",
                          read.sha256);
        if (after->previous != tagmanifest)
            return refuse(a, "chain",
                          "sequence " + std::to_string(a.seq + 1) + ", landed, links to " +
                              after->previous.substr(0, 16) + ", not to this bag: a possible forgery or fork",
                          read.sha256);
    }

    Landing l;
    l.site = a.site;
    l.seq = a.seq;
    l.name = a.name;
    l.sha256 = read.sha256;
    l.tagmanifest = tagmanifest;
    l.previous = previous;
    l.group = info.at("Bag-Group-Identifier");
    const std::string& count = info.at("Bag-Count");
    l.volume = std::stoi(count.substr(0, count.find(' ')));
    l.volumes = std::stoi(count.substr(count.rfind(' ') + 1));
    l.bagging_date = info.at("Bagging-Date");
    l.bytes = std::int64_t(read.size);
    l.source = fs::absolute(a.path).string();
    l.records = stager.counts();
    l.files = stager.finish(path);
    a.outcome = Outcome::landed;
    a.records = l.records;
    batch_size_ += l.bytes;
    batch_.push_back(std::move(l));
    cleanup.keep = true;  // the batch owns its staged files now
    if (batch_.size() >= o_.batch || batch_size_ >= batch_bytes) land_batch();
    return a;
}

void Receiver::land_batch() {
    if (batch_.empty()) return;
    // What the batch staged is durable before any row names it.
    sync_filesystem(hub_.staging_dir(), "receive.stage");
    {
        Transaction tx(hub_.db(), "receive.landing");
        Statement put(hub_.db(),
                      "INSERT INTO archives (site, seq, name, state, sha256, tagmanifest, previous, group_id, volume, "
                      "volumes, bagging_date, bytes, records, files, source, received_at) "
                      "VALUES (?, ?, ?, 'landing', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        std::string now = now_utc();
        for (const auto& l : batch_) {
            put.bind(1, l.site).bind(2, l.seq).bind(3, l.name).bind(4, l.sha256).bind(5, l.tagmanifest);
            put.bind(6, l.previous).bind(7, l.group).bind(8, l.volume).bind(9, l.volumes).bind(10, l.bagging_date);
            put.bind(11, l.bytes).bind(12, l.records.dump()).bind(13, files_json(l.files).dump());
            put.bind(14, l.source).bind(15, now).run();
        }
        tx.commit();
    }
    // The rows are committed: from here the files are the next run's to finish, never to sweep.
    std::vector<Landing> batch = std::move(batch_);
    batch_.clear();
    batch_size_ = 0;
    std::vector<std::pair<std::string, std::int64_t>> landed;
    for (const auto& l : batch) {
        place(hub_, l.files, l.name);
        landed.emplace_back(l.site, l.seq);
    }
    sync_filesystem(hub_.root(), "receive.lake");
    record_landed(hub_, landed);
    Statement group(hub_.db(), "SELECT count(*) FROM archives WHERE site = ? AND group_id = ?");
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& l : batch) {
        if (l.volumes <= 1 || !seen.insert({l.site, l.group}).second) continue;
        group.bind(1, l.site).bind(2, l.group);
        group.step();
        if (group.column_int(0) == l.volumes) completed.emplace_back(l.site, l.group);
        group.reset();
    }
}

// The archives under the given paths: files as given, folders walked for '*.tar.zst' (hidden
// names, such as a partial archive being written, are skipped), in name order.
std::vector<fs::path> collect(const std::vector<fs::path>& paths) {
    std::vector<fs::path> out;
    for (const auto& p : paths) {
        std::error_code ec;
        if (!fs::exists(p, ec)) throw Error("cannot receive " + quote(p) + ": no such file or folder");
        if (!fs::is_directory(p, ec)) {
            out.push_back(p);
            continue;
        }
        std::vector<fs::path> found;
        for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied);
             it != fs::recursive_directory_iterator(); ++it) {
            std::string name = it->path().filename().string();
            if (name.starts_with(".")) {
                if (it->is_directory(ec)) it.disable_recursion_pending();
                continue;
            }
            if (name.ends_with(".tar.zst") && it->is_regular_file(ec)) found.push_back(it->path());
        }
        std::sort(found.begin(), found.end(),
                  [](const fs::path& x, const fs::path& y) { return x.filename() < y.filename(); });
        out.insert(out.end(), found.begin(), found.end());
    }
    return out;
}

}  // namespace

bool ReceiveResult::any_refused() const {
    return std::any_of(archives.begin(), archives.end(), [](const auto& a) { return a.outcome == Outcome::refused; });
}

std::size_t recover_landings(Hub& hub, const StoreLock& lock) {
    lock.require("receive");
    std::vector<std::tuple<std::string, std::int64_t, std::string, std::string>> pending;
    {
        Statement s(hub.db(), "SELECT site, seq, name, files FROM archives WHERE state = 'landing' ORDER BY site, seq");
        while (s.step())
            pending.emplace_back(s.column_text(0), s.column_int(1), s.column_text(2), s.column_text(3));
    }
    std::vector<std::pair<std::string, std::int64_t>> placed;
    for (const auto& [site, seq, name, files_text] : pending) {
        std::vector<LandedFile> files;
        for (const auto& f : Json::parse(files_text))
            files.push_back({f.at(0).get<std::string>(), f.at(1).get<std::string>()});
        place(hub, files, name);
        placed.emplace_back(site, seq);
        log::debug("finished landing " + name + ", which a killed run left");
    }
    if (!placed.empty()) sync_filesystem(hub.root(), "receive.lake");
    record_landed(hub, placed);
    for (const auto& entry : fs::directory_iterator(hub.staging_dir()))
        remove_durably(entry.path(), "receive.sweep");
    return pending.size();
}

std::vector<fs::path> write_receipts(Hub& hub, const StoreLock& lock, const std::vector<std::string>& sites,
                                     const fs::path& dir) {
    lock.require("receive");
    std::vector<std::string> ids = sites;
    if (ids.empty())
        for (const auto& s : list_sites(hub))
            ids.push_back(s.id);
    make_dir(dir, 0700, "receipt.dir");
    std::vector<fs::path> out;
    out.reserve(ids.size());
    for (const auto& id : ids)
        out.push_back(write_receipt(hub, make_receipt(hub, id), dir));
    return out;
}

ReceiveResult receive(Hub& hub, const StoreLock& lock, const ReceiveOptions& o) {
    lock.require("receive");
    ReceiveResult result;
    std::vector<fs::path> archives = collect(o.paths);
    result.recovered = recover_landings(hub, lock);
    if (o.receipts_to) make_dir(*o.receipts_to, 0755, "receipt.dir");
    Receiver receiver(hub, o);
    log::Progress progress("receive", "archives", archives.size());
    for (const auto& path : archives) {
        try {
            result.archives.push_back(receiver.receive_one(path));
        } catch (...) {
            // What the batch verified before the failure still lands, if the disk lets it; the
            // run then stops with the failure.
            try {
                receiver.land_batch();
            } catch (const std::exception& e) {
                log::debug(std::string("the batch before the failure did not land either: ") + e.what());
            }
            throw;
        }
        progress.advance();
    }
    receiver.land_batch();
    for (const auto& site : receiver.touched) {
        Receipt r = make_receipt(hub, site);
        SiteReport report{site, write_receipt(hub, r, hub.receipts_dir()), r.serial, r.missing, r.incomplete_groups,
                          {}};
        if (o.receipts_to) write_receipt(hub, r, *o.receipts_to);
        for (const auto& [s, group] : receiver.completed)
            if (s == site) report.completed_groups.push_back(group);
        result.sites.push_back(std::move(report));
    }
    return result;
}

std::string_view to_string(ReceivedArchive::Outcome outcome) {
    switch (outcome) {
    case Outcome::landed: return "landed";
    case Outcome::duplicate: return "duplicate";
    case Outcome::refused: return "refused";
    }
    return {};
}

Json to_json(const ReceiveResult& r) {
    Json archives = Json::array(), sites = Json::array();
    for (const auto& a : r.archives) {
        Json j = {{"path", a.path.string()}, {"archive", a.name}, {"outcome", to_string(a.outcome)}};
        if (!a.site.empty()) j["site"] = a.site;
        if (a.seq > 0) j["seq"] = a.seq;
        if (a.outcome == Outcome::landed) j["records"] = a.records;
        if (!a.reason.empty()) j["reason"] = a.reason;
        if (!a.kind.empty()) j["kind"] = a.kind;
        archives.push_back(std::move(j));
    }
    for (const auto& s : r.sites) {
        Json missing = Json::array(), groups = Json::array();
        for (const auto& m : s.missing)
            missing.push_back(to_json(m));
        for (const auto& g : s.incomplete_groups)
            groups.push_back(to_json(g));
        sites.push_back({{"site", s.site},
                         {"receipt", s.receipt.string()},
                         {"serial", s.serial},
                         {"missing", missing},
                         {"incomplete_groups", groups},
                         {"completed_groups", s.completed_groups}});
    }
    return {{"archives", archives}, {"sites", sites}, {"recovered", r.recovered}};
}

}  // namespace edgectl
