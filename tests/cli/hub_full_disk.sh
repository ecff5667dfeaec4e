#!/usr/bin/env bash
# The hub's own disk fills up while it lands: receive fails with exit 1 naming the cause, nothing
# is landed or half-landed and staging is empty; with room again, the same disk lands whole. And a
# disk mounted read-only, as a shipped one may be, is received as it is. Needs root (tmpfs mounts);
# skipped otherwise.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ] || ! { mkdir -p "$WORK/probe" && mount -t tmpfs -o size=64k tmpfs "$WORK/probe" 2>/dev/null; }; then
    echo "SKIP: cannot mount a tmpfs here (needs root)" >&2
    echo ok
    exit 0
fi
umount "$WORK/probe"
mount_tmpfs() { mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" && at_exit "umount '$1'"; }

sample_site
feature_csv "$WORK/m.csv" 3000
expect_exit 0 "$EDGECTL" ingest "$WORK/m.csv"
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/out"
expect_exit 0 "$EDGECTL" export --to "$WORK/out" --include anomalies,insights,items

# The disk as shipped: read-only.
disk="$WORK/disk"
mount_tmpfs "$disk" size=4m
cp "$WORK/out/"* "$disk/"
mount -o remount,ro "$disk"

HUB="$WORK/hubfs/hub"
mount_tmpfs "$WORK/hubfs" size=8m
new_hub
hub_add_site "$STORE" test-site
# Leave less room than the archive's evidence copy and lake files take, twice: the run fails
# cleanly wherever the space runs out (here: the ledger's commit with less room, the staged
# lake files with more).
need=$(du -sk "$WORK/out" | cut -f1)
for room in $((need * 2 / 3)) "$need"; do
    dd if=/dev/zero of="$WORK/hubfs/filler" bs=1k status=none \
        count="$(( $(df -k --output=avail "$WORK/hubfs" | tail -1) - room ))"
    expect_exit 1 "$EDGECTL" --store "$HUB" receive "$disk"
    [[ "$ERR" == *"No space left on device"* || "$ERR" == *"disk is full"* ]] || fail "the error does not say the disk is full: $ERR"
    assert_eq "$(hub_sql 'SELECT count(*) FROM archives')" 0 "archives landed on a full disk"
    assert_eq "$(find "$HUB/lake" "$HUB/evidence" -type f | wc -l)" 0 "lake files on a full disk"
    assert_eq "$(ls -A "$HUB/staging")" "" "staging on a full disk"
    assert_eq "$(hub_sql 'PRAGMA integrity_check')" ok "integrity_check"
    rm "$WORK/hubfs/filler"
done
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$disk"
assert_contains "$OUT" "landed test-site-000001"
assert_eq "$(lake_rows insights)" "$(sql 'SELECT count(*) FROM insights')" "insights in the lake"
echo ok
