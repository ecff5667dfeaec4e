#!/usr/bin/env bash
# A cron-style loop of ingest + score, killed with -9 at many random points, then rerun: the counts
# of items and insights equal an uninterrupted run's, nothing is duplicated, integrity_check is ok.
source "$(dirname "$0")/lib.sh"
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
mkdir "$WORK/inbox"
for i in 1 2 3 4; do feature_csv "$WORK/inbox/batch-$i.csv" 6000 $((i * 10000)); done

# Reference: the same files into a second store, uninterrupted.
ref="$WORK/ref"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" init --site ref
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" trust add "$WORK/keys/vendor.pub"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" ingest "$WORK/inbox"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" score
want_items=$(sqlite3 "$ref/edgectl.db" 'SELECT count(*) FROM items')
want_insights=$(sqlite3 "$ref/edgectl.db" 'SELECT count(*) FROM insights')

kills=0
RANDOM=7
for i in $(seq 1 12); do
    ( "$EDGECTL" -q ingest "$WORK/inbox" && "$EDGECTL" -q score ) >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%02d' $((RANDOM % 90 + 5)))"
    pkill -9 -P "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null || true
done
echo "killed $kills runs midway"
expect_exit 0 "$EDGECTL" ingest "$WORK/inbox"
expect_exit 0 "$EDGECTL" score
assert_eq "$(sql 'SELECT count(*) FROM items')" "$want_items" "items"
assert_eq "$(sql 'SELECT count(*) FROM insights')" "$want_insights" "insights"
assert_eq "$(sql 'SELECT count(*) - count(DISTINCT source_key) FROM items')" 0 "duplicated items"
assert_eq "$(sql 'SELECT count(*) FROM (SELECT item_id FROM insights GROUP BY item_id, model, model_version HAVING count(*) > 1)')" 0 "duplicated insights"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
[ "$kills" -ge 4 ] || fail "too few runs were interrupted to prove anything ($kills)"
echo ok
