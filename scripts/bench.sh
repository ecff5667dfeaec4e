#!/usr/bin/env bash
# Measures `edgectl score` and `edgectl ingest` side by side with their limits and baselines, and
# prints the tables (docs/benchmarks.md says what each figure means). About 10 minutes on 2 cores.
#
#   score   sample model (13->16->3) on BENCH_SAMPLE_ITEMS lab records, and a compute-bound
#           256->1024->1024->10 MLP on BENCH_BIG_ITEMS wide records. Its pipeline time is the run's
#           wall time minus that of the same run on a one-item store (the start-up). Beside it:
#           - the forward stage alone, the write stage alone (bench-limit: edgectl_core's own
#             Model::forward on rows already built, its Db writing rows already in memory); a
#             limit is an upper bound, so the run fails when score beats one by more than the noise
#           - a plain Python pipeline doing the same (scripts/bench/py_score.py), whole processes
#   ingest  the BENCH_SAMPLE_ITEMS-row CSV, against `sqlite3 .import` of the same file
#   memory  peak RSS of ingest and score at BENCH_SMALL_ITEMS and BENCH_SAMPLE_ITEMS items
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_SAMPLE_ITEMS (1000000), BENCH_BIG_ITEMS (200000),
# BENCH_SMALL_ITEMS (10000), BENCH_THREADS (score's default), BENCH_PYTHON (1), BENCH_KEEP (0).
set -euo pipefail
NAME=bench
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
N_SAMPLE=${BENCH_SAMPLE_ITEMS:-1000000}
N_BIG=${BENCH_BIG_ITEMS:-200000}
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
WITH_PYTHON=${BENCH_PYTHON:-1}

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v sqlite3 >/dev/null || need+=(sqlite3)
"$PY" -c 'import torch, numpy' 2>/dev/null || need+=(python3-torch python3-numpy)
install_missing "${need[@]}"
build
# The product's defaults, from the product (the Python pipeline is given the same).
eval "$("$H" defaults)"
THREADS=${BENCH_THREADS:-$score_threads}

# --- data: the sample model's records, the compute-bound model's, and a one-item file of each ----
WINE=$(gen wine "$N_SAMPLE")
WIDE=$(gen wide "$N_BIG")
for f in "$WINE" "$WIDE"; do [ -s "${f%.csv}-one.csv" ] || head -2 "$f" >"${f%.csv}-one.csv"; done
if [ ! -s "$DATA/big-model/model.pt" ]; then
  log "making the 256-1024-1024-10 model"
  nice "$PY" "$BENCH/make_big_model.py" "$DATA/big-model.tmp" >/dev/null && mv "$DATA/big-model.tmp" "$DATA/big-model"
fi
"$E" -q pack-model --model "$DATA/big-model/model.pt" --spec "$DATA/big-model/model.json" \
  --golden "$DATA/big-model/golden.ndjson" -o "$WORK/big.tar.zst"

insights() { sqlite3 "$1/edgectl.db" 'SELECT count(*) FROM insights'; }

