#!/usr/bin/env bash
# While another process holds the ingest lock, 'ingest' exits 75 saying so and changes nothing; status and other commands still run.
source "$(dirname "$0")/lib.sh"

new_store
feature_csv "$WORK/in.csv" 10
lock="$STORE/locks/ingest.lock"

# Another process takes the lock with util-linux flock (the same flock(2) lock edgectl uses). With -o
# the lock is held by flock itself, so ending that one process releases it.
flock -o "$lock" sleep 60 &
holder=$!
at_exit "kill $holder 2>/dev/null"
for _ in $(seq 100); do
    flock -n "$lock" true || break
    sleep 0.05
done
flock -n "$lock" true && fail "the background flock never took $lock"
sleeper=$(pgrep -P "$holder") || fail "flock's child is not running"
at_exit "kill $sleeper 2>/dev/null"

expect_exit 75 "$EDGECTL" ingest "$WORK/in.csv"
assert_eq "$ERR" "edgectl: error: another 'edgectl ingest' is running on store '$STORE'; try again later"
assert_eq "$OUT" "" "stdout of a locked-out ingest"
assert_eq "$(sql 'SELECT count(*) FROM items')$(sql 'SELECT count(*) FROM sources')" 00 "rows written by a locked-out ingest"
expect_exit 75 "$EDGECTL" -q ingest "$WORK/in.csv"
assert_contains "$ERR" "another 'edgectl ingest' is running" "--quiet still prints the error"

# Readers and other commands do not wait for the ingest lock.
expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "items:       0"
expect_exit 0 "$EDGECTL" score
expect_exit 0 "$EDGECTL" models list

# Once the other process is gone, ingest proceeds.
kill "$holder" "$sleeper"
wait "$holder" 2>/dev/null || true
flock -n "$lock" true || fail "the lock is still held after its holder ended"
expect_exit 0 "$EDGECTL" ingest "$WORK/in.csv"
assert_contains "$OUT" "ingested 10 items"
