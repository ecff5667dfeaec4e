#!/usr/bin/env bash
# Measures what a shadow version costs `edgectl score`: score with a shadow side by side with score
# without one and with the shadow's forward stage alone, in the same run, and prints the tables
# (docs/benchmarks-shadow.md says what each figure means). About 5 minutes on 2 cores.
#
#   score   for each size in BENCH_SHADOW_ITEMS, one store ingests that many lab records (bench.sh's
#           wine CSV, with its policy) and imports two versions of the sample model
#           (scripts/sample-site/model): 1.0.0 as committed, active, and 1.1.0, the same files but for
#           its version and its anomaly threshold (0.95 for 0.85). Each repetition times, each on a
#           fresh copy of that store, the three contenders in an order rotating from one repetition
#           to the next:
#           - shadow   `edgectl score` (the whole process, bench.sh's arguments) with 1.1.0 the
#                      shadow of 1.0.0 (`edgectl models shadow`); checked: every item has an insight
#                      and a shadow answer of 1.1.0 beside 1.0.0, each answered
#           - plain    the same command without a shadow; checked: every item scored, no shadow answer
#           - forward  1.1.0's forward stage alone on as many items (bench-limit forward, on a copy
#                      where 1.1.0 is active): what the shadow adds to score at the least
#           Beside them, score with and without the shadow on a one-item store (the start-up), left
#           out of the second ratio.
#   memory  peak RSS of score with a shadow at BENCH_SMALL_ITEMS and at the largest size
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_SHADOW_ITEMS ("100000 1000000"), BENCH_SMALL_ITEMS (10000),
# BENCH_THREADS (score's default), BENCH_BUILD (build-bench), BENCH_KEEP (0).
set -euo pipefail
NAME=bench-shadow
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
read -r -a SIZES <<<"${BENCH_SHADOW_ITEMS:-100000 1000000}"
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

# --- the two versions: the sample model as committed, and as 1.1.0 with a higher anomaly threshold --
M="$ROOT/scripts/sample-site/model"
MODEL=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$M/model.json")
ACTIVE=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$M/model.json")
SHADOW=1.1.0
mkdir -p "$WORK/spec"
"$PY" -c 'import json, sys
spec = json.load(open(sys.argv[1]))
spec["version"] = sys.argv[3]
for rule in spec["anomaly"]:
    if rule["rule"] == "confidence_below":
        rule["threshold"] = 0.95
json.dump(spec, open(sys.argv[2], "w"), indent=2)' "$M/model.json" "$WORK/spec/model.json" "$SHADOW"
THRESHOLDS=$("$PY" -c 'import json, sys
print(*(str([r["threshold"] for r in json.load(open(f))["anomaly"]][0]) for f in sys.argv[1:]))' \
  "$M/model.json" "$WORK/spec/model.json")
"$E" -q pack-model --model "$M/model.pt" --spec "$M/model.json" --golden "$M/golden.ndjson" -o "$WORK/active.tar.zst"
"$E" -q pack-model --model "$M/model.pt" --spec "$WORK/spec/model.json" --golden "$M/golden.ndjson" \
  -o "$WORK/shadow.tar.zst"

checkpoint() { sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null; }
# A store holding CSV's items (ingested with the policy), no model yet, its log checkpointed.
ingested() { # dir csv
  "$E" -q init --site bench --store "$1"
  "$E" -q --store "$1" ingest --policy "$POLICY" "$2"
  checkpoint "$1"
}
# A copy of BASE with both versions imported, ACTIVE active, then as MODE says: shadow (SHADOW
# scores beside it), plain (nothing more) or forward (SHADOW active instead); its log checkpointed.
with_models() { # base dir mode
  cp -a "$1" "$2"
  "$E" -q --store "$2" import-model "$WORK/active.tar.zst" --activate --allow-unsigned 2>/dev/null
  "$E" -q --store "$2" import-model "$WORK/shadow.tar.zst" --allow-unsigned 2>/dev/null
  case $3 in
    shadow) "$E" -q --store "$2" models shadow "$MODEL@$SHADOW" ;;
    forward) "$E" -q --store "$2" models activate "$MODEL@$SHADOW" ;;
  esac
  checkpoint "$2"
}
copy() { rm -rf "$2" && cp -a "$1" "$2" && sync; } # written out before anything is timed
q() { sqlite3 "$1/edgectl.db" "$2"; }

