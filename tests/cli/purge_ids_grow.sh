#!/usr/bin/env bash
# Row ids never come back: after purge deleted the newest rows, new items are still scored (they
# do not fall below the score cursor) and new insights do not reuse the ids of shipped ones.
source "$(dirname "$0")/lib.sh"
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
feature_csv "$WORK/one.csv" 20 0
feature_csv "$WORK/two.csv" 7 1000
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" ingest "$WORK/one.csv"
expect_exit 0 "$EDGECTL" score
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights,items
expect_exit 0 "$EDGECTL" ack 1
expect_exit 0 "$EDGECTL" purge --older-than 0
assert_eq "$(sql 'SELECT count(*) FROM items') $(sql 'SELECT count(*) FROM insights')" "0 0" "rows left after purge"

expect_exit 0 "$EDGECTL" ingest "$WORK/two.csv"
assert_eq "$(sql 'SELECT min(id) FROM items')" 21 "first new item id"
expect_exit 0 "$EDGECTL" --json status
assert_eq "$(json_get "$OUT" "d['active_models'][0]['not_scored']")" 7 "new items waiting"
expect_exit 0 "$EDGECTL" score
assert_eq "$(sql 'SELECT count(*) FROM insights')" 7 "new items scored"
assert_eq "$(sql 'SELECT min(id) FROM insights')" 21 "first new insight id"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
unpack "$WORK/disk/test-site-000001.tar.zst" "$WORK/x1"
unpack "$WORK/disk/test-site-000002.tar.zst" "$WORK/x2"
insight_ids "$WORK/x1/test-site-000001/data/insights.ndjson" > "$WORK/ids"
insight_ids "$WORK/x2/test-site-000002/data/insights.ndjson" >> "$WORK/ids"
assert_eq "$(sort -n "$WORK/ids" | uniq -d | head -3)" "" "insight ids shipped twice"
assert_eq "$(wc -l < "$WORK/ids")" 27 "insights shipped"
echo ok
