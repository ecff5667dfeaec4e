#!/usr/bin/env bash
# kill -9 before every durability point of 'ingest --move-to DIR' where DIR is on another
# filesystem (a tmpfs): the move is a copy written under a temporary name, renamed, then the
# source removed. Rerun: each file ends in DIR exactly once, complete, under the name an
# uninterrupted run gives it (a taken name gets '.1'), gone from the inbox, with no temporary left.
source "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: mounting a tmpfs (another filesystem for --move-to) needs root"
    exit 77
fi
source "$(dirname "$0")/lib_crash.sh"

xfs="$WORK/xfs"
mkdir "$xfs"
mount -t tmpfs -o size=16m tmpfs "$xfs" || fail "cannot mount a tmpfs on $xfs"
at_exit "umount '$xfs'"
[ "$(stat -c %d "$xfs")" != "$(stat -c %d "$WORK")" ] || fail "$xfs is not another filesystem"
CRASH_EXTRA_DIRS=("$xfs")

new_store
mkdir "$RUN/inbox"
cp "$SAMPLE"/inbox/* "$RUN/inbox/"
feature_csv "$RUN/inbox/lab-east.csv" 20
touch -d '1 hour ago' "$RUN"/inbox/*
# A different file under one of the names already: that one moves to '<name>.1'.
echo "not the same file" >"$xfs/lab-east.csv"
crash_save_pre
state_of() { crash_state --store "$RUN/store" --dir "$RUN/inbox" --dir "$xfs"; }

CRASH_EXPECT=3 crash_enumerate "ingest --move-to (another filesystem)" \
    "$EDGECTL" ingest --batch 16 --move-to "$xfs" --settle 0 "$RUN/inbox"

ref_has "  items 93" "  quarantine 2" "== dir $RUN/inbox"
assert_eq "$(sed -n "\\|^== dir $xfs\$|,\$p" "$WORK/ref.state" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" \
    "lab-east.csv lab-east.csv.1 lab-north-2026-11-20.csv lab-south-2026-11-21.ndjson " "files in the --move-to directory"
grep -qxF "== dir $xfs" <(sed -n "\\|^== dir $RUN/inbox\$|{n;p}" "$WORK/ref.state") || fail "the inbox is not empty after an uninterrupted run"
crash_finish
