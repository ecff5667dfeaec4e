#!/usr/bin/env bash
# Benchmarks edgectl's ingest and score against their limits and baselines, side by side in one
# run, and writes docs/benchmarks.md (DESIGN.md §8, issue 5 item 7).
#
#   scripts/bench.sh            # about 10-15 minutes on the 2-core machine, plus a first build
#
# What it measures (medians of BENCH_REPS repetitions, interleaved so that drift on a shared
# machine hits every contender alike):
#   1. score end to end ÷ its limit = the slower of (a) the bare TorchScript forward (C++ harness,
#      same batch and threads, tensors in memory) and (b) SQLite alone committing the same insight
#      rows with edgectl's batching and settings; for the sample model on the 1M lab records ingest
#      writes, and a compute-bound 256-1024-1024-10 MLP on 200k wide records; with and without the
#      start-up of a run (the same score of a store holding one item);
#   2. score ÷ a straightforward Python pipeline (Debian's python3-torch + sqlite3), with the same
#      threads (and, for the compute-bound model, also with OpenBLAS on every core, its default);
#   3. ingest records/s ÷ `sqlite3 .import` of the same 1M-row CSV;
#   4. peak RSS of ingest and score at 10k and at 1M items;
# then profiles score, ingest and the SQLite limit with perf (software cpu-clock sampling, every
# thread; falls back to no profile when perf cannot sample) and writes the figures, the machine and
# the profiles into docs/benchmarks.md. A previous docs/benchmarks.md's figures are compared with
# this run's, to show whether they reproduce.
#
# Builds only in build-bench/ (Release): edgectl and its LibTorch module edgectl_torch.so beside
# it, and the harness programs in scripts/bench/ (bench-forward, bench-sqlite) as a separate small
# CMake project in build-bench/harness. Works in temp dirs under /tmp; generated data is cached in
# /tmp/edgectl-bench-data.
#
# Knobs (environment): BENCH_REPS (5), BENCH_SIDE_REPS (3: the --threads 2 case and SQLite alone
# writing ingest's rows), BENCH_SAMPLE_ITEMS (1000000), BENCH_BIG_ITEMS (200000),
# BENCH_INGEST_ITEMS (1000000), BENCH_SMALL_ITEMS (10000), BENCH_THREADS (1), BENCH_BATCH (256),
# BENCH_PROFILE (1), BENCH_KEEP (0: delete the work dir at the end), BENCH_OUT (docs/benchmarks.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-bench"
BENCH="$ROOT/scripts/bench"
PY=/usr/bin/python3
POLICY="$BENCH/policy.json"   # PII policy for the lab-record data (hash, mask, redact), as a site runs ingest
REPS=${BENCH_REPS:-5}
SIDE_REPS=${BENCH_SIDE_REPS:-3}
SIDE_REPS=$(( REPS < SIDE_REPS ? REPS : SIDE_REPS ))
N_SAMPLE=${BENCH_SAMPLE_ITEMS:-1000000}
N_BIG=${BENCH_BIG_ITEMS:-200000}
N_INGEST=${BENCH_INGEST_ITEMS:-1000000}
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
THREADS=${BENCH_THREADS:-1}
BATCH=${BENCH_BATCH:-256}
COMMIT=4096          # edgectl score's transaction size (ScoreOptions::commit_rows)
INGEST_COMMIT=10000  # edgectl ingest's (IngestOptions::batch)
PY_FREE_CASE=big     # the score case whose Python pipeline also runs with OpenBLAS unbounded
PROFILE=${BENCH_PROFILE:-1}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}

