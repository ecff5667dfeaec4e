#!/usr/bin/env bash
# Inbox mode never loses a file: a --move-to directory inside the inbox is not walked, a file already
# where it would go stays, and a file replaced under its name while it was ingested is left in the
# inbox for the next run rather than moved in place of the one ingested.
source "$(dirname "$0")/lib.sh"
new_store
mkdir -p "$WORK/inbox/done"
printf 'a,b\n1,2\n' > "$WORK/inbox/one.csv"
expect_exit 0 "$EDGECTL" ingest --settle 0 --move-to "$WORK/inbox/done" "$WORK/inbox"
expect_exit 0 "$EDGECTL" ingest --settle 0 --move-to "$WORK/inbox/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/inbox/done")" "one.csv" "files in done/"
assert_eq "$(cat "$WORK/inbox/done/one.csv")" "$(printf 'a,b\n1,2')" "the moved file"
expect_exit 0 "$EDGECTL" ingest --settle 0 --move-to "$WORK/inbox/done" "$WORK/inbox/done"
[ -f "$WORK/inbox/done/one.csv" ] || fail "a file moved onto itself was lost"

# Replaced while ingested: the run stops before its file counts as done, another file takes the name.
printf 'a,b\n3,4\n' > "$WORK/inbox/two.csv"
EDGECTL_CRASH_STOP=ingest.complete:commit "$EDGECTL" ingest --settle 0 --move-to "$WORK/inbox/done" "$WORK/inbox" \
    >"$WORK/run.out" 2>&1 &
pid=$!
wait_stopped "$pid" "ingest at ingest.complete:commit"
printf 'a,b\n5,6\n' > "$WORK/replacement"
mv "$WORK/replacement" "$WORK/inbox/two.csv"
kill -CONT "$pid"
wait "$pid" || fail "ingest failed: $(cat "$WORK/run.out")"
assert_contains "$(cat "$WORK/run.out")" "was replaced while it was ingested; left in the inbox for the next run"
assert_eq "$(cat "$WORK/inbox/two.csv")" "$(printf 'a,b\n5,6')" "the replacement, still in the inbox"
expect_exit 0 "$EDGECTL" ingest --settle 0 --move-to "$WORK/inbox/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/inbox" | tr '\n' ' ')" "done " "inbox"
assert_eq "$(sql "SELECT group_concat(payload, ' ') FROM (SELECT payload FROM items ORDER BY id)")" "[1,2] [3,4] [5,6]" "items"
echo ok
