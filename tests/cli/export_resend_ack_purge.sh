#!/usr/bin/env bash
# A lost shipment is rebuilt with the same rows and payload digests; ack records the receipt; purge
# deletes only acknowledged rows (unless --force); exports list shows it all.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk" "$WORK/disk2" "$WORK/lost"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights,items
feature_csv "$WORK/more.csv" 50
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score

# The disk with export 1 is lost: rebuild it.
expect_exit 0 "$EDGECTL" export --resend 1 --to "$WORK/lost"
assert_contains "$OUT" "rewrote $WORK/lost/test-site-000001.tar.zst"
unpack "$WORK/disk/test-site-000001.tar.zst" "$WORK/a"
unpack "$WORK/lost/test-site-000001.tar.zst" "$WORK/b"
assert_eq "$(cat "$WORK"/b/*/manifest-sha256.txt)" "$(cat "$WORK"/a/*/manifest-sha256.txt)" "payload digests of the resent archive"
expect_exit 0 "$EDGECTL" verify "$WORK/lost/test-site-000001.tar.zst"
expect_exit 1 "$EDGECTL" export --resend 9 --to "$WORK/lost"
assert_contains "$ERR" "export 9 is not a complete export"

expect_exit 0 "$EDGECTL" export --to "$WORK/disk2"
expect_exit 0 "$EDGECTL" exports list
assert_contains "$OUT" "test-site-000001  1/1  complete  "
assert_contains "$OUT" "test-site-000002  1/1  complete  "
assert_not_contains "$OUT" "acked"

before=$(sql 'SELECT count(*) FROM insights')
expect_exit 0 "$EDGECTL" purge --older-than 0
assert_contains "$OUT" "purged 0 insights, 0 items"
expect_exit 0 "$EDGECTL" ack 1
expect_exit 0 "$EDGECTL" exports list --json
assert_eq "$(json_get "$OUT" "[e['acked_at'] is not None for e in d]")" "[True, False]" "acknowledged exports"
expect_exit 1 "$EDGECTL" ack 7
assert_contains "$ERR" "export 7 is not a complete export"

expect_exit 0 "$EDGECTL" purge --older-than 0
in_first=$(sql 'SELECT count(*) FROM insights WHERE export_seq = 1')
assert_eq "$in_first" 0 "insights of the acknowledged export left"
assert_eq "$(sql 'SELECT count(*) FROM insights')" "$((before - 70))" "insights left after purge"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 2')" 50 "insights of the unacknowledged export"
expect_exit 0 "$EDGECTL" purge --older-than 0 --force
assert_eq "$(sql 'SELECT count(*) FROM insights')" 0 "insights after a forced purge"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
echo ok
