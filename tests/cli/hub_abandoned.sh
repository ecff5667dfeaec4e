#!/usr/bin/env bash
# An export the site abandoned (its disk lost, its rows sent again later) is not missing at the hub:
# the next bag links to no earlier one. If the lost archive turns up after all, it is refused, so
# that its rows do not land twice.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk" "$WORK/found"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights
feature_csv "$WORK/m.csv" 30 1000
expect_exit 0 "$EDGECTL" ingest "$WORK/m.csv"
expect_exit 0 "$EDGECTL" score
# Export 2 is killed just before its archive gets its name; the finished archive, sidecars and all,
# leaves on a disk that is then lost, and the operator abandons the export.
(EDGECTL_CRASH_AT=export.archive:rename "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights >/dev/null 2>&1) 2>/dev/null || true
mv "$WORK/disk/.test-site-000002.tar.zst.partial" "$WORK/found/test-site-000002.tar.zst"
mv "$WORK/disk/test-site-000002.tar.zst".{sha256,minisig} "$WORK/found/"
expect_exit 0 "$EDGECTL" exports abandon 2
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights
[ -e "$WORK/disk/test-site-000003.tar.zst" ] || fail "export 3 was not written"

new_hub
hub_add_site "$STORE" test-site
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$WORK/disk"
assert_not_contains "$ERR" "missing"
assert_eq "$(json_get "$(cat "$HUB/receipts/test-site.receipt")" "d['missing']")" "[]" "missing"
expect_exit 4 "$EDGECTL" --store "$HUB" receive "$WORK/found"
assert_contains "$ERR" "the site abandoned sequence 2 (sequence 3, landed, does not link to it): its rows went out again"
assert_eq "$(hub_sql 'SELECT group_concat(seq) FROM archives')" "1,3" "landed"
assert_eq "$(lake_rows insights)" "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NOT NULL')" "insights in the lake"
echo ok
