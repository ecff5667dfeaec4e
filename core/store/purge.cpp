#include "store/purge.hpp"

#include "util/error.hpp"

#include <chrono>
#include <string>

namespace edgectl {

PurgeResult purge(Store& store, const StoreLock& lock, double days, bool force, const Clock& clock) {
    lock.require("export");
    require(days >= 0, "--older-than must be a number of days, 0 or more", Exit::usage);
    // Times are stored to the second: a row stamped in the cutoff's own second is old enough (so
    // --older-than 0 takes everything acknowledged, even what was written a moment ago).
    auto age = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::seconds(std::int64_t(days * 86400)));
    std::string cutoff = format_utc(clock.wall() - age);
    // Without --force, only rows whose export the receiving side acknowledged go.
    std::string acked = force ? "1" : "export_seq IN (SELECT seq FROM exports WHERE acked_at IS NOT NULL)";
    Db& db = store.db();
    PurgeResult r;
    Transaction tx(db, "purge");
    // The ids of what goes are never given again: exports and score cursors rely on ids that grow.
    raise_id_floors(db);
    auto run = [&](const std::string& sql) {
        Statement s(db, sql);
        s.bind(1, cutoff).run();
        return std::int64_t(db.changes());
    };
    r.insights = run("DELETE FROM insights WHERE scored_at <= ?1 AND " + acked);
    r.shadow_insights = run("DELETE FROM shadow_insights WHERE scored_at <= ?1 AND " + acked);
    r.quarantine = run("DELETE FROM quarantine WHERE created_at <= ?1 AND " + acked);
    // Closed drift windows only (an open one has no closed_at).
    r.drift_windows = run("DELETE FROM drift_windows WHERE closed_at <= ?1 AND " + acked);
    // An item goes only when nothing refers to it any more.
    r.items = run("DELETE FROM items WHERE ingest_id IN (SELECT id FROM ingests WHERE ingested_at <= ?1) AND " + acked +
                  " AND NOT EXISTS (SELECT 1 FROM insights s WHERE s.item_id = items.id)"
                  " AND NOT EXISTS (SELECT 1 FROM shadow_insights s WHERE s.item_id = items.id)"
                  " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.item_id = items.id)");
    // A frame's file goes with the last item that names it: its row now, its file at the next ingest
    // (which alone writes image files, so that none is removed on its way to a new row).
    db.exec("DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM items it WHERE it.image = images.digest)");
    r.images = std::int64_t(db.changes());
    tx.commit();
    return r;
}

}  // namespace edgectl
