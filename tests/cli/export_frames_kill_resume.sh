#!/usr/bin/env bash
# An export carrying every frame, in several volumes, killed before its second volume's archive is synced and again before any is named: each rerun writes the unfinished volumes again from their plans, frames included, and every archive carries exactly the frames its rows name.
source "$(dirname "$0")/lib.sh"

camera_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
export_frames() { "$EDGECTL" export --to "$WORK/disk" --max-bytes 64K --include anomalies,insights,items,images --all-images; }

# Killed as the second volume's archive is about to be synced: volume 1 is complete, 2 and the
# rest are pending with their plans.
EDGECTL_CRASH_AT="export.archive:fsync#2" export_frames >"$WORK/first.out" 2>&1 && fail "the export was not killed"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state = 'complete'")" 1 "complete volumes after the first kill"
pending=$(sql "SELECT count(*) FROM exports WHERE state = 'pending'")
[ "$pending" -ge 2 ] || fail "expected at least 2 pending volumes, got $pending"
# Killed again while the rerun writes the first of them from its plan.
EDGECTL_CRASH_AT="export.archive:fsync#1" export_frames >"$WORK/second.out" 2>&1 && fail "the rerun was not killed"
expect_exit 0 export_frames
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state <> 'complete'")" 0 "unfinished volumes"

# Every archive verifies and carries exactly the frames its rows name (a volume is whole on its own:
# a frame whose insight and item went to different volumes is in both); together, every frame.
all=""
for archive in "$WORK/disk"/*.tar.zst; do
    expect_exit 0 "$EDGECTL" verify "$archive"
    seq=$((10#$(basename "$archive" .tar.zst | sed 's/.*-//')))
    carried=$(tar --zstd -tf "$archive" | sed -n 's|.*/data/images/\([0-9a-f]*\)\.[a-z]*$|\1|p' | sort)
    wanted=$(sql "SELECT it.image FROM insights i JOIN items it ON it.id = i.item_id WHERE i.export_seq = $seq AND
                  it.image IS NOT NULL UNION SELECT image FROM items WHERE export_seq = $seq AND image IS NOT NULL
                  ORDER BY 1")
    assert_eq "$carried" "$wanted" "frames of $(basename "$archive")"
    all+="$carried"$'\n'
done
assert_eq "$(printf '%s' "$all" | sed '/^$/d' | sort -u)" "$(sql 'SELECT digest FROM images ORDER BY 1')" "frames across the archives"
assert_eq "$(sql "SELECT count(*) FROM insights WHERE export_seq IS NULL")" 0 "insights left unexported"
echo ok
