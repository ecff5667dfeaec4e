#!/usr/bin/env bash
# --dry-run says which archives an export would write, with what: exactly the volumes, and the rows
# in each, that the export then writes (the same cuts under --max-bytes), and left_pending alike;
# and it writes nothing at all, neither on the target nor in the store (no staging).
source "$(dirname "$0")/lib.sh"
sample_site
feature_csv "$WORK/more.csv" 20000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
plan() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps([[a["volume"], a["volumes"], a["rows"]] for a in r["archives"]] + [r["left_pending"]], sort_keys=True))'; }
for limit in 64K 100K 160K; do
    touch "$WORK/before"
    expect_exit 0 "$EDGECTL" --json export --to "$WORK/disk" --max-bytes "$limit" --include anomalies,insights,items --dry-run
    planned=$(printf '%s' "$OUT" | plan)
    assert_eq "$(ls -A "$WORK/disk")" "" "a dry run wrote files"
    # Only the database's own files and the lock may change.
    assert_eq "$(cd "$STORE" && find . -mindepth 1 -newer "$WORK/before" ! -name 'edgectl.db*' ! -path './locks*')" "" \
        "a dry run wrote in the store"
    cp -a "$STORE" "$WORK/store-copy"
    expect_exit 0 "$EDGECTL" --json export --to "$WORK/disk" --max-bytes "$limit" --include anomalies,insights,items
    assert_eq "$(printf '%s' "$OUT" | plan)" "$planned" "volumes written against the dry run's plan at --max-bytes $limit"
    # Back to the unexported store for the next size.
    rm -rf "$STORE" "$WORK/disk" && mv "$WORK/store-copy" "$STORE" && mkdir "$WORK/disk"
done
echo ok
