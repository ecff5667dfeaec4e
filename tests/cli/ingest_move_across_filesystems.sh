#!/usr/bin/env bash
# Inbox mode across filesystems: a file is copied under a temporary name, made durable and renamed,
# then the inbox copy is removed; never a partial file under its final name. A run killed between
# the copy and the removal finds its identical copy and only removes the inbox's.
source "$(dirname "$0")/lib.sh"
new_store
mkdir "$WORK/inbox" "$WORK/done"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=4m tmpfs "$WORK/done" 2>/dev/null; then
    echo "SKIP: cannot mount a tmpfs here (needs root); the move across filesystems is not tested" >&2
    exit 0
fi
at_exit "umount '$WORK/done'"
printf 'a,b\n1,2\n' > "$WORK/inbox/one.csv"
printf 'a,b\n3,4\n' > "$WORK/inbox/two.csv"
touch -d '1 hour ago' "$WORK"/inbox/*
trace="$WORK/trace"
EDGECTL_CRASH_TRACE="$trace" expect_exit 0 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/done" | tr '\n' ' ')" "one.csv two.csv " "moved files"
assert_eq "$(ls -A "$WORK/inbox")" "" "inbox"
# Copy, fsync, rename, fsync of the target directory; then the source goes and its directory is fsynced.
assert_eq "$(grep -F "$WORK/done/one.csv" "$trace" | cut -f1 | tr '\n' ' ')" \
    "ingest.move:rename ingest.move-copy:rename " "points of the move"
assert_eq "$(grep -A3 -F "ingest.move-copy:rename	$WORK/done/one.csv" "$trace" | cut -f1 | tr '\n' ' ')" \
    "ingest.move-copy:rename ingest.move-copy:fsync-dir ingest.move-source:unlink ingest.move-source:fsync-dir " "order"
assert_eq "$(grep -B1 -F "ingest.move-copy:rename	$WORK/done/one.csv" "$trace" | head -1 | cut -f1)" "ingest.move-copy:fsync" "fsync before rename"

# Killed after the copy, before the inbox file went: the rerun moves nothing twice.
printf 'a,b\n5,6\n' > "$WORK/inbox/three.csv"
touch -d '1 hour ago' "$WORK/inbox/three.csv"
EDGECTL_CRASH_AT=ingest.move-source:unlink expect_exit 137 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
[ -f "$WORK/inbox/three.csv" ] && [ -f "$WORK/done/three.csv" ] || fail "the kill did not land between copy and removal"
expect_exit 0 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/done" | tr '\n' ' ')" "one.csv three.csv two.csv " "moved files after the rerun"
assert_eq "$(ls -A "$WORK/inbox")" "" "inbox after the rerun"
assert_eq "$(sql 'SELECT count(*) FROM items')" 3 "items"
echo ok
