#!/usr/bin/env bash
# A second score scores nothing and changes nothing; items ingested later are scored by the next run only, once.
source "$(dirname "$0")/lib.sh"

counts() { sql "SELECT (SELECT count(*) FROM insights), (SELECT count(*) FROM quarantine WHERE stage = 'score'),
                       (SELECT max(id) FROM insights)"; }

sample_site
expect_exit 3 "$EDGECTL" score
before=$(counts)
assert_eq "$before" "70|3|70" "after the first score (insights|score quarantine|max insight id)"

# Nothing new: scored 0, exit 0 (nothing quarantined by this run), the store unchanged.
expect_exit 0 "$EDGECTL" score
assert_eq "$OUT" "wine-cultivar@1.0.0: scored 0 items, 0 anomalies, 0 quarantined"
assert_eq "$(counts)" "$before" "second score"

# Five new valid items: the next score takes exactly those, each once.
feature_csv "$WORK/more.csv" 5
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
assert_contains "$OUT" "ingested 5 items, quarantined 0 records"
expect_exit 0 "$EDGECTL" score
assert_contains "$OUT" "wine-cultivar@1.0.0: scored 5 items, "
assert_contains "$OUT" " anomalies, 0 quarantined"
assert_eq "$(sql 'SELECT count(*) FROM insights')" 75 "insights after scoring the new items"
assert_eq "$(sql "SELECT count(*) FROM insights WHERE item_id IN (SELECT id FROM item_records WHERE source = '$WORK/more.csv')")" 5 \
    "insights of the new items"
assert_eq "$(sql 'SELECT count(*) FROM (SELECT item_id FROM insights GROUP BY item_id, model, model_version HAVING count(*) > 1)')" 0 \
    "items scored twice"
assert_eq "$(sql "SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM insights)
                  AND id NOT IN (SELECT item_id FROM quarantine WHERE stage = 'score')")" 0 "items left unscored"

expect_exit 0 "$EDGECTL" score
assert_eq "$OUT" "wine-cultivar@1.0.0: scored 0 items, 0 anomalies, 0 quarantined"
assert_eq "$(sql 'SELECT count(*) FROM insights')" 75 "insights after a third score"
