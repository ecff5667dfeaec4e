#include "store/purge.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

namespace edgectl {

namespace {

std::int64_t count_answers(Db& db, const std::string& where, const std::string& cutoff) {
    Statement count(db, "SELECT coalesce(sum(answers), 0) FROM shadow_answers WHERE " + where);
    count.bind(1, cutoff).step();
    return count.column_int(0);
}

// The items the shadow answers left keep, as disjoint ranges in temp.shadow_items: a row of answers
// keeps every item from its first to its last (which may hold items of other models), so that
// asking whether an item is kept is one seek, not a look into every row's answers.
void keep_shadow_items(Db& db) {
    db.exec("CREATE TEMP TABLE IF NOT EXISTS shadow_items (first INTEGER PRIMARY KEY, last INTEGER NOT NULL); "
            "DELETE FROM temp.shadow_items");
    Statement rows(db, "SELECT first_item_id, last_item_id FROM shadow_answers ORDER BY first_item_id");
    Statement keep(db, "INSERT INTO temp.shadow_items (first, last) VALUES (?, ?)");
    std::optional<std::pair<std::int64_t, std::int64_t>> open;
    while (rows.step()) {
        std::int64_t first = rows.column_int(0), last = rows.column_int(1);
        if (open && first <= open->second + 1) {
            open->second = std::max(open->second, last);
            continue;
        }
        if (open) keep.bind(1, open->first).bind(2, open->second).run();
        open.emplace(first, last);
    }
    if (open) keep.bind(1, open->first).bind(2, open->second).run();
}

}  // namespace

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
    r.shadow_insights = count_answers(db, "scored_at <= ?1 AND " + acked, cutoff);
    run("DELETE FROM shadow_answers WHERE scored_at <= ?1 AND " + acked);
    keep_shadow_items(db);
    r.quarantine = run("DELETE FROM quarantine WHERE created_at <= ?1 AND " + acked);
    // Closed drift windows only (an open one has no closed_at).
    r.drift_windows = run("DELETE FROM drift_windows WHERE closed_at <= ?1 AND " + acked);
    // An item goes only when nothing refers to it any more.
    r.items = run("DELETE FROM items WHERE ingest_id IN (SELECT id FROM ingests WHERE ingested_at <= ?1) AND " + acked +
                  " AND NOT EXISTS (SELECT 1 FROM insights s WHERE s.item_id = items.id)"
                  " AND NOT EXISTS (SELECT 1 FROM (SELECT last FROM temp.shadow_items WHERE first <= items.id "
                  "ORDER BY first DESC LIMIT 1) WHERE last >= items.id)"
                  " AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.item_id = items.id)");
    // A frame's file goes with the last item that names it: its row now, its file at the next ingest
    // (which alone writes image files, so that none is removed on its way to a new row).
    db.exec("DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM items it WHERE it.image = images.digest)");
    r.images = std::int64_t(db.changes());
    tx.commit();
    return r;
}

}  // namespace edgectl
