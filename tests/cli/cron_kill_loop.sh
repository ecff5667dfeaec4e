#!/usr/bin/env bash
# A cron loop of ingest (inbox mode), score, export, ack and purge, killed with -9 at random moments,
# ends with exactly what the same loop uninterrupted ends with: every record of every file shipped
# once, each insight in exactly one verified archive, nothing left behind, the store intact.
# EDGECTL_CRON_ROUNDS sets the number of rounds (default 24; docs/guarantees.md reports a longer run).
source "$(dirname "$0")/lib.sh"
rounds=${EDGECTL_CRON_ROUNDS:-24}
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
mkdir "$WORK/arrivals"
for i in $(seq 1 "$rounds"); do feature_csv "$WORK/arrivals/batch-$i.csv" 600 $((i * 100000)); done

# One cron run: each step as cron would run it, the next step only if the one before did not fail.
# Acknowledgement stands for the receipt that comes back: every complete export not yet acknowledged.
cat > "$WORK/cycle.sh" <<'CYCLE'
set -e
E="$1"; inbox="$2"; done_dir="$3"; disk="$4"
"$E" -q ingest --batch 250 --settle 0 --move-to "$done_dir" "$inbox" || [ $? = 3 ]
"$E" -q score --batch 64 || [ $? = 3 ]
"$E" -q export --to "$disk" --max-bytes 64K --include anomalies,insights,items,quarantine
seqs=$("$E" --json exports list | python3 -c 'import json,sys; print(" ".join(str(e["seq"]) for e in json.load(sys.stdin) if e["state"] == "complete" and not e["acked_at"]))')
[ -z "$seqs" ] || "$E" -q ack $seqs
"$E" -q purge --older-than 0
CYCLE

# run_loop STORE DISK KILL: every round a file arrives and a cycle runs (killed at a random moment
# when KILL is 1); then cycles run uninterrupted until nothing is left to do.
run_loop() {
    local store=$1 disk=$2 kill=$3 kills=0 i pid delay_ms
    mkdir -p "$disk" "$store.inbox" "$store.done"
    for i in $(seq 1 "$rounds"); do
        cp "$WORK/arrivals/batch-$i.csv" "$store.inbox/"
        EDGECTL_STORE="$store" setsid bash "$WORK/cycle.sh" "$EDGECTL" "$store.inbox" "$store.done" "$disk" \
            >"$WORK/cycle.log" 2>&1 &
        pid=$!
        if [ "$kill" = 1 ]; then
            delay_ms=$((RANDOM % run_ms))
            sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
            if kill -0 "$pid" 2>/dev/null; then
                kill -9 -- "-$pid" 2>/dev/null && kills=$((kills + 1))
            fi
        fi
        wait "$pid" 2>/dev/null || [ "$kill" = 1 ] || fail "cycle $i failed: $(cat "$WORK/cycle.log")"
    done
    for i in 1 2 3; do
        EDGECTL_STORE="$store" bash "$WORK/cycle.sh" "$EDGECTL" "$store.inbox" "$store.done" "$disk" >"$WORK/cycle.log" 2>&1 ||
            fail "settling cycle failed: $(cat "$WORK/cycle.log")"
    done
    echo "$kills"
}

# shipped DISK: every insight shipped, as "source_key model version", one per line, sorted; and a
# check of every archive on the disk.
shipped() {
    local disk=$1 archive name
    : >"$WORK/shipped"
    for archive in "$disk"/*.tar.zst; do
        name=$(basename "$archive" .tar.zst)
        (cd "$disk" && sha256sum --quiet -c "$name.tar.zst.sha256") || fail "sidecar of $name"
        "$EDGECTL" verify --key "$WORK/site.pub" "$archive" >/dev/null 2>&1 || fail "$name does not verify"
        rm -rf "$WORK/x" && unpack "$archive" "$WORK/x"
        [ -f "$WORK/x/$name/data/insights.ndjson" ] || continue
        python3 -c 'import json,sys; [print(r["source_key"], r["model"], r["model_version"]) for r in map(json.loads, open(sys.argv[1]))]' \
            "$WORK/x/$name/data/insights.ndjson" >>"$WORK/shipped"
    done
    sort "$WORK/shipped"
}

# The reference: the same loop, uninterrupted, in its own store with the same model.
ref="$WORK/ref"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" init --site ref
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" trust add "$WORK/keys/vendor.pub"
EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
t0=$(date +%s%N)
run_ms=1000
run_loop "$ref" "$WORK/ref-disk" 0 >/dev/null
run_ms=$(( ($(date +%s%N) - t0) / 1000000 / rounds ))
[ "$run_ms" -gt 0 ] || run_ms=1

kills=$(run_loop "$STORE" "$WORK/disk" 1)
echo "killed $kills of $rounds cycles at random (a cycle takes about $run_ms ms)"
[ "$kills" -ge $((rounds / 3)) ] || fail "too few cycles were interrupted to prove anything ($kills)"

EDGECTL_STORE="$ref" expect_exit 0 "$EDGECTL" site-key
printf '%s\n' "$OUT" >"$WORK/site.pub"
shipped "$WORK/ref-disk" >"$WORK/want"
expect_exit 0 "$EDGECTL" site-key
printf '%s\n' "$OUT" >"$WORK/site.pub"
shipped "$WORK/disk" >"$WORK/got"
assert_eq "$(wc -l <"$WORK/want")" $((rounds * 600)) "insights the reference shipped"
assert_eq "$(uniq -d "$WORK/got" | head -3)" "" "insights shipped twice"
cmp -s "$WORK/want" "$WORK/got" || fail "the interrupted loop shipped other insights than the uninterrupted one: $(diff "$WORK/want" "$WORK/got" | head -5)"
for table in items insights quarantine; do
    assert_eq "$(sql "SELECT count(*) FROM $table")" "$(sqlite3 "$ref/edgectl.db" "SELECT count(*) FROM $table")" "$table left in the store"
done
assert_eq "$(sql "SELECT count(*) FROM exports WHERE state <> 'complete' OR acked_at IS NULL")" 0 "exports not complete and acknowledged"
assert_eq "$(ls -A "$STORE.inbox")" "" "inbox"
assert_eq "$(ls "$STORE.done" | wc -l)" "$rounds" "files moved out of the inbox"
assert_eq "$(cd "$WORK/disk" && ls -A | grep -v -E '^[^.].*\.tar\.zst(\.sha256|\.minisig)?$' || true)" "" "litter on the disk"
assert_eq "$(ls -A "$STORE/staging")" "" "staging"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
echo ok
