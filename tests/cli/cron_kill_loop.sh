#!/usr/bin/env bash
# A cron-style loop of ingest + score, killed with -9 at many random points, then rerun: the counts
# of items and insights equal an uninterrupted run's, nothing is duplicated, integrity_check is ok.
source "$(dirname "$0")/lib.sh"
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
# Files arrive between runs, as at a site: every run has work to be killed in.
mkdir "$WORK/arrivals" "$WORK/inbox"
for i in $(seq 1 12); do feature_csv "$WORK/arrivals/batch-$i.csv" 15000 $((i * 100000)); done

# Reference: the same files into a second store, uninterrupted.
ref="$WORK/ref"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" init --site ref
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" trust add "$WORK/keys/vendor.pub"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" ingest "$WORK/arrivals"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" score
want_items=$(sqlite3 "$ref/edgectl.db" 'SELECT count(*) FROM items')
want_insights=$(sqlite3 "$ref/edgectl.db" 'SELECT count(*) FROM insights')

# How long one uninterrupted run takes here, so that the kills land inside runs however fast the
# machine is: the first arrival is ingested and scored without a kill.
cp "$WORK/arrivals/batch-1.csv" "$WORK/inbox/"
t0=$(date +%s%N)
"$EDGECTL" -q ingest "$WORK/inbox" >/dev/null && "$EDGECTL" -q score >/dev/null || fail "uninterrupted run failed"
run_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kills=0
RANDOM=7
for i in $(seq 2 12); do
    cp "$WORK/arrivals/batch-$i.csv" "$WORK/inbox/"
    ( "$EDGECTL" -q ingest "$WORK/inbox" && "$EDGECTL" -q score ) >"$WORK/run-$i.log" 2>&1 &
    pid=$!
    delay_ms=$(( run_ms * (RANDOM % 90 + 5) / 100 ))
    sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
    # $pid is the subshell, or edgectl itself once bash has exec'd the last command in it.
    if kill -0 "$pid" 2>/dev/null; then
        pkill -9 -P "$pid" 2>/dev/null || true
        kill -9 "$pid" 2>/dev/null || true
        kills=$((kills + 1))
    fi
    wait "$pid" 2>/dev/null || true
done
echo "killed $kills of 11 runs midway (an uninterrupted run took $run_ms ms)"
expect_exit 0 "$EDGECTL" ingest "$WORK/inbox"
expect_exit 0 "$EDGECTL" score
assert_eq "$(sql 'SELECT count(*) FROM items')" "$want_items" "items"
assert_eq "$(sql 'SELECT count(*) FROM insights')" "$want_insights" "insights"
assert_eq "$(sql 'SELECT count(*) - count(DISTINCT source_key) FROM item_records')" 0 "duplicated items"
assert_eq "$(sql 'SELECT count(*) FROM (SELECT item_id FROM insights GROUP BY item_id, model, model_version HAVING count(*) > 1)')" 0 "duplicated insights"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
[ "$kills" -ge 4 ] || fail "too few runs were interrupted to prove anything ($kills)"
echo ok