# --- score, its two limits and the Python pipeline ---------------------------------------------------
score_case() { # case csv n model-name [package]
  local c=$1 csv=$2 n=$3 model=$4 pkg=${5:-}
  log "score [$c]: stores of $n items and of one"
  make_store "$WORK/$c" "$csv" "$pkg"
  make_store "$WORK/$c-one" "${csv%.csv}-one.csv" "$pkg"
  local score=(score --threads "$THREADS")
  for rep in $(seq "$REPS"); do
    log "score [$c] repetition $rep/$REPS"
    rm -rf "$WORK/e" "$WORK/o" "$WORK/w" "$WORK/p"
    cp -a "$WORK/$c" "$WORK/e"
    timed "$c.score" "$rep" "$E" -q --store "$WORK/e" "${score[@]}"
    [ "$(insights "$WORK/e")" = "$n" ] || die "edgectl score wrote $(insights "$WORK/e") insights of $n"
    cp -a "$WORK/$c-one" "$WORK/o"
    timed "$c.startup" "$rep" "$E" -q --store "$WORK/o" "${score[@]}"
    timed "$c.forward" "$rep" "$H" forward "$WORK/$c" "$n" "$THREADS"
    cp -a "$WORK/$c" "$WORK/w"
    timed "$c.write" "$rep" "$H" write "$WORK/e" "$WORK/w"
    [ "$WITH_PYTHON" = 1 ] || continue
    cp -a "$WORK/$c" "$WORK/p"
    timed "$c.python" "$rep" env OPENBLAS_NUM_THREADS="$THREADS" "$PY" "$BENCH/py_score.py" "$WORK/p" "$model" \
      "$score_batch" "$THREADS" "$score_commit"
    [ "$(insights "$WORK/p")" = "$n" ] || die "the Python pipeline wrote $(insights "$WORK/p") insights of $n"
  done
  rm -rf "${WORK:?}/$c" "$WORK/$c-one" "$WORK/e" "$WORK/o" "$WORK/w" "$WORK/p"
}
score_case sample "$WINE" "$N_SAMPLE" wine-cultivar
score_case big "$WIDE" "$N_BIG" bench-mlp-256 "$WORK/big.tar.zst"

# --- ingest against sqlite3 .import of the same CSV -------------------------------------------------
for rep in $(seq "$REPS"); do
  log "ingest repetition $rep/$REPS"
  rm -rf "$WORK/i" "$WORK/import.db"
  "$E" -q init --site bench --store "$WORK/i"
  timed ingest "$rep" "$E" -q --store "$WORK/i" ingest --policy "$POLICY" "$WINE"
  timed import "$rep" sqlite3 "$WORK/import.db" '.mode csv' ".import $WINE records"
  [ "$(sqlite3 "$WORK/import.db" 'SELECT count(*) FROM records')" = "$N_SAMPLE" ] || die ".import lost records"
done
[ "$(sqlite3 "$WORK/i/edgectl.db" 'SELECT count(*) FROM items')" = "$N_SAMPLE" ] || die "ingest lost records"
rm -rf "$WORK/i" "$WORK/import.db"

# --- peak memory at a small backlog (the large one: the runs above) ----------------------------------
log "memory at $N_SMALL items"
make_store "$WORK/m" ""
timed small.ingest 0 "$E" -q --store "$WORK/m" ingest --policy "$POLICY" "$(gen wine "$N_SMALL")"
timed small.score 0 "$E" -q --store "$WORK/m" score --threads "$THREADS"
rm -rf "$WORK/m"

# --- the tables ------------------------------------------------------------------------------------
S=$(count "$N_SAMPLE") B=$(count "$N_BIG") M=$(count "$N_SMALL")
rows=()
for c in sample big; do
  n=$([ $c = sample ] && echo "$S" || echo "$B")
  pipeline="$c.score.wall-$c.startup.wall"
  rows+=("score ÷ forward stage alone, $c $n	$c.forward.wall	$pipeline	-	upper"
    "score ÷ write stage alone, $c $n	$c.write.wall	$pipeline	-	upper"
    "score ÷ its slower stage alone, $c $n	$c.forward.wall,$c.write.wall	$pipeline	>=0.85	-")
  [ "$WITH_PYTHON" = 0 ] || rows+=("score ÷ Python pipeline (speed-up), $c $n	$c.python.wall	$c.score.wall	>=2	-")
done
rows+=("ingest ÷ sqlite3 .import (speed-up), $S rows	import.wall	ingest.wall	>=1	-"
  "peak RSS of ingest, $S ÷ $M	ingest.rss	small.ingest.rss	<=1.25	-"
  "peak RSS of score, $S ÷ $M	sample.score.rss	small.score.rss	<=1.25	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "score's start-up (a one-item run) is left out of the limit ratios, kept in the Python ones."
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
