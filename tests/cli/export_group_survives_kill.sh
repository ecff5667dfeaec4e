#!/usr/bin/env bash
# An export of several volumes killed midway is finished with the same volumes: the rerun writes
# the ones that never got their names from their plans, under the same sequences, nonces and group,
# so that the group is whole (k of n, every k present) and each row is in exactly one volume.
source "$(dirname "$0")/lib.sh"
sample_site
# Enough rows for at least three 64K volumes whatever the paths the items name (their length varies).
feature_csv "$WORK/more.csv" 9000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
# Killed while writing the second volume's archive.
EDGECTL_CRASH_AT='export.archive:fsync#2' expect_exit 137 "$EDGECTL" export --to "$WORK/disk" --max-bytes 64K \
    --include anomalies,insights,items
planned=$(sql "SELECT count(*) FROM exports")
[ "$planned" -ge 3 ] || fail "expected at least 3 volumes planned, got $planned"
nonces=$(sql "SELECT group_concat(nonce, ' ') FROM (SELECT nonce FROM exports ORDER BY seq)")
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --max-bytes 64K --include anomalies,insights,items
assert_contains "$ERR" "wrote export test-site-000002 again, for an interrupted run"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state = 'complete'")" "$planned" "volumes of the group, complete"
assert_eq "$(sql "SELECT group_concat(nonce, ' ') FROM (SELECT nonce FROM exports ORDER BY seq)")" "$nonces" "nonces"
for seq in $(seq 1 "$planned"); do
    name=$(printf 'test-site-%06d' "$seq")
    rm -rf "$WORK/x" && unpack "$WORK/disk/$name.tar.zst" "$WORK/x"
    assert_eq "$(grep '^Bag-Group-Identifier:' "$WORK/x/$name/bag-info.txt")" "Bag-Group-Identifier: test-site-000001" "$name group"
    assert_eq "$(grep '^Bag-Count:' "$WORK/x/$name/bag-info.txt")" "Bag-Count: $seq of $planned" "$name count"
    [ -f "$WORK/x/$name/data/insights.ndjson" ] && insight_ids "$WORK/x/$name/data/insights.ndjson" >>"$WORK/ids"
done
assert_eq "$(sort -n "$WORK/ids" | uniq -d | head -3)" "" "insights in two volumes"
assert_eq "$(wc -l <"$WORK/ids")" "$(sql 'SELECT count(*) FROM insights')" "insights shipped"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --max-bytes 64K --include anomalies,insights,items
assert_eq "$OUT" "nothing to export"
echo ok
