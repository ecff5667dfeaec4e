#!/usr/bin/env bash
# A CSV header or an NDJSON key that is not UTF-8 costs that file (or record) only: it is quarantined
# with its file and cause, exit 3, and in inbox mode every file is still ingested and moved. A file
# name that is not UTF-8 comes out in --json as U+FFFD, after the work is committed, with exit 3.
source "$(dirname "$0")/lib.sh"
new_store
mkdir "$WORK/inbox" "$WORK/done"
printf 'id,caf\xe9\n1,2\n' > "$WORK/inbox/a-latin1-header.csv"
printf '{"id": 1, "caf\xe9": 2}\n{"id": 2}\n' > "$WORK/inbox/b-latin1-key.ndjson"
printf 'id,v\n1,2\n3,4\n' > "$WORK/inbox/c-good.csv"
printf 'id,v\n5,6\n' > "$WORK/inbox/d-name-$(printf '\xff').csv"
touch -d '1 hour ago' "$WORK"/inbox/*
expect_exit 3 "$EDGECTL" --json ingest --move-to "$WORK/done" "$WORK/inbox"
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "d['added']")" 4 "items added"
assert_eq "$(json_get "$OUT" "d['quarantined']")" 2 "records quarantined"
assert_contains "$OUT" "d-name-$(printf '\xef\xbf\xbd').csv" "a name that is not UTF-8, as U+FFFD"
assert_eq "$(ls -A "$WORK/inbox")" "" "files left in the inbox"
assert_eq "$(ls "$WORK/done" | wc -l)" 4 "files moved"
assert_eq "$(sql "SELECT reason FROM quarantine WHERE source LIKE '%a-latin1-header.csv'")" \
    "column 2 of the header row is not valid UTF-8" "header reason"
assert_contains "$(sql "SELECT reason FROM quarantine WHERE source LIKE '%b-latin1-key.ndjson'")" "invalid JSON" "key reason"
assert_eq "$(sql 'SELECT count(*) FROM sources WHERE complete = 1')" 4 "files complete"
echo ok
