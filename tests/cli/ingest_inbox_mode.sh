#!/usr/bin/env bash
# ingest --move-to: files leave the inbox once their records are committed; files still being
# written wait; a run killed between commit and move never duplicates a record.
source "$(dirname "$0")/lib.sh"
new_store
mkdir -p "$WORK/inbox" "$WORK/done"
feature_csv "$WORK/inbox/a.csv" 20
feature_csv "$WORK/inbox/b.csv.partial" 5
feature_csv "$WORK/inbox/c.csv" 7
touch -d '1 minute ago' "$WORK/inbox/a.csv" "$WORK/inbox/b.csv.partial"   # c.csv was just written

expect_exit 0 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/done")" "a.csv" "moved"
assert_eq "$(ls "$WORK/inbox" | sort | tr '\n' ' ')" "b.csv.partial c.csv " "left in the inbox"
assert_contains "$OUT" "c.csv: deferred"
assert_eq "$(sql 'SELECT count(*) FROM items')" 20 "items"

# The writer finishes c.csv; the next run takes it.
touch -d '1 minute ago' "$WORK/inbox/c.csv"
expect_exit 0 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/done" | sort | tr '\n' ' ')" "a.csv c.csv " "moved"
assert_eq "$(sql 'SELECT count(*) FROM items')" 27 "items"

# Killed after the commit, before the move: the file is still in the inbox with its records in
# the store. The next run recognises it and only moves it.
feature_csv "$WORK/inbox/d.csv" 9 100
touch -d '1 minute ago' "$WORK/inbox/d.csv"
expect_exit 0 "$EDGECTL" ingest "$WORK/inbox/d.csv"          # the commit, without the move
expect_exit 0 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
assert_contains "$OUT" "d.csv: unchanged"
assert_eq "$(ls "$WORK/done" | sort | tr '\n' ' ')" "a.csv c.csv d.csv " "moved"
assert_eq "$(sql 'SELECT count(*) FROM items')" 36 "items"
assert_eq "$(sql 'SELECT count(*) - count(DISTINCT source_key) FROM item_records')" 0 "duplicated records"

# A name already taken in the done directory is not overwritten.
cp "$WORK/done/a.csv" "$WORK/inbox/a.csv" && echo "extra,row" >> "$WORK/inbox/a.csv"
touch -d '1 minute ago' "$WORK/inbox/a.csv"
expect_exit 3 "$EDGECTL" ingest --move-to "$WORK/done" "$WORK/inbox"
assert_eq "$(ls "$WORK/done" | sort | tr '\n' ' ')" "a.csv a.csv.1 c.csv d.csv " "moved without overwriting"
echo ok
