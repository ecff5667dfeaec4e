#!/usr/bin/env bash
# Files with CR-only line ends (old Mac software, some instruments) are read record by record, with
# the right line numbers, instead of becoming one line: a file of records never ingests as zero items.
source "$(dirname "$0")/lib.sh"
new_store
printf 'a,b\r1,2\r3,4,5\r6,7\r' > "$WORK/cr.csv"
printf 'a,b\r\n8,9\r\n' > "$WORK/crlf.csv"
expect_exit 3 "$EDGECTL" ingest "$WORK/cr.csv" "$WORK/crlf.csv"
assert_contains "$OUT" "cr.csv: ingested (2 items, 1 quarantined)"
assert_contains "$OUT" "crlf.csv: ingested (1 items, 0 quarantined)"
assert_eq "$(sql "SELECT group_concat(line, ',') FROM (SELECT line FROM item_records WHERE source LIKE '%/cr.csv' ORDER BY id)")" "2,4" "lines"
assert_eq "$(sql "SELECT line || ' ' || reason FROM quarantine")" "3 expected 2 fields, found 3" "quarantined record"
echo ok
