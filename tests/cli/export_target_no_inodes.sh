#!/usr/bin/env bash
# A target that fails a write the free-space check cannot foresee (a tmpfs with room for bytes but
# not for more files): exit 1 with the cause, no file under a final name, nothing marked; the next
# export to a good disk ships every row once.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
total=$(sql 'SELECT count(*) FROM insights')

target="$WORK/disk"
mkdir "$target"
# Two inodes: the root directory and one file, so the archive is written but its sidecar is not.
if ! mount -t tmpfs -o size=16m,nr_inodes=2 tmpfs "$target" 2>/dev/null; then
    echo "SKIP: cannot mount a tmpfs here; this test needs one" >&2
    exit 0
fi
at_exit "! mountpoint -q '$target' || umount '$target'"

expect_exit 1 "$EDGECTL" export --to "$target"
assert_contains "$ERR" "No space left on device"
assert_eq "$(ls -A "$target")" "" "files left on the target"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NOT NULL')" 0 "rows marked"
assert_eq "$(sql "SELECT count(*) FROM exports")" 0 "ledger rows"

umount "$target"
expect_exit 0 "$EDGECTL" export --to "$target"
unpack "$target/test-site-000001.tar.zst" "$WORK/x"
assert_eq "$(insight_ids "$WORK/x"/*/data/insights.ndjson | sort -u | wc -l)" "$total" "insights shipped once"
echo ok
