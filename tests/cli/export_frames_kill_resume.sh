#!/usr/bin/env bash
# An export carrying every frame, in several volumes, killed three times before an archive is synced: each rerun writes the unfinished volumes again from their plans (the first, staged as planned, to the very payload digest it recorded), frames included, and every archive carries exactly the frames its rows name.
source "$(dirname "$0")/lib.sh"

camera_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
export_frames() { "$EDGECTL" export --to "$WORK/disk" --max-bytes 64K --include anomalies,insights,items,images --all-images; }

# Killed as the first volume's archive is about to be synced: every volume is pending with its
# plan, the first one's (staged as it was planned) with its payload manifest's digest, which the
# rerun's volume, staged again with its frames, must match exactly.
EDGECTL_CRASH_AT="export.archive:fsync#1" export_frames >"$WORK/first.out" 2>&1 && fail "the export was not killed"
pending=$(sql "SELECT count(*) FROM exports WHERE state = 'pending'")
[ "$pending" -ge 3 ] || fail "expected at least 3 pending volumes, got $pending"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE seq = 1 AND plan LIKE '%manifest_sha256%'")" 1 "volume 1's manifest digest"
# Killed as the rerun syncs the second: volume 1 complete again, the rest pending.
EDGECTL_CRASH_AT="export.archive:fsync#2" export_frames >"$WORK/second.out" 2>&1 && fail "the rerun was not killed"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state = 'complete'")" 1 "complete volumes after the second kill"
assert_contains "$(cat "$WORK/second.out")" "wrote export test-site-000001 again, for an interrupted run"
# Killed once more while the next rerun writes the first of the rest from its plan.
EDGECTL_CRASH_AT="export.archive:fsync#1" export_frames >"$WORK/third.out" 2>&1 && fail "the third run was not killed"
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
