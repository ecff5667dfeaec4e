#!/usr/bin/env bash
# Ingesting files already ingested adds nothing (exit 0), also when the same bytes arrive under another file name.
source "$(dirname "$0")/lib.sh"

csv="$SAMPLE/inbox/lab-north-2026-11-20.csv"
ndjson="$SAMPLE/inbox/lab-south-2026-11-21.ndjson"
snapshot() { sql "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM sources),
                         (SELECT max(id) FROM items)"; }

new_store
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
before=$(snapshot)
assert_eq "$before" "73|2|2|73" "after the first ingest (items|quarantine|sources|max id)"

# The same directory again: every file is unchanged, nothing quarantined again, so exit 0.
expect_exit 0 "$EDGECTL" ingest "$SAMPLE/inbox"
assert_eq "$OUT" "$csv: unchanged
$ndjson: unchanged
ingested 0 items, quarantined 0 records"
assert_eq "$(snapshot)" "$before" "second ingest of the same files"

# The same bytes under other names (and with --source): still nothing new.
cp "$csv" "$WORK/renamed.csv"
cp "$ndjson" "$WORK/copy-of-south.jsonl"
expect_exit 0 "$EDGECTL" ingest --source elsewhere "$WORK/renamed.csv" "$WORK/copy-of-south.jsonl"
assert_eq "$OUT" "$WORK/renamed.csv: unchanged
$WORK/copy-of-south.jsonl: unchanged
ingested 0 items, quarantined 0 records"
assert_eq "$(snapshot)" "$before" "ingest of renamed copies"
assert_eq "$(sql "SELECT count(*) FROM item_records WHERE source = 'elsewhere'")" 0 "items under the new source name"

# Sanity: one changed byte is new content and is ingested.
sed 's/N-0001,/N-9001,/' "$csv" >"$WORK/changed.csv"
expect_exit 3 "$EDGECTL" ingest "$WORK/changed.csv"
assert_contains "$OUT" "$WORK/changed.csv: ingested (41 items, 1 quarantined)"
