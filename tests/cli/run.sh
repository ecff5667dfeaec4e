#!/usr/bin/env bash
# 'run' ingests the inbox and scores in one process: once (cron), or with --watch as a service that
# picks up a file dropped into the inbox within seconds, sits idle without using the CPU, lets
# status, export and import-model run beside it, takes an activation without a restart, reloads
# its models on SIGHUP, stops at SIGTERM with everything committed, and after kill -9 and a restart
# leaves exactly one insight per item.
source "$(dirname "$0")/lib.sh"

# wait_for WHAT SECONDS CMD...: waits until CMD succeeds, failing after SECONDS.
wait_for() {
    local what=$1 limit=$2 start=$SECONDS
    shift 2
    until "$@"; do
        [ $((SECONDS - start)) -lt "$limit" ] || fail "$what: not within $limit s"
        sleep 0.1
    done
}
insights() { sql 'SELECT count(*) FROM insights'; }
insights_are() { [ "$(insights)" = "$1" ]; }
by_new() { sql "SELECT count(*) FROM insights WHERE model_version = '1.1.0'"; }
by_new_are() { [ "$(by_new)" = "$1" ]; }
# cpu_ticks PID: user + system time the process used so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# start_watch LOG ARGS...: 'run --watch' in the background; its pid in $WATCH.
start_watch() {
    local log=$1
    shift
    "$EDGECTL" -v run "$WORK/inbox" --move-to "$WORK/done" --watch "$@" >"$log.out" 2>"$log.err" &
    WATCH=$!
    at_exit "kill -9 $WATCH 2>/dev/null"
}
# stop_watch: SIGTERM, and the exit code must be 0 within 10 s.
stop_watch() {
    kill -TERM "$WATCH"
    local rc=0 start=$SECONDS
    wait "$WATCH" || rc=$?
    assert_eq "$rc" 0 "exit code of 'run --watch' after SIGTERM"
    [ $((SECONDS - start)) -le 10 ] || fail "SIGTERM took $((SECONDS - start)) s to stop 'run --watch'"
}

new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
mkdir "$WORK/inbox" "$WORK/done"

