#!/usr/bin/env bash
# --max-bytes: every volume fits, Bag-Count says k of n, anomalies come first, each volume passes
# sha256sum -c and minisign -V; with kill -9 at several points, every insight still ends up in
# exactly one complete archive.
source "$(dirname "$0")/lib.sh"
sample_site
feature_csv "$WORK/more.csv" 20000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 3 "$EDGECTL" score
total=$(sql 'SELECT count(*) FROM insights')
mkdir "$WORK/disk"
limit=$((96 * 1024))

expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --max-bytes 96K --include anomalies,insights,items --dry-run
assert_contains "$OUT" "would write $WORK/disk/test-site-000001.tar.zst volume 1 of "
assert_eq "$(ls -A "$WORK/disk")" "" "a dry run wrote files"

# Interrupt some runs midway; what they leave is finished or dropped by the next.
for delay in 0.3 0.6 0.9 1.2; do
    "$EDGECTL" export --to "$WORK/disk" --max-bytes 96K --include anomalies,insights,items >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --max-bytes 96K --include anomalies,insights,items
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --max-bytes 96K --include anomalies,insights,items
assert_contains "$OUT" "nothing to export"

: > "$WORK/ids"
expect_exit 0 "$EDGECTL" site-key
printf '%s\n' "$OUT" > "$WORK/site.pub"
archives=("$WORK"/disk/*.tar.zst)
[ "${#archives[@]}" -ge 3 ] || fail "expected several volumes, got ${#archives[@]}"
for archive in "${archives[@]}"; do
    size=$(stat -c %s "$archive")
    [ "$size" -le "$limit" ] || fail "$(basename "$archive") is $size bytes, over --max-bytes $limit"
    (cd "$WORK/disk" && sha256sum -c --quiet "$(basename "$archive").sha256") || fail "sha256sum -c $(basename "$archive")"
    minisign -Vq -p "$WORK/site.pub" -m "$archive" || fail "minisign -V $(basename "$archive")"
    rm -rf "$WORK/x" && unpack "$archive" "$WORK/x"
    grep -q '^Bag-Count: [0-9]* of [0-9]*$' "$WORK"/x/*/bag-info.txt || fail "no Bag-Count k of n"
    for f in "$WORK"/x/*/data/insights.ndjson; do  # a volume of items only has none
        [ -e "$f" ] && insight_ids "$f" >> "$WORK/ids"
    done
done
assert_eq "$(sort "$WORK/ids" | uniq -d | head -3)" "" "insights in two archives"
assert_eq "$(sort -u "$WORK/ids" | wc -l)" "$total" "insights exported"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NULL')" 0 "insights left unexported"
assert_eq "$(sql 'SELECT count(*) FROM exports WHERE state <> '"'complete'"'')" 0 "unfinished ledger rows"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
# Priority within the last complete group: no plain insight ships in a volume before the last one
# that carries anomalies.
group=$(sql "SELECT group_id FROM exports ORDER BY seq DESC LIMIT 1")
plain_seen=""
for name in $(sql "SELECT name FROM exports WHERE group_id = '$group' ORDER BY seq"); do
    rm -rf "$WORK/x" && unpack "$WORK/disk/$name.tar.zst" "$WORK/x"
    f=$(echo "$WORK"/x/*/data/insights.ndjson)
    [ -e "$f" ] || continue
    anomalies=$(grep -c '"anomaly":true' "$f" || true)
    [ "$anomalies" -gt 0 ] && [ -n "$plain_seen" ] && fail "$name carries anomalies after $plain_seen carried plain insights"
    [ "$(grep -c '"anomaly":false' "$f" || true)" -gt 0 ] && plain_seen=$name
done
echo ok
