#include "export/export.hpp"

#include "export/bag.hpp"
#include "export/ledger.hpp"
#include "export/plan.hpp"
#include "export/records.hpp"
#include "export/seal.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/scope_guard.hpp"
#include "util/sha256.hpp"

#ifndef EDGECTL_VERSION
#define EDGECTL_VERSION "unknown"
#endif

namespace edgectl {
namespace {

std::string pending_help(const Ledger& l) {
    return "; mount the disk it was written to and run 'edgectl export' again, or, if that archive is lost, "
           "'edgectl exports abandon " +
           std::to_string(l.seq) + "' (its rows then go out in the next export)";
}

// Writes a pending volume that never got its name again, from its plan: the same rows under the
// same sequence, nonce and place in its group (k of n), so that a group interrupted midway is still
// whole. Only on the target it was planned for, on the filesystem it was planned on (not the empty
// mount point of a disk taken away), and only if its rows have not changed meanwhile (purge
// --force); otherwise it is forgotten and its rows planned anew.
std::optional<ExportedArchive> rebuild_volume(Store& store, const Ledger& l, const fs::path& to, int level) {
    std::error_code ec;
    bool same_place = l.target == fs::absolute(to) && l.plan.contains("target_device") &&
                      l.plan["target_device"].get<std::int64_t>() == device_of(l.target);
    if (!same_place || fs::exists(archive_path(l.target, l.name), ec)) return forget(store.db(), l), std::nullopt;
    sweep_target(l.target, store.site(), l.name);
    std::unique_ptr<Volume> v = restage(store, l, level);
    if (!matches_plan(*v, l)) return forget(store.db(), l), std::nullopt;
    Sealed s = seal(store, l, *v, level);
    ExportedArchive a = finish(store, l, s);
    a.recovered = true;
    log::warning("wrote export " + l.name + " again, for an interrupted run");
    return a;
}

// Finishes what an interrupted run left of one volume. Its digest is recorded before any of its
// files is named, and naming takes the archive's temporary name away. So: no digest, or a temporary
// archive that is not the recorded one, means it was never named, and it is written again from its
// plan; the temporary archive holding exactly the recorded bytes is named now; the archive under
// its final name is finished only if it holds exactly the recorded bytes; and with neither file
// there (a disk not mounted, a mount point left empty), the volume stays pending and export stops,
// until that archive is found or the operator abandons it. A volume left pending by an edgectl
// that named archives before recording their digest (store schema 4, plan marked 'legacy') is
// finished, as that version did, if its archive is a valid bag with its nonce.
std::optional<ExportedArchive> recover_volume(Store& store, const Ledger& l, const fs::path& to, int level) {
    fs::path archive = archive_path(l.target, l.name), partial = partial_path(l.target, l.name);
    std::error_code ec;
    bool legacy = l.plan.value("legacy", false) && !l.digest;
    bool named = fs::exists(archive, ec), temporary = !named && fs::exists(partial, ec);
    if (!l.digest && !legacy) return rebuild_volume(store, l, to, level);
    if (!named && !temporary)
        throw Error("export " + l.name + " is unfinished, and its archive is not at '" + archive.string() + "'" +
                    pending_help(l));
    if (legacy && !named) return forget(store.db(), l), std::nullopt;  // never named by that version
    Sealed s{File::open_regular(named ? archive : partial), {}, {}};
    s.read = read_bag(s.file, l.name);
    auto nonce = s.read.report.info.find("Edgectl-Export-Nonce");
    bool ours = s.read.report.ok() && nonce != s.read.report.info.end() && nonce->second == l.nonce &&
                (legacy || s.read.sha256 == *l.digest);
    if (!ours && temporary) return rebuild_volume(store, l, to, level);
    if (!ours)
        throw VerifyError("'" + archive.string() + "' is not the archive export " + l.name + " wrote (its SHA-256 is " +
                          s.read.sha256 + ", the ledger recorded " + l.digest.value_or("none") +
                          "): it is neither signed nor marked; move it aside" + pending_help(l));
    ExportedArchive a = place(store, l, s, false);
    mark_exported(store.db(), l, std::int64_t(a.bytes), a.sha256, s.read.report.tagmanifest_sha256);
    a.recovered = true;
    log::warning("finished export " + l.name + " left by an interrupted run");
    return a;
}

std::vector<ExportedArchive> recover(Store& store, const fs::path& to, int level) {
    std::vector<Ledger> pending;
    {
        Statement stmt(store.db(), std::string(ledger_columns) + "FROM exports WHERE state = 'pending' ORDER BY seq");
        while (stmt.step())
            pending.push_back(read_ledger(stmt));
    }
    std::vector<ExportedArchive> done;
    std::set<fs::path> targets;
    for (const auto& l : pending) {
        if (auto a = recover_volume(store, l, to, level)) done.push_back(*a);
        targets.insert(l.target);
    }
    for (const auto& target : targets)
        sweep_target(target, store.site());
    return done;
}

// After a failure at volume `from`: volumes whose digest was never recorded never got a name, nor
// shipped anything, so they are forgotten, and the next run plans their rows anew (the disk may be
// fuller by then). One whose digest was recorded may have: the next run's recovery decides. Should
// forgetting fail too, the next run writes those volumes again from their plans instead.
void forget_unrecorded(Db& db, const std::vector<Ledger>& ledgers, std::size_t from) noexcept {
    try {
        Transaction tx(db, "export.forget");
        Statement drop(db, "DELETE FROM exports WHERE seq = ? AND state = 'pending' AND digest IS NULL");
        for (std::size_t j = from; j < ledgers.size(); ++j)
            drop.bind(1, ledgers[j].seq).run();
        tx.commit();
    } catch (const std::exception& e) {
        log::warning("could not forget the unwritten volumes of this export: " + std::string(e.what()));
    }
}

// Builds, places and finishes each planned volume in turn.
void write_volumes(Store& store, const ExportOptions& o, Planned& p, ExportResult& result) {
    Db& db = store.db();
    std::vector<Ledger> ledgers;
    std::int64_t first = query_int(db, "SELECT coalesce(max(seq), 0) + 1 FROM exports");
    fs::path target = fs::absolute(o.to);
    Json include = Json::array();
    for (const auto& i : o.include)
        include.push_back(i);
    for (std::size_t k = 0; k < p.volumes.size(); ++k) {
        Volume& v = *p.volumes[k];
        if (v.dir) finish_payload(store, v, o.include.count("summary") > 0);
        Ledger l;
        l.seq = first + std::int64_t(k);
        l.name = export_name(store.site(), l.seq);
        l.group_id = export_name(store.site(), first);
        l.nonce = random_hex(16);
        l.target = target;
        l.max_insight_id = p.max_insight_id;
        l.volume = int(k + 1);
        l.volumes = int(p.volumes.size());
        l.plan = {{"include", include}, {"ranges", v.ranges}, {"target_device", device_of(target)}};
        if (o.images() != ImageSelection::none) l.plan["images"] = to_string(o.images());
        if (v.dir) l.plan["manifest_sha256"] = sha256_hex(bag_manifest(v.payload));
        // What bag-info.txt says besides the rows, fixed here so that the volume written again after
        // a kill, or resent, is the same bag to its last byte of tag files: the hub knows a bag by
        // its tag manifest's digest, and the next bag links to it.
        l.plan["bagging_date"] = now_utc().substr(0, 10);
        l.plan["edgectl_version"] = EDGECTL_VERSION;
        l.counts = v.counts;
        require(!fs::exists(archive_path(target, l.name)), "export target already holds '" +
                                                               archive_path(target, l.name).string() +
                                                               "'; refusing to overwrite it");
        ledgers.push_back(l);
    }
    {
        Transaction tx(db, "export.plan");
        Statement add(db, "INSERT INTO exports (seq, name, nonce, target, state, max_insight_id, started_at, group_id, "
                          "volume, volumes, plan, counts) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)");
        for (const auto& l : ledgers) {
            add.bind(1, l.seq).bind(2, l.name).bind(3, l.nonce).bind(4, l.target.string()).bind(5, l.max_insight_id);
            add.bind(6, now_utc()).bind(7, l.group_id).bind(8, l.volume).bind(9, l.volumes);
            add.bind(10, l.plan.dump()).bind(11, l.counts.dump()).run();
        }
        tx.commit();
    }
    for (std::size_t k = 0; k < ledgers.size(); ++k) {
        const Ledger& l = ledgers[k];
        ScopeFail forget_rest([&] { forget_unrecorded(db, ledgers, k); });
        // One volume at a time: staged now unless it was as it was planned, and its staging
        // removed before the next, so that a backlog of any size holds one volume's files.
        std::uint64_t budget = p.volumes[k]->budget;
        std::unique_ptr<Volume> v = std::move(p.volumes[k]);
        if (!v->dir) {
            v = restage(store, l, o.level);
            if (!matches_plan(*v, l))
                throw Error("the rows of volume " + l.name + " changed while it was being written");
        }
        Sealed s = seal(store, l, *v, o.level);
        v.reset();
        // The size estimate errs on the large side; should it ever not, the volume is refused.
        if (s.read.size > budget)
            throw Error("volume " + l.name + " came out at " + std::to_string(s.read.size) +
                        " bytes, over its budget of " + std::to_string(budget) + "; nothing was marked");
        // Once its digest is recorded, a volume is the next run's to finish or write again,
        // from whatever is under its names then.
        result.archives.push_back(finish(store, l, s));
    }
}

// Rebuilds a complete export from the rows marked with its sequence: same rows, same payload bytes.
ExportedArchive resend(Store& store, const ExportOptions& o) {
    Statement stmt(store.db(), std::string(ledger_columns) + "FROM exports WHERE seq = ? AND state = 'complete'");
    stmt.bind(1, o.resend);
    if (!stmt.step())
        throw Error("export " + std::to_string(o.resend) + " is not a complete export (see 'edgectl exports list')");
    Ledger l = read_ledger(stmt);
    l.target = fs::absolute(o.to);
    sweep_target(l.target, store.site(), l.name);  // what a killed resend of it left
    require(!fs::exists(archive_path(l.target, l.name)),
            "export target already holds '" + archive_path(l.target, l.name).string() + "'; refusing to overwrite it");
    std::unique_ptr<Volume> v = restage(store, l, o.level);
    if (!matches_plan(*v, l))
        throw Error("the rows of export " + l.name +
                    " have changed since it was made (purged?); it cannot be resent identically");
    Sealed s = seal(store, l, *v, o.level);
    ExportedArchive a = place(store, l, s, false);
    a.resent = true;
    return a;
}
}  // namespace

ExportResult export_next(Store& store, const StoreLock& lock, const ExportOptions& o) {
    lock.require("export");
    for (const auto& i : o.include)
        require(export_includes.count(i) > 0,
                "--include: unknown '" + i +
                    "' (use anomalies, drift, images, insights, items, quarantine, shadow, summary)",
                Exit::usage);
    require(o.max_bytes == 0 || o.max_bytes >= min_volume_bytes, "--max-bytes must be at least 64K", Exit::usage);
    require(!o.all_images || o.include.count("images"), "--all-images needs --include images", Exit::usage);
    require(o.images() != ImageSelection::anomalies || o.include.count("anomalies"),
            "--include images carries the anomalies' frames: include anomalies too, or give --all-images for every "
            "exported item's",
            Exit::usage);
    ExportResult result;
    result.dry_run = o.dry_run;
    check_target(o.to);
    if (!o.dry_run) store.clear_staging("export-");  // a dry run writes nothing at all
    if (o.resend > 0) {
        result.archives.push_back(resend(store, o));
        return result;
    }
    if (!o.dry_run) {
        // What interrupted runs left: finished, forgotten, or (pending, its archive not found) an error.
        auto recovered = recover(store, o.to, o.level);
        result.archives.insert(result.archives.end(), recovered.begin(), recovered.end());
        sweep_target(o.to, store.site());
    }
    Planned p = plan_volumes(store, o, o.to);
    result.left_pending = p.left_pending;
    if (p.volumes.empty() && p.left_pending > 0)
        throw Error("export target '" + o.to.string() + "' has " + std::to_string(free_bytes(o.to)) +
                    " bytes free: not enough for any archive");
    if (o.dry_run) {
        std::int64_t seq = query_int(store.db(), "SELECT coalesce(max(seq), 0) + 1 FROM exports");
        for (std::size_t k = 0; k < p.volumes.size(); ++k) {
            ExportedArchive a;
            a.seq = seq + std::int64_t(k);
            a.name = export_name(store.site(), a.seq);
            a.path = archive_path(fs::absolute(o.to), a.name);
            a.volume = int(k + 1);
            a.volumes = int(p.volumes.size());
            a.counts = p.volumes[k]->counts;
            // Planned exactly as a real export plans (the same cuts), its size counted when its
            // plan was closed.
            a.bytes = p.volumes[k]->estimated;
            result.archives.push_back(a);
        }
        return result;
    }
    write_volumes(store, o, p, result);
    return result;
}

void abandon_export(Store& store, const StoreLock& lock, std::int64_t seq) {
    lock.require("export");
    Db& db = store.db();
    Statement find(db, std::string(ledger_columns) + "FROM exports WHERE seq = ? AND state <> 'complete'");
    find.bind(1, seq);
    if (!find.step())
        throw Error("export " + std::to_string(seq) +
                    " is not pending; only an unfinished export can be abandoned "
                    "(see 'edgectl exports list')");
    Ledger l = read_ledger(find);
    find.reset();
    // An archive that is there after all, with the recorded bytes, is not lost: abandoning it would
    // ship its rows twice.
    fs::path archive = archive_path(l.target, l.name);
    std::error_code ec;
    if (l.state == ExportState::pending && l.digest && fs::is_regular_file(archive, ec)) {
        File file = File::open_regular(archive);
        if (read_bag(file, l.name).sha256 == *l.digest)
            throw Error("export " + l.name + " is not lost: its archive is at '" + archive.string() +
                        "'; run 'edgectl export' to finish it");
    }
    if (l.state == ExportState::pending) {  // abandoned already: a run killed before its sweep; only that is left
        Transaction tx(db, "exports.abandon");
        Statement abandon(
            db, "UPDATE exports SET state = 'abandoned', abandoned_at = ? WHERE seq = ? AND state = 'pending'");
        abandon.bind(1, now_utc()).bind(2, seq).run();
        tx.commit();
    }
    // What it left on its target, if that is here: never its archive, should it be there after all.
    sweep_target(l.target, store.site(), l.name);
}

Json to_json(const ExportResult& r) {
    Json archives = Json::array();
    for (const auto& a : r.archives) {
        // Frames are files of the bag, not rows.
        auto rows = a.counts;
        auto frames = rows.find("images");
        std::int64_t frame_count = frames == rows.end() ? 0 : frames->second;
        if (frames != rows.end()) rows.erase(frames);
        archives.push_back({{"seq", a.seq},
                            {"name", a.name},
                            {"path", a.path.string()},
                            {"volume", a.volume},
                            {"volumes", a.volumes},
                            {"rows", rows},
                            {"frames", frame_count},
                            {"bytes", a.bytes},
                            {"sha256", a.sha256.empty() ? Json() : Json(a.sha256)},
                            {"recovered", a.recovered},
                            {"resent", a.resent}});
    }
    return {{"archives", archives}, {"dry_run", r.dry_run}, {"left_pending", r.left_pending}};
}

}  // namespace edgectl
