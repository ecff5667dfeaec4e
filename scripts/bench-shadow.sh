#!/usr/bin/env bash
# Measures what a shadow version costs `edgectl score`: score with a shadow side by side with score
# without one and with the shadow's forward stage alone, in the same run, for two models, and prints
# the tables (docs/benchmarks-shadow.md says what each figure means). About 10 minutes on 2 cores.
#
#   cases   sample  the sample model (13->16->3, scripts/sample-site/model) on bench.sh's wine lab
#                   records (ingested with its policy), at 100k and 1M items: score is bound by its
#                   writer thread
#           big     bench.sh's compute-bound MLP (256->1024->1024->10, scripts/bench/make_big_model.py,
#                   cached with its data) on its wide records, at 100k items: score is bound by the
#                   forward pass
#   score   for each case and size, one store ingests that many records and imports two versions of
#           the model: its own (1.0.0), active, and 1.1.0, the same model.pt but for its version and
#           its anomaly threshold (sample 0.95 for 0.85, big 0.2 for 0.17). Each repetition times,
#           each on a fresh copy of that store, the three contenders in an order rotating from one
#           repetition to the next:
#           - shadow   `edgectl score` (the whole process, bench.sh's arguments) with 1.1.0 the
#                      shadow of 1.0.0 (`edgectl models shadow`); checked: every item has an insight
#                      and a shadow answer of 1.1.0 beside 1.0.0, each answered
#           - plain    the same command without a shadow; checked: every item scored, no shadow answer
#           - forward  1.1.0's forward stage alone on as many items (bench-limit forward, on a copy
#                      where 1.1.0 is active): what the shadow adds to score at the least
#           Beside them, score with and without the shadow on a one-item store (the start-up), left
#           out of the second ratio.
#   memory  peak RSS of score with a shadow at BENCH_SMALL_ITEMS and at each case's largest size
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_SHADOW_ITEMS (sample sizes, "100000 1000000"), BENCH_SHADOW_BIG_ITEMS
# (big sizes, "100000"; "" leaves the case out), BENCH_SMALL_ITEMS (10000), BENCH_THREADS (score's
# default), BENCH_BUILD (build-bench), BENCH_KEEP (0).
set -euo pipefail
NAME=bench-shadow
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
read -r -a SAMPLE_SIZES <<<"${BENCH_SHADOW_ITEMS:-100000 1000000}"
read -r -a BIG_SIZES <<<"${BENCH_SHADOW_BIG_ITEMS-100000}"
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
CASES=(sample)
[ ${#BIG_SIZES[@]} = 0 ] || CASES+=(big)

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v sqlite3 >/dev/null || need+=(sqlite3)
"$PY" -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
[ ${#BIG_SIZES[@]} = 0 ] || "$PY" -c 'import torch' 2>/dev/null || need+=(python3-torch)
install_missing "${need[@]}"
build
eval "$("$H" defaults)"
THREADS=${BENCH_THREADS:-$score_threads}
SCORE=(score --threads "$THREADS")  # as bench.sh scores: the default batch and commit size
SHADOW=1.1.0

# --- each case's model: as it comes, and as 1.1.0 with a higher anomaly threshold ------------------
if [ ${#BIG_SIZES[@]} -gt 0 ] && [ ! -s "$DATA/big-model/model.pt" ]; then  # as bench.sh makes it
  log "making the 256-1024-1024-10 model"
  nice "$PY" "$BENCH/make_big_model.py" "$DATA/big-model.tmp" >/dev/null && mv "$DATA/big-model.tmp" "$DATA/big-model"
fi
declare -A MODEL ACTIVE T_ACTIVE T_SHADOW ANOMALIES
# Packs DIR's model as it is ($WORK/CASE-active.tar.zst) and as SHADOW with its confidence_below
# threshold set to THRESHOLD ($WORK/CASE-shadow.tar.zst).
versions() { # case dir threshold
  local c=$1 m=$2
  read -r "MODEL[$c]" "ACTIVE[$c]" "T_ACTIVE[$c]" < <("$PY" -c 'import json, sys
spec = json.load(open(sys.argv[1]))
print(spec["name"], spec["version"], *(r["threshold"] for r in spec["anomaly"] if r["rule"] == "confidence_below"))' \
    "$m/model.json")
  T_SHADOW[$c]=$3
  mkdir -p "$WORK/spec-$c"
  "$PY" -c 'import json, sys
spec = json.load(open(sys.argv[1]))
spec["version"] = sys.argv[3]
for rule in spec["anomaly"]:
    if rule["rule"] == "confidence_below":
        rule["threshold"] = float(sys.argv[4])
json.dump(spec, open(sys.argv[2], "w"), indent=2)' "$m/model.json" "$WORK/spec-$c/model.json" "$SHADOW" "$3"
  "$E" -q pack-model --model "$m/model.pt" --spec "$m/model.json" --golden "$m/golden.ndjson" -o "$WORK/$c-active.tar.zst"
  "$E" -q pack-model --model "$m/model.pt" --spec "$WORK/spec-$c/model.json" --golden "$m/golden.ndjson" \
    -o "$WORK/$c-shadow.tar.zst"
}
versions sample "$ROOT/scripts/sample-site/model" 0.95
[ ${#BIG_SIZES[@]} = 0 ] || versions big "$DATA/big-model" 0.2

checkpoint() { sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null; }
# A store holding CSV's items (lab records ingested with the policy, wide ones as they are), no
# model yet, its log checkpointed.
ingested() { # dir csv
  "$E" -q init --site bench --store "$1"
  case $2 in
    *wine*) "$E" -q --store "$1" ingest --policy "$POLICY" "$2" ;;
    *) "$E" -q --store "$1" ingest "$2" ;;
  esac
  checkpoint "$1"
}
# A copy of BASE with both versions of CASE's model imported, its own active, then as MODE says:
# shadow (SHADOW scores beside it), plain (nothing more) or forward (SHADOW active instead); its log
# checkpointed.
with_models() { # case base dir mode
  cp -a "$2" "$3"
  "$E" -q --store "$3" import-model "$WORK/$1-active.tar.zst" --activate --allow-unsigned 2>/dev/null
  "$E" -q --store "$3" import-model "$WORK/$1-shadow.tar.zst" --allow-unsigned 2>/dev/null
  case $4 in
    shadow) "$E" -q --store "$3" models shadow "${MODEL[$1]}@$SHADOW" ;;
    forward) "$E" -q --store "$3" models activate "${MODEL[$1]}@$SHADOW" ;;
  esac
  checkpoint "$3"
}
copy() { rm -rf "$2" && cp -a "$1" "$2" && sync; } # written out before anything is timed
q() { sqlite3 "$1/edgectl.db" "$2"; }

# Checks what a score run of N items of CASE left in STORE: every item scored by the active version,
# and with a shadow (SHADOWED=1) every one of them answered by SHADOW beside it; without one, no
# shadow answer.
check() { # case store n shadowed
  local m=${MODEL[$1]} a=${ACTIVE[$1]} s=$2 n=$3 got
  got=$(q "$s" "SELECT count(*) FROM insights WHERE model = '$m' AND model_version = '$a'")
  [ "$got" = "$n" ] || die "score wrote $got insights of $n"
  if [ "$4" = 1 ]; then
    # The answers unpacked once (joining the shadow_insights view runs json_each per insight).
    got=$(q "$s" "WITH s AS MATERIALIZED (SELECT json_extract(a.value, '\$[0]') AS item,
        json_extract(a.value, '\$[2]') AS score, json_extract(a.value, '\$[5]') AS error
      FROM shadow_answers b, json_each(b.body) a
      WHERE b.model = '$m' AND b.model_version = '$SHADOW' AND b.active_version = '$a')
      SELECT count(*) FROM s JOIN insights i ON i.item_id = s.item AND i.model = '$m' AND i.model_version = '$a'
      WHERE s.error IS NULL AND s.score IS NOT NULL")
    [ "$got" = "$n" ] || die "the shadow answered $got of $n items scored"
    got=$(q "$s" 'SELECT coalesce(sum(answers), 0) FROM shadow_answers')
    [ "$got" = "$n" ] || die "shadow_answers holds $got answers for $n items"
  else
    got=$(q "$s" 'SELECT coalesce(sum(answers), 0) FROM shadow_answers')
    [ "$got" = 0 ] || die "score without a shadow wrote $got shadow answers"
  fi
}

# --- score with a shadow, without, and the shadow's forward alone, the contenders rotating ---------
measure() { # case kind n
  local c=$1 kind=$2 n=$3 csv x k rep order
  x=$(count "$n")
  csv=$(gen "$kind" "$n")
  [ -s "${csv%.csv}-one.csv" ] || head -2 "$csv" >"${csv%.csv}-one.csv"
  log "[$c] stores of $x items (with a shadow, without, $SHADOW active) and of one item"
  ingested "$WORK/base" "$csv"
  for k in shadow plain forward; do with_models "$c" "$WORK/base" "$WORK/$k" "$k"; done
  rm -rf "$WORK/base"
  ingested "$WORK/base" "${csv%.csv}-one.csv"
  for k in shadow plain; do with_models "$c" "$WORK/base" "$WORK/one-$k" "$k"; done
  rm -rf "$WORK/base"
  for rep in $(seq "$REPS"); do
    log "[$c] score of $x items, repetition $rep/$REPS"
    case $((rep % 3)) in
      1) order=(plain shadow forward) ;;
      2) order=(shadow forward plain) ;;
      0) order=(forward plain shadow) ;;
    esac
    for k in "${order[@]}"; do
      copy "$WORK/$k" "$WORK/e"
      if [ "$k" = forward ]; then
        timed "$c.forward.$x" "$rep" "$H" forward "$WORK/e" "$n" "$THREADS"
        grep -q "items=$n\$" "$WORK/.stdout" || die "bench-limit forward kept $(cat "$WORK/.stdout") of $n items"
        continue
      fi
      timed "$c.score.$k.$x" "$rep" "$E" -q --store "$WORK/e" "${SCORE[@]}"
      check "$c" "$WORK/e" "$n" "$([ "$k" = shadow ] && echo 1 || echo 0)"
      [ "$k" != shadow ] || [ "$rep" != 1 ] || ANOMALIES[$c]="${ANOMALIES[$c]:+${ANOMALIES[$c]}; }$(q "$WORK/e" \
        "SELECT (SELECT sum(anomaly) FROM insights) || ' (active) and ' || (SELECT sum(json_extract(a.value, '\$[3]')) FROM shadow_answers b, json_each(b.body) a)
         || ' (shadow)'") of $x"
    done
    for k in shadow plain; do
      copy "$WORK/one-$k" "$WORK/o"
      timed "$c.startup.$k.$x" "$rep" "$E" -q --store "$WORK/o" "${SCORE[@]}"
      check "$c" "$WORK/o" 1 "$([ "$k" = shadow ] && echo 1 || echo 0)"
    done
  done
  rm -rf "$WORK/shadow" "$WORK/plain" "$WORK/forward" "$WORK/one-shadow" "$WORK/one-plain" "$WORK/e" "$WORK/o"
}

# --- peak memory with a shadow at a small backlog (the large one: the runs above) ------------------
memory() { # case kind
  log "[$1] memory at $(count "$N_SMALL") items"
  ingested "$WORK/base" "$(gen "$2" "$N_SMALL")"
  with_models "$1" "$WORK/base" "$WORK/m" shadow
  sync
  timed "$1.small.score.shadow" 0 "$E" -q --store "$WORK/m" "${SCORE[@]}"
  check "$1" "$WORK/m" "$N_SMALL" 1
  rm -rf "$WORK/base" "$WORK/m"
}

for n in "${SAMPLE_SIZES[@]}"; do measure sample wine "$n"; done
memory sample wine
for n in "${BIG_SIZES[@]}"; do measure big wide "$n"; done
[ ${#BIG_SIZES[@]} = 0 ] || memory big wide

# --- the tables -------------------------------------------------------------------------------------
# shellcheck disable=SC2154 # score_batch and score_commit: set by the eval of bench-limit defaults
echo "score --threads $THREADS (batch $score_batch, $score_commit items a transaction); in each case $SHADOW shadows" \
  "the active version, the same model.pt with a higher anomaly threshold."
echo "sample: the sample model (13->16->3) on bench.sh's wine records: ${MODEL[sample]}@$SHADOW (anomaly below" \
  "${T_SHADOW[sample]}) shadowing ${MODEL[sample]}@${ACTIVE[sample]} (below ${T_ACTIVE[sample]}); anomalies flagged" \
  "(first repetition): ${ANOMALIES[sample]}."
[ ${#BIG_SIZES[@]} = 0 ] || echo "big: the compute-bound MLP (256->1024->1024->10) on bench.sh's wide records:" \
  "${MODEL[big]}@$SHADOW (anomaly below ${T_SHADOW[big]}) shadowing ${MODEL[big]}@${ACTIVE[big]} (below" \
  "${T_ACTIVE[big]}); anomalies flagged (first repetition): ${ANOMALIES[big]}."
S=$(count "$N_SMALL")
rows=()
for c in "${CASES[@]}"; do
  if [ "$c" = sample ]; then sizes=("${SAMPLE_SIZES[@]}"); else sizes=("${BIG_SIZES[@]}"); fi
  for n in "${sizes[@]}"; do
    x=$(count "$n")
    rows+=("score with a shadow vs score + the shadow's bare forward (speed), $c $x items	$c.score.plain.$x.wall+$c.forward.$x.wall	$c.score.shadow.$x.wall	>=0.9	-"
      "the same, start-ups left out, $c $x items	$c.score.plain.$x.wall-$c.startup.plain.$x.wall+$c.forward.$x.wall	$c.score.shadow.$x.wall-$c.startup.shadow.$x.wall	-	-"
      "one score with a shadow vs two score runs (speed), $c $x items	$c.score.plain.$x.wall+$c.score.plain.$x.wall	$c.score.shadow.$x.wall	-	-"
      "score speed with a shadow ÷ without, $c $x items	$c.score.plain.$x.wall	$c.score.shadow.$x.wall	-	-")
  done
  B=$(count "$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)")
  rows+=("peak RSS of score with a shadow, $c $B ÷ $S items	$c.score.shadow.$B.rss	$c.small.score.shadow.rss	<=1.25	-"
    "peak RSS of score, with a shadow ÷ without, $c $B items	$c.score.shadow.$B.rss	$c.score.plain.$B.rss	-	-")
done
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "score is a whole edgectl process; forward is bench-limit's timed part (no start-up); a start-up is a run on a" \
  "one-item store, with the shadow or without."
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