log() { printf 'bench: [%4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/bench/common.sh
source "$BENCH/common.sh"

# --- tools ---------------------------------------------------------------------------------------
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v perf >/dev/null || [ "$PROFILE" = 0 ] || need_pkgs+=(linux-perf)
"$PY" -c 'import torch, numpy' 2>/dev/null || need_pkgs+=(python3-torch python3-numpy)
install_missing "${need_pkgs[@]}"


# --- build (Release, build-bench only) -----------------------------------------------------------
# One benchmark script builds or measures at a time (scripts/bench-export.sh takes the same lock):
# a build or a second benchmark would share the 2 cores with the measurements.
exec 9>/tmp/edgectl-bench.lock
flock 9
t_start=$(date +%s)
# What is measured is what is built now: the commit and whether the tree differs from it, taken
# before the build (others may commit while the benchmarks run). docs/benchmarks.md, which this
# script rewrites, does not count as a change.
BUILT_FROM=$(tree_state docs/benchmarks.md)
# The sources built, for the report's statements about what the measured code does.
SNAP=$(mktemp -d /tmp/edgectl-bench-core.XXXXXX)
trap 'rm -rf "$SNAP"' EXIT
cp -a "$ROOT/core/." "$SNAP/"
log "building edgectl (Release) in $BUILD"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGECTL_TESTS=OFF >/dev/null
fi
# The module's target (core/CMakeLists.txt): edgectl loads edgectl_torch.so from beside itself.
cmake --build "$BUILD" --target edgectl edgectl_torch >/dev/null
if [ ! -f "$BUILD/harness/build.ninja" ]; then
  cmake -S "$BENCH" -B "$BUILD/harness" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD/harness" >/dev/null
E="$BUILD/edgectl"
HF="$BUILD/harness/bench-forward"
HS="$BUILD/harness/bench-sqlite"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || die "$BUILD is not a Release build"
[ -f "$BUILD/edgectl_torch.so" ] || die "$BUILD/edgectl_torch.so is missing: edgectl could not run a model"
t_built=$(date +%s)
busy0=$(busy_ticks); own0=$(own_ticks); load0=$(cut -d' ' -f1 /proc/loadavg)

# --- data (deterministic, cached by generator digest) --------------------------------------------
# The sample model scores the very records ingest writes (the same file when the sizes agree).
gen wine "$N_INGEST" "wine-$N_INGEST.csv"
gen wine "$N_SAMPLE" "wine-$N_SAMPLE.csv"
gen wine "$N_SMALL" "wine-$N_SMALL.csv"
gen wide "$N_BIG" "wide-$N_BIG.csv"
# One record of each kind: a run that scores one item pays the whole fixed cost of a run.
for f in "wine-$N_SAMPLE" "wide-$N_BIG"; do
  [ -s "$DATA/$f-first.csv" ] || head -2 "$DATA/$f.csv" >"$DATA/$f-first.csv"
done
if [ ! -s "$DATA/big-model/model.pt" ]; then
  log "making the 256-1024-1024-10 model"
  "$PY" "$BENCH/make_big_model.py" "$DATA/big-model.tmp" >/dev/null && rm -rf "$DATA/big-model" &&
    mv "$DATA/big-model.tmp" "$DATA/big-model"
fi

start_work /tmp/edgectl-bench.XXXXXX   # WORK, RES, $WORK/wine.tar.zst

"$E" -q pack-model --model "$DATA/big-model/model.pt" --spec "$DATA/big-model/model.json" \
  --golden "$DATA/big-model/golden.ndjson" -o "$WORK/big.tar.zst"

# A store with PACKAGE imported and active and CSV ingested, checkpointed so that copying the
# directory copies everything.
make_store() { # dir package csv [ingest options]
  "$E" -q init --site bench --store "$1"
  "$E" -q --store "$1" import-model "$2" --activate --allow-unsigned 2>/dev/null
  [ -z "$3" ] || "$E" -q --store "$1" ingest "${@:4}" "$3"
  sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}

# Records the key=value pairs a harness printed on stdout as NAME.key.
harvest() { # name rep
  tr ' ' '\n' <"$WORK/cmd.out" | grep '=' | while IFS== read -r k v; do record "$1.$k" "$2" "$v"; done
}
count_insights() { sqlite3 "$1/edgectl.db" 'SELECT count(*) || " " || sum(anomaly) FROM insights'; }

# --- 1 and 2: score -------------------------------------------------------------------------------
score_case() { # case package csv n model-name threads with-python reps ingest-policy [case whose stores to reuse [VAR=VALUE...]]
  local c=$1 pkg=$2 csv=$3 n=$4 name=$5 threads=$6 with_py=$7 reps=$8 policy=$9 from=${10:-}
  shift $(( $# < 10 ? $# : 10 ))
  local env=(env "$@")   # environment for edgectl and the forward harness alike (e.g. OMP_WAIT_POLICY)
  log "score [$c]: preparing a store of $n items"
  if [ -n "$from" ]; then
    cp -a "$WORK/$from-base" "$WORK/$c-base"
    cp -a "$WORK/$from-one" "$WORK/$c-one"
  else
    make_store "$WORK/$c-base" "$pkg" "$csv" ${policy:+--policy "$policy"}
    make_store "$WORK/$c-one" "$pkg" "${csv%.csv}-first.csv" ${policy:+--policy "$policy"}
  fi
  local pt
  pt=$(ls "$WORK/$c-base/models/$name"/*/model.pt)
  local width
  width=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["input"]["fields"]))' "$(dirname "$pt")/model.json")
  local score=(score --threads "$threads" --batch "$BATCH")
  for rep in $(seq 1 "$reps"); do
    log "score [$c] repetition $rep/$reps"
    rm -rf "$WORK/e" "$WORK/q" "$WORK/p" "$WORK/o"
    cp -a "$WORK/$c-base" "$WORK/e"
    timed "$c.edgectl" "$rep" "${env[@]}" "$E" -q --store "$WORK/e" "${score[@]}"
    [ "$(count_insights "$WORK/e" | cut -d' ' -f1)" = "$n" ] || die "edgectl score wrote $(count_insights "$WORK/e")"
    # Fixed cost of a run: the same command on a store holding one item (process start, store, the
    # LibTorch module, model load and digest check, one batch, one commit) ...
    cp -a "$WORK/$c-one" "$WORK/o"
    timed "$c.startup" "$rep" "${env[@]}" "$E" -q --store "$WORK/o" "${score[@]}"
    [ "$(count_insights "$WORK/o" | cut -d' ' -f1)" = 1 ] || die "edgectl score of one item wrote $(count_insights "$WORK/o")"
    # ... and of a run with nothing new to score (a cron run after a quiet period).
    timed "$c.idle" "$rep" "${env[@]}" "$E" -q --store "$WORK/e" "${score[@]}"
    timed "$c.forward" "$rep" "${env[@]}" "$HF" "$pt" "$width" "$n" "$BATCH" "$threads"
    harvest "$c.forward" "$rep"
    cp -a "$WORK/$c-base" "$WORK/q"
    timed "$c.sqlite" "$rep" "$HS" insights "$WORK/e/edgectl.db" "$WORK/q/edgectl.db" "$BATCH" "$COMMIT"
    harvest "$c.sqlite" "$rep"
    if [ "$with_py" = 1 ]; then
      rm -rf "$WORK/q"
      cp -a "$WORK/$c-base" "$WORK/p"
      # The same threads as edgectl: torch.set_num_threads(T) in the script, and OpenBLAS's pool,
      # which it does not reach, bounded the way a Python user would (environment).
      timed "$c.python" "$rep" env OPENBLAS_NUM_THREADS="$threads" "$PY" "$BENCH/py_score.py" "$WORK/p" "$name" \
        "$BATCH" "$threads" "$COMMIT"
      harvest "$c.python" "$rep"
      [ "$(count_insights "$WORK/p")" = "$(count_insights "$WORK/e")" ] ||
        log "warning: python wrote $(count_insights "$WORK/p") (count, anomalies), edgectl $(count_insights "$WORK/e")"
      # As Python runs by default, OpenBLAS on every core (compute-bound model, side repetitions).
      if [ "$c" = "$PY_FREE_CASE" ] && [ "$rep" -le "$SIDE_REPS" ]; then
        rm -rf "$WORK/p"; cp -a "$WORK/$c-base" "$WORK/p"
        timed "$c.python_free" "$rep" "$PY" "$BENCH/py_score.py" "$WORK/p" "$name" "$BATCH" "$threads" "$COMMIT"
        harvest "$c.python_free" "$rep"
      fi
    fi
  done
  record "$c.items" 0 "$n"
  record "$c.width" 0 "$width"
  record "$c.threads" 0 "$threads"
  rm -rf "$WORK/q" "$WORK/p" "$WORK/o"
  mv "$WORK/e" "$WORK/$c-scored"
}
score_case sample "$WORK/wine.tar.zst" "$DATA/wine-$N_SAMPLE.csv" "$N_SAMPLE" wine-cultivar "$THREADS" 1 "$REPS" "$POLICY"
score_case big "$WORK/big.tar.zst" "$DATA/wide-$N_BIG.csv" "$N_BIG" bench-mlp-256 "$THREADS" 1 "$REPS" ""
# A side case, no Python: the compute-bound model with --threads 2 (edgectl and the bare forward
# alike: LibTorch's OpenMP team and OpenBLAS's pool both get two threads, OpenMP's idle workers
# sleep). Extra VAR=VALUE arguments would set both contenders' environment.
score_case big2 "$WORK/big.tar.zst" "$DATA/wide-$N_BIG.csv" "$N_BIG" bench-mlp-256 2 0 "$SIDE_REPS" "" big
rm -rf "$WORK"/big2-*

# --- 3: ingest vs sqlite3 .import (and SQLite alone writing the same item rows) -----------------
CSV="$DATA/wine-$N_INGEST.csv"
for rep in $(seq 1 "$REPS"); do
  log "ingest repetition $rep/$REPS"
  rm -rf "$WORK/i" "$WORK/import.db"
  "$E" -q init --site bench --store "$WORK/i"
  timed ingest.edgectl "$rep" "$E" -q --store "$WORK/i" ingest --policy "$POLICY" "$CSV"
  [ "$(sqlite3 "$WORK/i/edgectl.db" 'SELECT count(*) FROM items')" = "$N_INGEST" ] || die "ingest lost records"
  [ "$rep" != 1 ] || record ingest.payload_bytes 0 "$(sqlite3 "$WORK/i/edgectl.db" 'SELECT avg(length(payload)) FROM items')"
  timed ingest.import "$rep" sqlite3 "$WORK/import.db" '.mode csv' ".import $CSV records"
  [ "$(sqlite3 "$WORK/import.db" 'SELECT count(*) FROM records')" = "$N_INGEST" ] || die ".import lost records"
  # SQLite alone writing the very item rows ingest wrote (same SQL, settings, commit size).
  [ "$rep" -le "$SIDE_REPS" ] || continue
  rm -rf "$WORK/il"; "$E" -q init --site bench --store "$WORK/il"
  timed ingest.sqlite "$rep" "$HS" items "$WORK/i/edgectl.db" "$WORK/il/edgectl.db" "$INGEST_COMMIT"
  harvest ingest.sqlite "$rep"
  rm -rf "$WORK/il"
done
record ingest.items 0 "$N_INGEST"
record ingest.bytes 0 "$(stat -c %s "$CSV")"

# --- 4: peak memory at 10k items (1M: the ingest above and the sample model's score) ------------
log "memory: ingest and score at $N_SMALL items"
rm -rf "$WORK/m"
make_store "$WORK/m" "$WORK/wine.tar.zst" ""
timed mem.ingest.small 1 "$E" -q --store "$WORK/m" ingest --policy "$POLICY" "$DATA/wine-$N_SMALL.csv"
timed mem.score.small 1 "$E" -q --store "$WORK/m" score --threads "$THREADS" --batch "$BATCH"
[ "$(count_insights "$WORK/m" | cut -d' ' -f1)" = "$N_SMALL" ] || die "score at $N_SMALL wrote too few insights"
record mem.small 0 "$N_SMALL"
record mem.large 0 "$N_INGEST"
rm -rf "$WORK/m"

# --- profiles --------------------------------------------------------------------------------------
PROF="$WORK/profiles"
mkdir -p "$PROF"
# profile NAME flat|dwarf [--inclusive LABEL=REGEX ...] [--role LABEL=REGEX ...] -- CMD...: records
# CMD with perf (every thread) and writes NAME.json with perf_top.py (categories, hottest functions,
# threads and their roles, inclusive shares of LABELs) and NAME.wall (the recorded run's wall time).
profile() {
  local name=$1 mode=$2; shift 2
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  local rec=(-F 1999)
  [ "$mode" = dwarf ] && rec=(-F 499 --call-graph dwarf,32768)
  local t0 t1
  t0=$(date +%s%N)
  perf record -q -e cpu-clock "${rec[@]}" -o "$PROF/$name.data" -- "$@" >/dev/null 2>"$PROF/$name.err" || true
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", (b-a)/1e9}' >"$PROF/$name.wall"
  "$PY" "$BENCH/perf_top.py" "$PROF/$name.data" --top 12 "${opts[@]}" >"$PROF/$name.json" 2>>"$PROF/$name.err" ||
    log "warning: could not summarise the $name profile"
  rm -f "$PROF/$name.data"
}
# Functions (regexes on perf's symbol names; "A >> B": B where called from A), with all they call.
# Small functions are often inlined and then invisible: the threads' entry points and the
# out-of-line Statement / Transaction wrappers are what is matched.
START=('process start: relocating shared libraries=^_dl_start$'
  'process start: static initialisers=^_dl_start_user$')
MODULE=('LibTorch module load (dlopen, its own thread)=^edgectl::open_torch_module$'
  '… symbol relocation=^edgectl::open_torch_module$ >> ^_dl_relocate_object$'
  '… static initialisers (operator registry)=^edgectl::open_torch_module$ >> ^call_init$'
  'model load (torch::jit::load)=load_bytes$'
  'model digest check (SHA-256 of model.pt)=^edgectl::sha256_hex')
SCORE_ROLES=('writer (main)=^edgectl::score$' 'reader=_State_impl<.*FeatureBatch>'
  'forward=_State_impl<.*ScoredBatch>' 'LibTorch loader=^edgectl::open_torch_module$' 'OpenBLAS worker=libopenblas')
SCORE=("${START[@]}" "${MODULE[@]}"
  'open the store (Store::open)=^edgectl::Store::open'
  'reader thread (ItemReader::fill)=_State_impl<.*FeatureBatch>'
  '… SELECT steps=_State_impl<.*FeatureBatch> >> ^edgectl::Statement::step$'
  '… payload to feature row (FeatureExtractor::extract)=FeatureExtractor::extract'
  'forward thread (ModelScorer::run_model)=ModelScorer::run_model'
  '… forward (TorchScriptModel::forward)=TorchScriptModel::forward'
  '… softmax and rules (interpret)=^edgectl::interpret$'
  '… probabilities to JSON text (Json::dump)=ModelScorer::run_model >> detail::serializer<.*>::dump$'
  '… INSERT insight and progress rows (Statement::run)=^edgectl::score$ >> ^edgectl::Statement::run$'
  '… binding values (Statement::bind)=^edgectl::score$ >> ^edgectl::Statement::bind'
  '… COMMIT every 4,096 (Transaction::commit)=^edgectl::score$ >> ^edgectl::Transaction::commit$'
  '… … WAL checkpoint=^edgectl::Transaction::commit$ >> ^sqlite3WalCheckpoint$'
  '… … fsync=^edgectl::Transaction::commit$ >> ^do_fsync$'
  '… waiting for the next batch (Pipeline::take)=^edgectl::score$ >> Pipeline<.*ScoredBatch>::take$'
  'closing the store: WAL checkpoint (Db::Close)=Db::Close >> ^sqlite3WalCheckpoint$')
# The writer's stacks unwind only up to FileIngester::run (perf loses the frames above it).
INGEST_ROLES=('reader=_State_impl<.*RowBatch>' 'writer (main)=FileIngester::(write|run)$')
INGEST=("${START[@]}"
  'hash the file (sha256_file)=^edgectl::sha256_file'
  'reader thread (RecordReader::fill)=_State_impl<.*RowBatch>'
  '… CSV parsing (CsvReader::next)=CsvReader::next'
  '… … PII redaction scanners (Policy::redact_string)=redact_string|redact_in_place'
  '… … keyed hash (Policy::keyed_hash)=keyed_hash'
  '… … JSON string escaping (append_json_string)=append_json_string'
  '… INSERT item (Statement::run)=FileIngester::(write|run)$ >> ^edgectl::Statement::run$'
  '… binding values (Statement::bind)=FileIngester::(write|run)$ >> ^edgectl::Statement::bind'
  '… COMMIT every 10,000 (Transaction::commit)=FileIngester::(write|run|finish)$ >> ^edgectl::Transaction::commit$'
  '… … WAL checkpoint=^edgectl::Transaction::commit$ >> ^sqlite3WalCheckpoint$'
  '… … fsync=^edgectl::Transaction::commit$ >> ^do_fsync$'
  '… progress line (log::Progress)=Progress::advance'
  '… waiting for the next records (Pipeline::take)=Pipeline<.*RowBatch>::take$'
  'closing the store: WAL checkpoint (Db::Close)=Db::Close >> ^sqlite3WalCheckpoint$')
SQLITE=('reading the rows into memory (load)=::load$'
  'the timed loop (write_insights)=write_insights$'
  '… INSERT steps (sqlite3_step)=write_insights$ >> ^sqlite3_step$'
  '… COMMIT (sqlite3_exec)=write_insights$ >> ^sqlite3_exec$'
  '… … WAL checkpoint=write_insights$ >> ^sqlite3_exec$ >> ^sqlite3WalCheckpoint$'
  '… … fsync=write_insights$ >> ^sqlite3_exec$ >> ^do_fsync$'
  'closing the store: WAL checkpoint=sqlite3WalClose >> ^sqlite3WalCheckpoint$')
if [ "$PROFILE" = 1 ] && perf record -q -e cpu-clock -o "$WORK/probe.data" -- true >/dev/null 2>&1; then
  log "profiling (perf, cpu-clock sampling)"
  for c in sample big; do
    rm -rf "$WORK/e"; cp -a "$WORK/$c-base" "$WORK/e"
    profile "score-$c" dwarf --inclusive "${SCORE[@]}" --role "${SCORE_ROLES[@]}" -- \
      "$E" -q --store "$WORK/e" score --threads "$THREADS" --batch "$BATCH"
  done
  rm -rf "$WORK/q"; cp -a "$WORK/sample-base" "$WORK/q"
  profile sqlite-sample dwarf --inclusive "${SQLITE[@]}" -- \
    "$HS" insights "$WORK/sample-scored/edgectl.db" "$WORK/q/edgectl.db" "$BATCH" "$COMMIT"
  rm -rf "$WORK/p"; cp -a "$WORK/sample-base" "$WORK/p"
  profile python-sample flat -- env OPENBLAS_NUM_THREADS="$THREADS" "$PY" "$BENCH/py_score.py" "$WORK/p" wine-cultivar "$BATCH" "$THREADS" "$COMMIT"
  rm -rf "$WORK/i"; "$E" -q init --site bench --store "$WORK/i"
  profile ingest dwarf --inclusive "${INGEST[@]}" --role "${INGEST_ROLES[@]}" -- \
    "$E" -q --store "$WORK/i" ingest --policy "$POLICY" "$CSV"
  rm -f "$WORK/import.db"
  profile import flat -- sqlite3 "$WORK/import.db" '.mode csv' ".import $CSV records"
  rm -rf "$WORK/o"; cp -a "$WORK/sample-one" "$WORK/o"
  profile startup dwarf --inclusive "${START[@]}" "${MODULE[@]}" 'open the store (Store::open)=^edgectl::Store::open' \
    --role "${SCORE_ROLES[@]}" -- "$E" -q --store "$WORK/o" score --threads "$THREADS" --batch "$BATCH"
  rm -rf "$WORK/e" "$WORK/q" "$WORK/p" "$WORK/i" "$WORK/o" "$WORK/probe.data"
else
  log "no profile (BENCH_PROFILE=0, or perf cannot sample here)"
fi
t_end=$(date +%s)
busy1=$(busy_ticks); own1=$(own_ticks)
record run.build_seconds 0 $((t_built - t_start))
record run.seconds 0 $((t_end - t_built))
# Cores other processes kept busy on average while this script measured (0 = the machine was ours).
record run.others_cores 0 "$(awk -v b=$((busy1 - busy0)) -v o=$((own1 - own0)) -v t=$((t_end - t_built)) -v hz="$(getconf CLK_TCK)" \
  'BEGIN{x=(b-o)/hz/(t>0?t:1); printf "%.2f", x<0?0:x}')"
record run.load_start 0 "$load0"
record run.store_schema 0 "$(sqlite3 "$WORK/sample-base/edgectl.db" 'PRAGMA user_version')"
record run.torch_bind_now 0 "$(readelf -d "$(ldd "$BUILD/edgectl_torch.so" | awk '/libtorch_cpu/{print $3}')" 2>/dev/null | grep -c 'BIND_NOW' || true)"
record run.load_end 0 "$(cut -d' ' -f1 /proc/loadavg)"

# When and on what the figures were measured (the report may be written again later from $WORK).
now_state=$(tree_state docs/benchmarks.md)
printf '{"date": "%s", "commit": "%s"}\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$BUILT_FROM$([ "$now_state" = "$BUILT_FROM" ] || echo "; the tree was at $now_state when the run ended")" \
  >"$WORK/run.json"

# --- report ---------------------------------------------------------------------------------------
log "writing $OUT"
"$PY" "$BENCH/report.py" --results "$RES" --run "$WORK/run.json" --profiles "$PROF" --core "$WORK/core" --out "$OUT" \
  --reps "$REPS" --side-reps "$SIDE_REPS" --batch "$BATCH" --commit "$COMMIT" --ingest-commit "$INGEST_COMMIT"
log "done in $((t_end - t_start)) s"
