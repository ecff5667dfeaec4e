#!/usr/bin/env bash
# export killed with -9 at random moments, then rerun: every insight ends up in exactly one complete archive, and the store stays intact.
source "$(dirname "$0")/lib.sh"

rounds=8
chunk=20000
disk="$WORK/disk"
mkdir "$disk"
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate

# Each round brings new scored rows, then an export is killed after a random delay. edgectl needs
# ~0.4 s to start (LibTorch), and the export of 20000 rows (plus what killed rounds left) takes
# ~0.3 s more, so delays of 0.35-0.85 s land anywhere from before the ledger row to after the end.
log=""
recovered=""
for round in $(seq "$rounds"); do
    feature_csv "$WORK/chunk-$round.csv" "$chunk" $((round * 1000000))
    expect_exit 0 "$EDGECTL" ingest "$WORK/chunk-$round.csv"
    expect_exit 0 "$EDGECTL" score
    delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.35 + r / 32767 * 0.50 }')
    "$EDGECTL" export --to "$disk" >"$WORK/export-$round.out" 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null && outcome=killed || outcome=finished
    wait "$pid" 2>/dev/null || true
    log+="round $round: ${delay}s $outcome; "
    recovered+=$(grep -c 'finished for an interrupted run' "$WORK/export-$((round - 1)).out" 2>/dev/null || true)
done

# Then export again until there is nothing left.
for _ in 1 2 3 4 5; do
    expect_exit 0 "$EDGECTL" export --to "$disk"
    [ "$OUT" = "nothing to export" ] && break
done
assert_eq "$OUT" "nothing to export" "export did not settle ($log)"

# Every insight in exactly one complete archive.
total=$(sql 'SELECT count(*) FROM insights')
assert_eq "$total" $((rounds * chunk)) "insights in the store"
: >"$WORK/ids"
archives=0
for archive in "$disk"/*.tar.zst; do
    [ -e "$archive" ] || fail "no archive on the target ($log)"
    archives=$((archives + 1))
    (cd "$disk" && sha256sum --quiet -c "$(basename "$archive").sha256") || fail "sidecar of $archive ($log)"
    expect_exit 0 "$EDGECTL" verify "$archive"
    rm -rf "$WORK/x"
    unpack "$archive" "$WORK/x"
    insight_ids "$WORK/x/$(basename "$archive" .tar.zst)/data/insights.ndjson" >>"$WORK/ids"
done
assert_eq "$(sort -n "$WORK/ids" | uniq -d | head -5 | tr '\n' ' ')" "" "insight ids in two archives ($log)"
sql 'SELECT id FROM insights ORDER BY id' >"$WORK/store-ids"
sort -n "$WORK/ids" | cmp -s - "$WORK/store-ids" || fail "the archives do not hold exactly the store's insights ($log)"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NULL')" 0 "insights never exported ($log)"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state = 'complete'")" "$archives" "complete exports vs archives ($log)"
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state <> 'complete'")" 0 "unfinished ledger rows ($log)"
assert_eq "$(sql "SELECT group_concat(name || '.tar.zst', ' ') FROM (SELECT name FROM exports ORDER BY seq)")" \
    "$(cd "$disk" && ls *.tar.zst | tr '\n' ' ' | sed 's/ $//')" "ledger names vs archives ($log)"
# The ledger's rows: the insights, and the drift windows score closed, each exported once.
windows=$(sql 'SELECT count(*) FROM drift_windows WHERE closed_at IS NOT NULL')
assert_eq "$(sql 'SELECT sum(rows) FROM exports')" "$((total + windows))" "rows in the ledger ($log)"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity ($log)"
assert_eq "$(ls -A "$STORE/staging")" "" "staging after the last export"
litter=$(cd "$disk" && ls -A | grep -v -E '\.tar\.zst(\.sha256)?$' || true)
[ -z "$litter" ] || echo "NOTE: killed exports left on the target: $litter ($log)" >&2
echo "kill schedule: $log(rounds that finished an interrupted export: $recovered)"
