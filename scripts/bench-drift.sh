#!/usr/bin/env bash
# Measures what drift costs `edgectl score`: the sample model packed with its reference (drift on)
# side by side with the same model packed without it (drift off), in the same run, and prints the
# tables (docs/benchmarks-drift.md says what each figure means). About 3 minutes on 2 cores.
#
#   score   for each size in BENCH_DRIFT_ITEMS, one store ingests that many lab records (bench.sh's
#           wine CSV, with its policy); two copies of it import the sample model
#           (scripts/sample-site/model: model.pt, golden.ndjson), one packed with the committed
#           model.json (reference, window of 100 items: drift on), one with a model.json whose
#           `reference` key is removed (drift off). Each repetition times `edgectl score` (the
#           whole process, bench.sh's arguments) on a fresh copy of each, the order of the two
#           alternating from one repetition to the next, and checks every item scored, the drift
#           windows closed (items / window, each of window items) and none without a reference.
#           Beside them, the same command on a one-item store (the start-up), left out of the
#           second ratio.
#   memory  peak RSS of score with drift on at BENCH_SMALL_ITEMS and at the largest size
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_DRIFT_ITEMS ("100000 1000000"), BENCH_SMALL_ITEMS (10000),
# BENCH_THREADS (score's default), BENCH_KEEP (0).
set -euo pipefail
NAME=bench-drift
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
read -r -a SIZES <<<"${BENCH_DRIFT_ITEMS:-100000 1000000}"
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
N_BIG=$(printf '%s\n' "${SIZES[@]}" | sort -n | tail -1)

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v sqlite3 >/dev/null || need+=(sqlite3)
"$PY" -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
install_missing "${need[@]}"
build
eval "$("$H" defaults)"
THREADS=${BENCH_THREADS:-$score_threads}
SCORE=(score --threads "$THREADS")  # as bench.sh scores: the default batch and commit size

# --- the two packages: the sample model with its reference, and without ----------------------------
M="$ROOT/scripts/sample-site/model"
WINDOW=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["reference"]["window"])' "$M/model.json")
mkdir -p "$WORK/spec"
"$PY" -c 'import json, sys
spec = json.load(open(sys.argv[1]))
del spec["reference"]
json.dump(spec, open(sys.argv[2], "w"), indent=2)' "$M/model.json" "$WORK/spec/model.json"
"$E" -q pack-model --model "$M/model.pt" --spec "$M/model.json" --golden "$M/golden.ndjson" -o "$WORK/drift.tar.zst"
"$E" -q pack-model --model "$M/model.pt" --spec "$WORK/spec/model.json" --golden "$M/golden.ndjson" \
  -o "$WORK/nodrift.tar.zst"