# --- once: what a cron job runs ---------------------------------------------------------------------
expect_exit 2 "$EDGECTL" run "$WORK/inbox"
assert_contains "$ERR" "--move-to is required"
cp "$SAMPLE"/inbox/* "$WORK/inbox/"
touch -d '1 minute ago' "$WORK"/inbox/*
expect_exit 3 "$EDGECTL" run "$WORK/inbox" --move-to "$WORK/done"
assert_eq "$OUT" "ingested 73 items, scored 70 (14 anomalies), quarantined 5"
assert_eq "$(ls "$WORK/inbox")" "" "files left in the inbox"
assert_eq "$(ls "$WORK/done" | wc -l)" 2 "files moved out of the inbox"
assert_eq "$(insights)" 70 "insights after one cycle"
expect_exit 0 "$EDGECTL" run "$WORK/inbox" --move-to "$WORK/done"
assert_eq "$OUT" "" "a cycle with nothing to do says nothing"
expect_exit 0 "$EDGECTL" --json run "$WORK/inbox" --move-to "$WORK/done"
assert_eq "$(json_get "$OUT" 'd["ingest"]["added"], d["score"]["models"][0]["scored"], d["deferred"]')" "(0, 0, 0)"

# A step whose lock another process holds is skipped, not failed; with both held, exit 75.
feature_csv "$WORK/inbox/a.csv" 5 1000
touch -d '1 minute ago' "$WORK/inbox/a.csv"
flock -o "$STORE/locks/ingest.lock" sleep 60 &
holder=$!
at_exit "pkill -P $holder 2>/dev/null; kill $holder 2>/dev/null"
wait_for "the background flock" 10 bash -c "! flock -n '$STORE/locks/ingest.lock' true"
expect_exit 0 "$EDGECTL" run "$WORK/inbox" --move-to "$WORK/done"
assert_eq "$OUT" "ingest skipped: another run holds its lock"
assert_eq "$(ls "$WORK/inbox")" a.csv "the file a skipped ingest leaves"
flock -o "$STORE/locks/score.lock" sleep 60 &
holder2=$!
at_exit "pkill -P $holder2 2>/dev/null; kill $holder2 2>/dev/null"
wait_for "the second background flock" 10 bash -c "! flock -n '$STORE/locks/score.lock' true"
expect_exit 75 "$EDGECTL" run "$WORK/inbox" --move-to "$WORK/done"
pkill -P "$holder"; pkill -P "$holder2"
wait "$holder" "$holder2" 2>/dev/null || true

# --- --watch: a file dropped in is scored within seconds -------------------------------------------
start_watch "$WORK/watch" --sweep 3600
# The first cycle takes a.csv (the sweep is an hour: everything after it is inotify's doing).
wait_for "a.csv's 5 items scored" 20 insights_are 75
# Idle: waiting on inotify costs no CPU (one tick is 10 ms; allow a few for the scheduler).
ticks=$(cpu_ticks "$WATCH")
sleep 3
idle=$(($(cpu_ticks "$WATCH") - ticks))
[ "$idle" -le 5 ] || fail "'run --watch' used $idle ticks of CPU in 3 idle seconds"
feature_csv "$WORK/b.csv" 7 2000
start=$(date +%s%N)
mv "$WORK/b.csv" "$WORK/inbox/b.csv"  # a producer that renames into the inbox
wait_for "b.csv's items scored" 20 insights_are 82
latency_ms=$((($(date +%s%N) - start) / 1000000))
echo "a file dropped into the inbox had its insights committed after $latency_ms ms (settle: 2 s)"
assert_eq "$(ls "$WORK/inbox")" "" "the inbox after the watcher took b.csv"
# A file in a new folder of the inbox is seen too.
mkdir "$WORK/inbox/camera-2"
feature_csv "$WORK/inbox/camera-2/c.csv" 3 3000
wait_for "c.csv in a new folder scored" 20 insights_are 85

# Readers and the other writers run beside it.
expect_exit 0 "$EDGECTL" status
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
# A second run is refused while this one goes on.
expect_exit 75 "$EDGECTL" run "$WORK/inbox" --move-to "$WORK/done"
assert_contains "$ERR" "another 'edgectl run' is running"

# An activation is taken at the next cycle, without a restart: the new version scores the backlog
# and what lands next.
sample_variant 1.1.0 "$WORK/model-1.1.0.tar.zst" 'spec["anomaly"][0]["threshold"] = 0.95'
expect_exit 0 "$EDGECTL" import-model "$WORK/model-1.1.0.tar.zst" --activate
feature_csv "$WORK/inbox/d.csv" 4 4000
wait_for "1.1.0 scoring the backlog and d.csv" 20 by_new_are 89
assert_eq "$(grep -c 'loading wine-cultivar@1.1.0' "$WORK/watch.err")" 1 "loads of 1.1.0 before SIGHUP"
# SIGHUP: the models are loaded again before the next cycle.
kill -HUP "$WATCH"
feature_csv "$WORK/inbox/e.csv" 2 5000
wait_for "e.csv scored after SIGHUP" 20 by_new_are 91
assert_eq "$(grep -c 'loading wine-cultivar@1.1.0' "$WORK/watch.err")" 2 "loads of 1.1.0 after SIGHUP"
# 1.0.0 is no longer active: the process let it go, and never loaded it again.
assert_eq "$(grep -c 'loading wine-cultivar@1.0.0' "$WORK/watch.err")" 1 "loads of 1.0.0"
stop_watch
assert_eq "$(ls "$WORK/inbox")" "camera-2" "the inbox after the watcher stopped"

# --- SIGTERM in the middle of a backlog: it stops at a batch boundary, everything committed ---------
# exactly_once VERSION: every record item has one insight of VERSION or one quarantine row, never two.
exactly_once() {
    assert_eq "$(sql "SELECT count(*) FROM items it WHERE it.image IS NULL AND
        (SELECT count(*) FROM insights i WHERE i.item_id = it.id AND i.model_version = '$1') +
        (SELECT count(*) FROM quarantine q WHERE q.item_id = it.id AND q.model_version = '$1') != 1")" 0 \
        "items without exactly one insight or quarantine row of $1"
}
# consistent VERSION: what is committed matches the cursor: every item up to it answered, none after.
consistent() {
    assert_eq "$(sql "SELECT count(*) FROM items it, score_progress p WHERE p.model_version = '$1' AND it.image IS NULL
        AND (it.id <= p.last_item_id) != EXISTS (SELECT 1 FROM insights i WHERE i.item_id = it.id AND i.model_version = '$1'
                                                 UNION ALL SELECT 1 FROM quarantine q WHERE q.item_id = it.id AND q.model_version = '$1')")" 0 \
        "items on the wrong side of $1's cursor"
}
feature_csv "$WORK/big.csv" 20000 100000
touch -d '1 minute ago' "$WORK/big.csv"
mv "$WORK/big.csv" "$WORK/inbox/"
# The watcher stops itself (SIGSTOP) before its second commit of the backlog; SIGTERM arrives there.
EDGECTL_CRASH_STOP=score.insights:commit#2 start_watch "$WORK/watch2" --sweep 3600
wait_stopped "$WATCH" "'run --watch' at its second commit"
kill -TERM "$WATCH"
kill -CONT "$WATCH"
stop_watch
done_now=$(by_new)
[ "$done_now" -gt $((91 + 4096)) ] && [ "$done_now" -lt 20091 ] ||
    fail "after SIGTERM at the second commit, $done_now insights of 1.1.0: not between the first commit and the end"
consistent 1.1.0
assert_contains "$(cat "$WORK/watch2.out")" "ingested 20000 items" "what the stopped watcher reported"

# --- kill -9 in the middle of the backlog, then a restart: exact counts ---------------------------
EDGECTL_CRASH_STOP=score.insights:commit#2 start_watch "$WORK/watch3" --sweep 3600
wait_stopped "$WATCH" "'run --watch' at its second commit"
kill -9 "$WATCH"
wait "$WATCH" 2>/dev/null || true
consistent 1.1.0
start_watch "$WORK/watch4" --sweep 3600
wait_for "the whole backlog scored after the restart" 60 by_new_are 20091
stop_watch
exactly_once 1.1.0
consistent 1.1.0
assert_eq "$(sql 'SELECT count(*) FROM items')" 20094 "items: each record of the inbox once"

# --- systemd's notify protocol: READY with a status, and the watchdog fed within a long cycle ----------
# A listener on the notify socket writes each datagram as a line. With a watchdog of 0.1 s, a cycle
# of 20,000 records (about a second here) must ping it while it ingests and scores, not only after.
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
        out.flush()' "$WORK/notify.sock" "$WORK/notify.log" &
listener=$!
at_exit "kill $listener 2>/dev/null"
for _ in $(seq 50); do [ -S "$WORK/notify.sock" ] && break; sleep 0.1; done
feature_csv "$WORK/big2.csv" 20000 200000
touch -d '1 minute ago' "$WORK/big2.csv"
mv "$WORK/big2.csv" "$WORK/inbox/"
NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=100000 start_watch "$WORK/watch5" --sweep 3600
wait_for "the second backlog scored" 60 by_new_are 40091
stop_watch
kill "$listener"
notes=$(cat "$WORK/notify.log")
assert_contains "$(head -1 <<<"$notes")" "READY=1|STATUS=watching $WORK/inbox for files" "the first notification"
# The first cycle's own status line comes after its pings.
pings=$(sed -n '2,/^STATUS=.*ingested 20000 items/p' <<<"$notes" | grep -c '^WATCHDOG=1$' || true)
[ "$pings" -ge 2 ] || fail "the watchdog heard $pings times during a cycle of 20,000 records: $notes"
assert_contains "$(tail -1 <<<"$notes")" "STOPPING=1" "the last notification"
echo ok
