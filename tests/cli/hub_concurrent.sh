#!/usr/bin/env bash
# Two receives on one hub: while one holds the hub's 'receive' lock (stopped mid-landing), the
# other exits 75 at once and changes nothing; readers (sites list, receipts read by a site) are not
# blocked; the first then finishes as if alone.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights
new_hub
hub_add_site "$STORE" test-site
EDGECTL_CRASH_STOP=receive.landing:commit "$EDGECTL" --store "$HUB" receive "$WORK/disk" >"$WORK/first.out" 2>&1 &
pid=$!
at_exit "kill -9 $pid 2>/dev/null || true"
wait_stopped "$pid" "receive at receive.landing:commit"
expect_exit 75 "$EDGECTL" --store "$HUB" receive "$WORK/disk"
assert_contains "$ERR" "another 'edgectl receive' is running on store '$HUB'; try again later"
expect_exit 75 "$EDGECTL" --store "$HUB" receipts
expect_exit 0 "$EDGECTL" --store "$HUB" sites list
assert_contains "$OUT" "test-site  "
kill -CONT "$pid"
wait "$pid" || fail "the first receive failed: $(cat "$WORK/first.out")"
assert_contains "$(cat "$WORK/first.out")" "landed test-site-000001"
assert_eq "$(hub_sql "SELECT group_concat(state) FROM archives")" landed "ledger"
echo ok
