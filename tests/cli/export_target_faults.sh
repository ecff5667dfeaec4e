#!/usr/bin/env bash
# export to a missing, read-only or full target fails (exit 1) naming it, leaves no archive under a final name and marks nothing.
source "$(dirname "$0")/lib.sh"

sample_site
expect_exit 3 "$EDGECTL" score
# Enough rows that the archive cannot fit in the 8 KiB target below.
feature_csv "$WORK/more.csv" 5000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score
total=$(sql 'SELECT count(*) FROM insights')
assert_eq "$total" 5070 "insights to export"

nothing_marked() {
    assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NULL')" "$total" "unexported insights after: $1"
    assert_eq "$(sql "SELECT count(*) FROM exports WHERE state = 'complete'")" 0 "complete exports after: $1"
}
# mount_tmpfs DIR OPTIONS: a tmpfs at DIR (unmounted when the test ends); false when mounting is impossible.
mount_tmpfs() {
    mkdir -p "$1"
    mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null || return 1
    at_exit "umount '$1'"
}

# 1. The target does not exist, or is a file.
expect_exit 1 "$EDGECTL" export --to "$WORK/no-such-disk"
assert_eq "$ERR" "edgectl: error: export target '$WORK/no-such-disk' does not exist or is not a directory"
[ ! -e "$WORK/no-such-disk" ] || fail "export created its missing target"
nothing_marked "a missing target"
touch "$WORK/a-file"
expect_exit 1 "$EDGECTL" export --to "$WORK/a-file"
assert_eq "$ERR" "edgectl: error: export target '$WORK/a-file' does not exist or is not a directory"
nothing_marked "a file as target"

# 2. A read-only target (a read-only tmpfs as root: root ignores a 0555 mode).
ro="$WORK/ro-disk"
if [ "$(id -u)" != 0 ]; then
    mkdir "$ro"
    chmod 0555 "$ro"
    ro_ok=1
elif mount_tmpfs "$ro" size=64k,ro; then
    ro_ok=1
else
    echo "SKIP: cannot mount a read-only tmpfs here; the read-only target case is not tested" >&2
    ro_ok=0
fi
if [ "$ro_ok" = 1 ]; then
    expect_exit 1 "$EDGECTL" export --to "$ro"
    assert_contains "$ERR" "edgectl: error: cannot write to export target '$ro': "
    assert_eq "$(ls -A "$ro")" "" "files on a read-only target"
    nothing_marked "a read-only target"
fi

# 3. A target that fills up while the archive is written.
full="$WORK/full-disk"
if mount_tmpfs "$full" size=8k; then
    expect_exit 1 "$EDGECTL" export --to "$full"
    [[ "$ERR" == "edgectl: error: "* ]] || fail "stderr does not start with 'edgectl: error: ': $ERR"
    assert_contains "$ERR" "$full" "the error names the target"
    full_err=$ERR  # its cause is checked last, so that the checks of what is left run first
    assert_eq "$(find "$full" -name '*.tar.zst' -o -name '*.sha256')" "" "archives under a final name on the full target"
    assert_eq "$(ls -A "$full")" "" "files left on the full target"
    nothing_marked "a full target"
    # Again: the same clean failure (no leftovers from the first attempt get in the way).
    expect_exit 1 "$EDGECTL" export --to "$full"
    assert_contains "$ERR" "$full" "the error names the target"
    nothing_marked "a second attempt on the full target"
else
    echo "SKIP: cannot mount a tmpfs here; the full target case is not tested" >&2
fi

# 4. A good target afterwards takes everything, as export number 1.
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$OUT" "wrote $WORK/disk/test-site-000001.tar.zst ($total insights, "
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 1')" "$total" "insights marked by the good export"

# The full-disk error names its cause, as every error must (STYLE.md 4), not just "Write error".
# (Refused before writing when the free space is known to be too small, or when the write hits it.)
if [ -n "${full_err:-}" ] && [[ "$full_err" != *"No space left on device"* ]]; then
    assert_contains "$full_err" "not enough for any archive" "the cause of the full-disk failure"
fi
