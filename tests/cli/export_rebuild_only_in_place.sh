#!/usr/bin/env bash
# A volume interrupted before its name is written again only where it was planned: not into the
# empty mount point its disk left, not onto another disk given with --to. There it is forgotten and
# its rows planned anew. And a volume left pending by schema 4 (no digest recorded before naming)
# is finished by that version's rule when its archive is a valid bag with its nonce.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
total=$(sql 'SELECT count(*) FROM insights')

# 1. A disk unmounted after the kill.
if [ "$(id -u)" = 0 ] && mkdir "$WORK/disk1" && mount -t tmpfs -o size=8m tmpfs "$WORK/disk1" 2>/dev/null; then
    EDGECTL_CRASH_AT=export.archive:fsync expect_exit 137 "$EDGECTL" export --to "$WORK/disk1"
    umount "$WORK/disk1"
    expect_exit 0 "$EDGECTL" export --to "$WORK/disk1"  # the empty mount point, on another filesystem
    assert_not_contains "$ERR" "again, for an interrupted run"
    assert_eq "$(sql "SELECT state FROM exports")" complete "ledger"
    rm -r "$WORK/disk1"/*
    expect_exit 0 "$EDGECTL" exports list
else
    echo "SKIP: cannot mount a tmpfs here (needs root); the unmounted disk case is not tested" >&2
fi

# 2. Another disk given after the kill: the volume goes there, planned anew, not onto the old one.
feature_csv "$WORK/more.csv" 40 9000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score
mkdir -p "$WORK/old" "$WORK/new"
EDGECTL_CRASH_AT=export.archive:fsync expect_exit 137 "$EDGECTL" export --to "$WORK/old"
expect_exit 0 "$EDGECTL" export --to "$WORK/new"
assert_eq "$(ls -A "$WORK/old")" "" "files on the old disk"
seq=$(sql "SELECT max(seq) FROM exports")
[ -f "$WORK/new/$(printf 'test-site-%06d' "$seq").tar.zst" ] || fail "nothing written to the new disk"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NULL')" 0 "rows left unexported"

# 3. Schema 4's pending volume: its archive named, no digest recorded.
feature_csv "$WORK/more2.csv" 30 19000
expect_exit 0 "$EDGECTL" ingest "$WORK/more2.csv"
expect_exit 0 "$EDGECTL" score
EDGECTL_CRASH_AT=export.mark:commit expect_exit 137 "$EDGECTL" export --to "$WORK/new"
sqlite3 "$STORE/edgectl.db" "UPDATE exports SET digest = NULL, plan = json_set(plan, '\$.legacy', json('true')) WHERE state = 'pending'"
expect_exit 0 "$EDGECTL" export --to "$WORK/new"
assert_contains "$OUT" "[finished for an interrupted run]"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state <> 'complete'")" 0 "unfinished exports"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NULL')" 0 "rows left unexported"
for archive in "$WORK/new"/*.tar.zst; do expect_exit 0 "$EDGECTL" verify "$archive"; done
echo ok
