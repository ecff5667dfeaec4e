#!/usr/bin/env bash
# Measures how long a file that lands in the inbox waits for its insights, for two ways of running a
# site, side by side in the same run, and prints the tables (docs/benchmarks-run.md says what each
# figure means). About 5 to 6 minutes on 2 cores at the defaults.
#
#   cron    a loop doing what cron does without the service: at every multiple of BENCH_CRON_PERIOD
#           seconds of the clock, `edgectl ingest INBOX --move-to DONE --settle S`, then `edgectl
#           score`, two processes each time
#   watch   `edgectl run INBOX --move-to DONE --watch --settle S`, one process for the whole run
# Each has its own store (the sample model imported and active) and its own inbox. For each of
# BENCH_REPS drops, after a random pause of 0 to BENCH_CRON_PERIOD seconds (so that drops land at a
# random phase of the cron loop), the same CSV of BENCH_ROWS records (the sample lab's clean rows,
# with a row_id of its own: no two drops alike) is written beside each inbox and moved into it with
# `mv`, one inbox right after the other (the order alternating). The script then reads both stores
# (one sqlite3 -readonly process, a read every 50 ms) until every record of that file has an
# insight in each: the latency is from the `mv` to the first read that sees them all. Checked at the end: every drop's
# records are items in both stores, each with exactly one insight, none quarantined, the inboxes
# empty, every cron ingest and score exited 0, and the watcher stops at SIGTERM with exit 0.
#
#   CPU     the watcher's user + system time (/proc/PID/stat): while idle (from a second after its
#           drop's insights are seen to the next drop's landing), at start-up, and in all; the cron
#           loop's per tick, for ticks that took a drop and ticks that found nothing
#
# Knobs: BENCH_REPS (5), BENCH_CRON_PERIOD (60 s), BENCH_SETTLE (2 s, run's default; ingest's is 5),
# BENCH_ROWS (10), BENCH_SEED (random pauses; default: unseeded), BENCH_BUILD (build-bench),
# BENCH_KEEP (0).
set -euo pipefail
NAME=bench-run
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
PERIOD=${BENCH_CRON_PERIOD:-60}
SETTLE=${BENCH_SETTLE:-2}
ROWS=${BENCH_ROWS:-10}
[[ $PERIOD =~ ^[1-9][0-9]*$ ]] || die "BENCH_CRON_PERIOD must be a whole number of seconds: $PERIOD"
[[ $SETTLE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_SETTLE must be a number of seconds: $SETTLE"
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROWS must be a positive number: $ROWS"
[ -z "${BENCH_SEED:-}" ] || RANDOM=$BENCH_SEED
PERIOD_US=$((PERIOD * 1000000))
POLL=0.05  # s between reads of the stores

command -v sqlite3 >/dev/null || install_missing sqlite3
build
HZ=$(getconf CLK_TCK)

# The time in microseconds, into NOW (no process started).
now() { NOW=${EPOCHREALTIME//[!0-9]/}; }
# sleep for MICROSECONDS.
sleep_us() { local s; printf -v s '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); sleep "$s"; }
# user + system clock ticks of PID so far (own: fields 14, 15; children waited for: 16, 17).
ticks() { local f; read -r -a f <"/proc/$1/stat"; echo $((f[13] + f[14])); }

# --- two sites: a store with the sample model active, an inbox, a folder for what it took, and a ---
# --- folder beside the inbox where drops are written before they are moved in ---------------------
m="$ROOT/scripts/sample-site/model"
"$E" -q pack-model --model "$m/model.pt" --spec "$m/model.json" --golden "$m/golden.ndjson" -o "$WORK/wine.tar.zst"
for k in cron watch; do
  mkdir -p "$WORK/$k/inbox" "$WORK/$k/done" "$WORK/$k/incoming"
  "$E" -q init --site "bench-$k" --store "$WORK/$k/store"
  "$E" -q --store "$WORK/$k/store" import-model "$WORK/wine.tar.zst" --activate --allow-unsigned 2>/dev/null
done
# The drops: ROWS records each, the sample lab's clean rows (as tests/cli/lib.sh's feature_csv makes
# them), row_ids from 1000 × the drop's number.
mkdir -p "$WORK/drops"
"$PY" - "$ROOT/scripts/sample-site/inbox/lab-north-2026-11-20.csv" "$WORK/drops" "$REPS" "$ROWS" <<'PY'
import csv, sys
src, out, reps, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
table = list(csv.reader(open(src, newline="", encoding="utf-8")))
header = table[0]
start = header.index("alcohol")
def numeric(cell):
    try:
        float(cell)
        return True
    except ValueError:
        return False
good = [r[start:] for r in table[1:] if len(r) == len(header) and all(numeric(c) for c in r[start:])]
for d in range(1, reps + 1):
    with open(f"{out}/drop-{d}.csv", "w", newline="") as f:
        f.write("row_id," + ",".join(header[start:]) + "\n")
        for i in range(rows):
            f.write(f"{1000 * d + i}," + ",".join(good[(d + i) % len(good)]) + "\n")
PY
declare -a DIGEST
for d in $(seq "$REPS"); do DIGEST[d]=$(sha256sum "$WORK/drops/drop-$d.csv" | cut -c1-64); done
# Insights of the drop whose file has DIGEST, in the store the query runs on (main: watch, c: cron).
scored() { # digest schema
  echo "(SELECT count(*) FROM $2.insights i JOIN $2.items it ON it.id = i.item_id" \
    "JOIN $2.sources s ON s.id = it.source_id WHERE s.digest = '$1')"
}

# --- the cron loop: ingest then score at every multiple of PERIOD of the clock ---------------------
# Logs a line a tick: start (µs), ingest's and score's exit codes, end (µs), the loop's children's
# CPU ticks so far, and how many files the tick took.
cron_loop() {
  local s=$WORK/cron/store in=$WORK/cron/inbox out=$WORK/cron/done sp="" rc1 rc2 start f before after wait_us wait_s
  trap '[ -z "$sp" ] || kill "$sp" 2>/dev/null; exit 0' TERM
  shopt -s nullglob
  while :; do
    now
    wait_us=$(((NOW / PERIOD_US + 1) * PERIOD_US - NOW))
    printf -v wait_s '%d.%06d' $((wait_us / 1000000)) $((wait_us % 1000000))
    sleep "$wait_s" &
    sp=$!
    wait "$sp" || true
    sp=""
    now
    start=$NOW
    f=("$out"/*)
    before=${#f[@]}
    rc1=0 rc2=0
    "$E" --store "$s" ingest "$in" --move-to "$out" --settle "$SETTLE" >>"$WORK/cron/log" 2>&1 || rc1=$?
    "$E" --store "$s" score >>"$WORK/cron/log" 2>&1 || rc2=$?
    now
    f=("$out"/*)
    after=${#f[@]}
    read -r -a f <"/proc/$BASHPID/stat"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$start" "$rc1" "$rc2" "$NOW" $((f[15] + f[16])) $((after - before)) >>"$WORK/cron/ticks"
  done
}
: >"$WORK/cron/ticks"
cron_loop &
CRON=$!

# --- the watcher --------------------------------------------------------------------------------------
"$E" --store "$WORK/watch/store" run "$WORK/watch/inbox" --move-to "$WORK/watch/done" --watch \
  --settle "$SETTLE" >"$WORK/watch/log" 2>&1 &
WATCH=$!
stop_all() {
  [ -z "${READER:-}" ] || kill "$READER" 2>/dev/null || true
  kill -TERM "$CRON" 2>/dev/null || true
  kill -TERM "$WATCH" 2>/dev/null || true
  wait "$CRON" "$WATCH" 2>/dev/null || true
}
if [ "${BENCH_KEEP:-0}" = 1 ]; then trap stop_all EXIT; else trap 'stop_all; rm -rf "$WORK"' EXIT; fi
# The reader of both stores: one sqlite3 -readonly process for the whole run, a query a line (each
# SELECT a read transaction of its own, so it sees every commit), its answers tagged with the poll's
# number. Between polls the script waits with read -t on a pipe no one writes: no process a poll.
coproc POLLER { exec sqlite3 -readonly -cmd '.timeout 2000' -separator ' ' "$WORK/watch/store/edgectl.db" 2>>"$WORK/poll.err"; }
READER=$POLLER_PID  # bash unsets POLLER_PID once it has reaped the process
echo "ATTACH '$WORK/cron/store/edgectl.db' AS c;" >&"${POLLER[1]}"
exec {PAUSE}<> <(:)
polls=0
poll() { # query: sets N_WATCH and N_CRON
  local n
  polls=$((polls + 1))
  printf 'SELECT %d, %s;\n' "$polls" "$1" >&"${POLLER[1]}"
  while read -r -t 10 -u "${POLLER[0]}" n N_WATCH N_CRON; do [ "$n" != "$polls" ] || return 0; done
  cat "$WORK/poll.err" >&2
  die "sqlite3 did not answer a read of the stores within 10 s"
}
# Its start-up: until its CPU time stops moving (its first cycle found an empty inbox).
log "run --watch started (pid $WATCH), the cron loop (pid $CRON) ticks every $PERIOD s"
prev=-1 start=$SECONDS
while :; do
  kill -0 "$WATCH" 2>/dev/null || { cat "$WORK/watch/log" >&2; die "run --watch exited at start-up"; }
  t=$(ticks "$WATCH")
  [ "$t" != "$prev" ] || [ $((SECONDS - start)) -lt 1 ] || break
  [ $((SECONDS - start)) -lt 60 ] || die "run --watch still busy 60 s after it started"
  prev=$t
  sleep 0.5
done
W_STARTUP=$prev
now
idle_from=$NOW idle_ticks_from=$W_STARTUP
IDLE_US=0 IDLE_TICKS=0

# --- the drops ------------------------------------------------------------------------------------
failures=()
: >"$RES"
for d in $(seq "$REPS"); do
  pause=$((((RANDOM << 15) | RANDOM) % PERIOD_US))
  log "drop $d/$REPS in $((pause / 1000000)) s"
  sleep_us "$pause"
  file="drop-$d.csv"
  for k in cron watch; do cp "$WORK/drops/$file" "$WORK/$k/incoming/$file"; done
  order=(cron watch)
  [ $((d % 2)) = 1 ] || order=(watch cron)
  # The watcher's idle window ends here.
  t=$(ticks "$WATCH")
  now
  IDLE_US=$((IDLE_US + NOW - idle_from)) IDLE_TICKS=$((IDLE_TICKS + t - idle_ticks_from))
  declare -A landed=() seen=()
  for k in "${order[@]}"; do
    mv "$WORK/$k/incoming/$file" "$WORK/$k/inbox/$file"
    now
    landed[$k]=$NOW
  done
  deadline=$((NOW + 2 * PERIOD_US + 30000000))
  idle_from=""
  query="$(scored "${DIGEST[d]}" main), $(scored "${DIGEST[d]}" c)"
  while :; do
    poll "$query"
    now
    [ -n "${seen[watch]:-}" ] || [ "$N_WATCH" -lt "$ROWS" ] || { seen[watch]=$NOW; idle_from=$((NOW + 1000000)); }
    [ -n "${seen[cron]:-}" ] || [ "$N_CRON" -lt "$ROWS" ] || seen[cron]=$NOW
    # The watcher's next idle window: from a second after its drop was seen scored.
    if [ -n "$idle_from" ] && [ "$NOW" -ge "$idle_from" ] && [ "${idle_taken:-}" != "$d" ]; then
      idle_ticks_from=$(ticks "$WATCH") idle_taken=$d
      now
      idle_from=$NOW
    fi
    [ -z "${seen[watch]:-}" ] || [ -z "${seen[cron]:-}" ] || break
    if [ "$NOW" -gt "$deadline" ]; then
      for k in cron watch; do
        n=$N_WATCH
        [ "$k" != cron ] || n=$N_CRON
        [ -n "${seen[$k]:-}" ] ||
          failures+=("drop $d: $k had $n of $ROWS insights $(((NOW - landed[$k]) / 1000000)) s after it landed")
      done
      break
    fi
    read -r -t "$POLL" -u "$PAUSE" _ || true
  done
  if [ -z "$idle_from" ]; then  # the watcher missed this drop: its idle time is not measured until the next
    idle_from=$NOW idle_ticks_from=$(ticks "$WATCH") idle_taken=$d
  elif [ "${idle_taken:-}" != "$d" ]; then
    now
    [ "$idle_from" -le "$NOW" ] || sleep_us $((idle_from - NOW))
    idle_ticks_from=$(ticks "$WATCH") idle_taken=$d
    now
    idle_from=$NOW
  fi
  phase=$((PERIOD_US - landed[cron] % PERIOD_US))
  for k in cron watch; do
    [ -z "${seen[$k]:-}" ] || record "latency.$k" "$d" "$(awk -v a="${landed[$k]}" -v b="${seen[$k]}" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
  done
  record "phase" "$d" "$(awk -v p="$phase" 'BEGIN { printf "%.3f", p / 1e6 }')"
  said=()
  for k in cron watch; do
    said+=("$k $(awk -F'\t' -v m="latency.$k" -v d="$d" '$1 == m && $2 == d { s = $3 " s" } END { print s ? s : "missed" }' "$RES")")
  done
  log "drop $d: ${said[0]}, ${said[1]} (landed $((phase / 1000)) ms before a cron tick)"
  unset landed seen
done

# --- the end: the watcher's CPU, then both stopped ------------------------------------------------
t=$(ticks "$WATCH")
now
IDLE_US=$((IDLE_US + NOW - idle_from)) IDLE_TICKS=$((IDLE_TICKS + t - idle_ticks_from))
W_TOTAL=$t
W_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$WATCH/status")
kill "$READER"
wait "$READER" 2>/dev/null || true
kill -TERM "$CRON"
wait "$CRON" || true
kill -TERM "$WATCH"
rc=0
wait "$WATCH" || rc=$?
[ "$rc" = 0 ] || failures+=("run --watch exited $rc at SIGTERM")
trap '[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"' EXIT

# --- the checks: each drop's records scored exactly once in both stores ----------------------------
digests=$(printf "'%s'," "${DIGEST[@]:1}")
digests=${digests%,}
for k in cron watch; do
  db="$WORK/$k/store/edgectl.db"
  q() { sqlite3 -readonly "$db" "$1"; }
  items=$(q "SELECT count(*) FROM items it JOIN sources s ON s.id = it.source_id WHERE s.digest IN ($digests)")
  [ "$items" = $((REPS * ROWS)) ] || failures+=("$k: $items items from the drops, expected $((REPS * ROWS))")
  items=$(q 'SELECT count(*) FROM items')
  [ "$items" = $((REPS * ROWS)) ] || failures+=("$k: $items items in the store, expected $((REPS * ROWS))")
  bad=$(q "SELECT count(*) FROM items it WHERE (SELECT count(*) FROM insights i WHERE i.item_id = it.id) != 1")
  [ "$bad" = 0 ] || failures+=("$k: $bad items without exactly one insight")
  n=$(q 'SELECT count(*) FROM insights')
  [ "$n" = $((REPS * ROWS)) ] || failures+=("$k: $n insights, expected $((REPS * ROWS))")
  n=$(q 'SELECT count(*) FROM quarantine')
  [ "$n" = 0 ] || failures+=("$k: $n quarantined")
  n=$(find "$WORK/$k/inbox" -type f | wc -l)
  [ "$n" = 0 ] || failures+=("$k: $n files left in the inbox")
  n=$(find "$WORK/$k/done" -type f | wc -l)
  [ "$n" = "$REPS" ] || failures+=("$k: $n files moved out of the inbox, expected $REPS")
done
n=$(awk -F'\t' '$2 != 0 || $3 != 0' "$WORK/cron/ticks" | wc -l)
[ "$n" = 0 ] || failures+=("cron: $n ticks where ingest or score did not exit 0 (see its log)")
[ ! -s "$WORK/poll.err" ] || failures+=("the reads of the stores reported errors: $(head -3 "$WORK/poll.err")")

# --- the tables -----------------------------------------------------------------------------------
echo "The sample model (13->16->3); each drop a CSV of $ROWS records; settle $SETTLE s for both; the cron loop ticks every $PERIOD s."
echo
"$PY" - "$RES" "$WORK/cron/ticks" "$HZ" "$IDLE_TICKS" "$IDLE_US" "$W_STARTUP" "$W_TOTAL" "$W_RSS" "$REPS" "$PERIOD" <<'PY'
import statistics, sys
res, ticks_path = sys.argv[1], sys.argv[2]
hz, idle_ticks, idle_us, w_start, w_total, w_rss, reps, period = (float(x) for x in sys.argv[3:])
vals = {}
for line in open(res):
    metric, rep, value = line.split("\t")
    vals.setdefault(metric, {})[int(rep)] = float(value)

def show(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()

cron, watch = vals.get("latency.cron", {}), vals.get("latency.watch", {})
rows = [("contender", "drop to insight s (median)", "range", "drops seen")]
for label, v in ((f"cron-style loop: ingest then score every {period:g} s", cron),
                 ("edgectl run --watch", watch)):
    x = list(v.values())
    rows.append((label, f"{statistics.median(x):.2f}" if x else "-", f"{min(x):.2f}-{max(x):.2f}" if x else "-",
                 f"{len(x)} of {reps:g}"))
show(rows)

both = [d for d in cron if d in watch]
if cron and watch:
    per = [watch[d] / cron[d] for d in both]
    show([("ratio", "value", "range"),
          ("median watch latency ÷ median cron latency", f"{statistics.median(watch.values()) / statistics.median(cron.values()):.3f}", ""),
          ("watch ÷ cron latency per drop (median)", f"{statistics.median(per):.3f}", f"{min(per):.3f}-{max(per):.3f}")])

rows = [("drop", "landed before a cron tick s", "cron s", "cron less the wait for its tick s", "watch s")]
for d in sorted(vals.get("phase", {})):
    wait = vals["phase"][d] if d in cron and cron[d] >= vals["phase"][d] else None
    while wait is not None and cron[d] - wait > period:  # left for a later tick (settle)
        wait += period
    rows.append((str(d), f"{vals['phase'][d]:.2f}", f"{cron[d]:.2f}" if d in cron else "missed",
                 f"{cron[d] - wait:.2f}" if wait is not None else "-", f"{watch[d]:.2f}" if d in watch else "missed"))
show(rows)

ticks = [line.rstrip("\n").split("\t") for line in open(ticks_path) if line.strip()]
took, empty, prev = [], [], 0.0
for start, _, _, end, cpu, files in ticks:
    (took if int(files) > 0 else empty).append(((float(cpu) - prev) / hz, (float(end) - float(start)) / 1e6))
    prev = float(cpu)
def med(xs, i):
    return f"{statistics.median(x[i] for x in xs):.2f}" if xs else "-"
idle_s = idle_us / 1e6
rows = [("process", "CPU s", "over wall s", "", "count")]
rows.append(("run --watch, idle between drops", f"{idle_ticks / hz:.2f}", f"{idle_s:.1f}",
             f"{100 * idle_ticks / hz / idle_s:.3f}% of a core" if idle_s > 0 else "", ""))
rows.append(("run --watch, start-up (first cycle, empty inbox)", f"{w_start / hz:.2f}", "", "", ""))
rows.append(("run --watch, taking the drops (per drop)", f"{(w_total - w_start - idle_ticks) / hz / reps:.2f}", "", "", f"{reps:g}"))
rows.append(("run --watch, the whole run", f"{w_total / hz:.2f}", "", f"peak RSS {w_rss / 1024:.0f} MiB", ""))
rows.append(("cron tick that took a drop (ingest + score, median)", med(took, 0), med(took, 1), "", str(len(took))))
rows.append(("cron tick that found nothing (median)", med(empty, 0), med(empty, 1), "", str(len(empty))))
rows.append(("cron loop, the whole run", f"{prev / hz:.2f}", "", "", str(len(ticks))))
show(rows)
PY
echo "Latency: from the mv into the inbox to the first read (sqlite3, every 50 ms) seeing all its insights."
echo "CPU: user + system, /proc/PID/stat (1/$HZ s ticks)."
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
if [ ${#failures[@]} -gt 0 ]; then
  for f in "${failures[@]}"; do printf '%s: check failed: %s\n' "$NAME" "$f" >&2; done
  exit 1
fi