# Checks what a score run of N items left in STORE: every item scored by ACTIVE, and with a shadow
# (SHADOWED=1) every one of them answered by SHADOW beside ACTIVE; without one, no shadow answer.
check() { # store n shadowed
  local s=$1 n=$2 got
  got=$(q "$s" "SELECT count(*) FROM insights WHERE model = '$MODEL' AND model_version = '$ACTIVE'")
  [ "$got" = "$n" ] || die "score wrote $got insights of $n"
  if [ "$3" = 1 ]; then
    got=$(q "$s" "SELECT count(*) FROM shadow_insights s JOIN insights i ON i.item_id = s.item_id
      WHERE s.model = '$MODEL' AND s.model_version = '$SHADOW' AND s.active_version = '$ACTIVE'
      AND s.error IS NULL AND s.score IS NOT NULL")
    [ "$got" = "$n" ] || die "the shadow answered $got of $n items scored"
    got=$(q "$s" 'SELECT count(*) FROM shadow_insights')
    [ "$got" = "$n" ] || die "shadow_insights holds $got rows for $n items"
  else
    got=$(q "$s" 'SELECT count(*) FROM shadow_insights')
    [ "$got" = 0 ] || die "score without a shadow wrote $got shadow answers"
  fi
}

# --- score with a shadow, without, and the shadow's forward alone, the contenders rotating ---------
ANOMALIES=""
for n in "${SIZES[@]}"; do
  c=$(count "$n")
  csv=$(gen wine "$n")
  [ -s "${csv%.csv}-one.csv" ] || head -2 "$csv" >"${csv%.csv}-one.csv"
  log "stores of $c items (with a shadow, without, $SHADOW active) and of one item"
  ingested "$WORK/base" "$csv"
  for k in shadow plain forward; do with_models "$WORK/base" "$WORK/$k" "$k"; done
  rm -rf "$WORK/base"
  ingested "$WORK/base" "${csv%.csv}-one.csv"
  for k in shadow plain; do with_models "$WORK/base" "$WORK/one-$k" "$k"; done
  rm -rf "$WORK/base"
  for rep in $(seq "$REPS"); do
    log "score of $c items, repetition $rep/$REPS"
    case $((rep % 3)) in
      1) order=(plain shadow forward) ;;
      2) order=(shadow forward plain) ;;
      0) order=(forward plain shadow) ;;
    esac
    for k in "${order[@]}"; do
      copy "$WORK/$k" "$WORK/e"
      if [ "$k" = forward ]; then
        timed "forward.$c" "$rep" "$H" forward "$WORK/e" "$n" "$THREADS"
        grep -q "items=$n\$" "$WORK/.stdout" || die "bench-limit forward kept $(cat "$WORK/.stdout") of $n items"
        continue
      fi
      timed "score.$k.$c" "$rep" "$E" -q --store "$WORK/e" "${SCORE[@]}"
      check "$WORK/e" "$n" "$([ "$k" = shadow ] && echo 1 || echo 0)"
      [ "$k" != shadow ] || [ "$rep" != 1 ] || ANOMALIES="${ANOMALIES:+$ANOMALIES; }$(q "$WORK/e" \
        "SELECT (SELECT sum(anomaly) FROM insights) || ' (active) and ' || (SELECT sum(anomaly) FROM shadow_insights)
         || ' (shadow)'") of $c"
    done
    for k in shadow plain; do
      copy "$WORK/one-$k" "$WORK/o"
      timed "startup.$k.$c" "$rep" "$E" -q --store "$WORK/o" "${SCORE[@]}"
      check "$WORK/o" 1 "$([ "$k" = shadow ] && echo 1 || echo 0)"
    done
  done
  rm -rf "$WORK/shadow" "$WORK/plain" "$WORK/forward" "$WORK/one-shadow" "$WORK/one-plain" "$WORK/e" "$WORK/o"
done

# --- peak memory with a shadow at a small backlog (the large one: the runs above) ------------------
log "memory at $(count "$N_SMALL") items"
ingested "$WORK/base" "$(gen wine "$N_SMALL")"
with_models "$WORK/base" "$WORK/m" shadow
sync
timed "small.score.shadow" 0 "$E" -q --store "$WORK/m" "${SCORE[@]}"
check "$WORK/m" "$N_SMALL" 1
rm -rf "$WORK/base" "$WORK/m"

# --- the tables -------------------------------------------------------------------------------------
read -r T_ACTIVE T_SHADOW <<<"$THRESHOLDS"
# shellcheck disable=SC2154 # score_batch and score_commit: set by the eval of bench-limit defaults
echo "The sample model (13->16->3) on bench.sh's wine records: $MODEL@$SHADOW (anomaly below $T_SHADOW) shadowing" \
  "$MODEL@$ACTIVE (below $T_ACTIVE), the same model.pt; score --threads $THREADS (batch $score_batch," \
  "$score_commit items a transaction)."
echo "Anomalies flagged (first repetition): $ANOMALIES."
B=$(count "$N_BIG") S=$(count "$N_SMALL")
rows=()
for n in "${SIZES[@]}"; do
  c=$(count "$n")
  rows+=("score with a shadow vs score + the shadow's bare forward (speed), $c items	score.plain.$c.wall+forward.$c.wall	score.shadow.$c.wall	>=0.9	-"
    "the same, start-ups left out, $c items	score.plain.$c.wall-startup.plain.$c.wall+forward.$c.wall	score.shadow.$c.wall-startup.shadow.$c.wall	-	-"
    "one score with a shadow vs two score runs (speed), $c items	score.plain.$c.wall+score.plain.$c.wall	score.shadow.$c.wall	-	-"
    "score speed with a shadow ÷ without, $c items	score.plain.$c.wall	score.shadow.$c.wall	-	-")
done
rows+=("peak RSS of score with a shadow, $B ÷ $S items	score.shadow.$B.rss	small.score.shadow.rss	<=1.25	-"
  "peak RSS of score, with a shadow ÷ without, $B items	score.shadow.$B.rss	score.plain.$B.rss	-	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "score is a whole edgectl process; forward is bench-limit's timed part (no start-up); a start-up is a run on a" \
  "one-item store, with the shadow or without."
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