# A store holding CSV's items (ingested with the policy), no model yet, its log checkpointed.
ingested() { # dir csv
  "$E" -q init --site bench --store "$1"
  "$E" -q --store "$1" ingest --policy "$POLICY" "$2"
  sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
# A copy of BASE with PACKAGE imported and active, its log checkpointed.
with_model() { # base dir package
  cp -a "$1" "$2"
  "$E" -q --store "$2" import-model "$3" --activate --allow-unsigned 2>/dev/null
  sqlite3 "$2/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
copy() { rm -rf "$2" && cp -a "$1" "$2" && sync; } # written out before anything is timed
q() { sqlite3 "$1/edgectl.db" "$2"; }

# Checks what a score run of N items left in STORE: every item scored, and with drift on
# (DRIFT=1) N / WINDOW windows closed, each of WINDOW items, and the rest open; with drift off none.
check() { # store n drift
  local s=$1 n=$2 closed full open
  [ "$(q "$s" 'SELECT count(*) FROM insights')" = "$n" ] || die "score wrote $(q "$s" 'SELECT count(*) FROM insights') insights of $n"
  closed=$(q "$s" 'SELECT count(*) FROM drift_windows WHERE closed_at IS NOT NULL')
  full=$(q "$s" "SELECT count(*) FROM drift_windows WHERE closed_at IS NOT NULL AND items = $WINDOW")
  open=$(q "$s" 'SELECT coalesce(sum(items), 0) FROM drift_windows WHERE closed_at IS NULL')
  if [ "$3" = 1 ]; then
    if [ "$closed" != $((n / WINDOW)) ] || [ "$full" != "$closed" ] || [ "$open" != $((n % WINDOW)) ]; then
      die "drift closed $closed windows ($full of $WINDOW items, $open items open) of $n items; expected $((n / WINDOW))"
    fi
  elif [ "$closed" != 0 ] || [ "$open" != 0 ]; then
    die "score without a reference left $closed closed windows and $open items open"
  fi
}

# --- score with drift on and off, the contenders alternating --------------------------------------
FLAGGED=""
for n in "${SIZES[@]}"; do
  c=$(count "$n")
  csv=$(gen wine "$n")
  [ -s "${csv%.csv}-one.csv" ] || head -2 "$csv" >"${csv%.csv}-one.csv"
  log "stores of $c items, with drift on and off, and of one item"
  ingested "$WORK/base" "$csv"
  with_model "$WORK/base" "$WORK/drift" "$WORK/drift.tar.zst"
  with_model "$WORK/base" "$WORK/nodrift" "$WORK/nodrift.tar.zst"
  rm -rf "$WORK/base"
  ingested "$WORK/base" "${csv%.csv}-one.csv"
  with_model "$WORK/base" "$WORK/one" "$WORK/nodrift.tar.zst"
  rm -rf "$WORK/base"
  for rep in $(seq "$REPS"); do
    log "score of $c items, repetition $rep/$REPS"
    order=(nodrift drift)
    [ $((rep % 2)) = 1 ] || order=(drift nodrift)
    for k in "${order[@]}"; do
      copy "$WORK/$k" "$WORK/e"
      timed "score.$k.$c" "$rep" "$E" -q --store "$WORK/e" "${SCORE[@]}"
      check "$WORK/e" "$n" "$([ "$k" = drift ] && echo 1 || echo 0)"
      [ "$k" != drift ] || [ "$rep" != 1 ] || FLAGGED="${FLAGGED:+$FLAGGED, }$(q "$WORK/e" 'SELECT count(*) FROM drift_windows WHERE flagged = 1') of $((n / WINDOW)) at $c"
    done
    copy "$WORK/one" "$WORK/o"
    timed "startup.$c" "$rep" "$E" -q --store "$WORK/o" "${SCORE[@]}"
  done
  rm -rf "$WORK/drift" "$WORK/nodrift" "$WORK/one" "$WORK/e" "$WORK/o"
done

# --- peak memory with drift on at a small backlog (the large one: the runs above) ------------------
log "memory at $(count "$N_SMALL") items"
ingested "$WORK/base" "$(gen wine "$N_SMALL")"
with_model "$WORK/base" "$WORK/m" "$WORK/drift.tar.zst"
sync
timed "small.score.drift" 0 "$E" -q --store "$WORK/m" "${SCORE[@]}"
check "$WORK/m" "$N_SMALL" 1
rm -rf "$WORK/base" "$WORK/m"

# --- the tables -------------------------------------------------------------------------------------
echo "The sample model (13->16->3) on bench.sh's wine records; drift window $WINDOW items, score --threads $THREADS" \
  "(batch $score_batch, $score_commit items a transaction)."
echo "Drift windows flagged above the model's thresholds (first repetition): $FLAGGED."
B=$(count "$N_BIG") S=$(count "$N_SMALL")
rows=()
for n in "${SIZES[@]}"; do
  c=$(count "$n")
  rows+=("score speed with drift ÷ without, $c items	score.nodrift.$c.wall	score.drift.$c.wall	>=0.95	-"
    "the same, start-up left out, $c items	score.nodrift.$c.wall-startup.$c.wall	score.drift.$c.wall-startup.$c.wall	-	-")
done
rows+=("peak RSS of score with drift, $B ÷ $S items	score.drift.$B.rss	small.score.drift.rss	<=1.25	-"
  "peak RSS of score, with drift ÷ without, $B items	score.drift.$B.rss	score.nodrift.$B.rss	-	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "Every contender is a whole edgectl process; the start-up is a run on a one-item store (drift off)."
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
