#!/usr/bin/env bash
# An export interrupted after its archive got its name stays pending while that archive cannot be
# found (the disk mounted elsewhere, an empty mount point): export stops with exit 1 naming the
# missing path, and never writes a second archive under the same sequence. Once the disk is back,
# the next run finishes the export; or the operator abandons it and its rows go out again.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
EDGECTL_CRASH_AT=export.mark:commit expect_exit 137 "$EDGECTL" export --to "$WORK/disk"
[ -f "$WORK/disk/test-site-000001.tar.zst" ] || fail "the archive was not named before the kill"

# An archive that is there is not lost: abandoning it would ship its rows twice.
expect_exit 1 "$EDGECTL" exports abandon 1
assert_contains "$ERR" "export test-site-000001 is not lost: its archive is at '$WORK/disk/test-site-000001.tar.zst'"

# The disk is unmounted: the mount point is there, empty.
mv "$WORK/disk" "$WORK/disk-away"
mkdir "$WORK/disk"
expect_exit 1 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$ERR" "export test-site-000001 is unfinished, and its archive is not at '$WORK/disk/test-site-000001.tar.zst'"
assert_contains "$ERR" "exports abandon 1"
assert_eq "$(ls -A "$WORK/disk")" "" "files written meanwhile"
# Another empty target changes nothing either.
mkdir "$WORK/elsewhere"
expect_exit 1 "$EDGECTL" export --to "$WORK/elsewhere"
assert_eq "$(ls -A "$WORK/elsewhere")" "" "files written elsewhere"
assert_eq "$(sql "SELECT seq || ' ' || state FROM exports")" "1 pending" "ledger"
expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "1 unfinished (see 'edgectl exports list')"

# The disk is back: the export is finished, with its original sequence and bytes.
rmdir "$WORK/disk"
mv "$WORK/disk-away" "$WORK/disk"
digest=$(sha256sum < "$WORK/disk/test-site-000001.tar.zst" | cut -c1-64)
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$OUT" "[finished for an interrupted run]"
assert_eq "$(sql "SELECT state || ' ' || digest FROM exports")" "complete $digest" "ledger after recovery"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NULL')" 0 "rows left unexported"

# Abandoning: another interrupted export whose disk is lost for good.
feature_csv "$WORK/more.csv" 10 7000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score
EDGECTL_CRASH_AT=export.mark:commit expect_exit 137 "$EDGECTL" export --to "$WORK/disk"
rm -r "$WORK/disk"
mkdir "$WORK/disk"
expect_exit 1 "$EDGECTL" export --to "$WORK/disk"
expect_exit 1 "$EDGECTL" exports abandon 1
assert_contains "$ERR" "export 1 is not pending"
expect_exit 0 "$EDGECTL" exports abandon 2
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$OUT" "test-site-000003.tar.zst"
assert_eq "$(sql "SELECT group_concat(seq || ':' || state, ' ') FROM (SELECT * FROM exports ORDER BY seq)")" \
    "1:complete 2:abandoned 3:complete" "ledger"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 3')" 10 "rows of the abandoned export shipped again"
echo ok
