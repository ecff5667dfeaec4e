#!/usr/bin/env bash
# Benchmarks edgectl's ingest and score against their limits and baselines, side by side in one
# run, and writes docs/benchmarks.md (DESIGN.md §8, issue 5 item 7).
#
#   scripts/bench.sh            # about 5-8 minutes on the 2-core machine, plus a first build
#
# What it measures (medians of BENCH_REPS repetitions, interleaved so that drift on a shared
# machine hits every contender alike):
#   1. score end to end ÷ its limit = the slower of (a) the bare TorchScript forward (C++ harness,
#      same batch and threads, tensors in memory) and (b) SQLite alone committing the same insight
#      rows with edgectl's batching; for the sample model and a compute-bound 256-1024-1024-10 MLP;
#   2. score ÷ a straightforward Python pipeline (Debian's python3-torch + sqlite3);
#   3. ingest records/s ÷ `sqlite3 .import` of the same 1M-row CSV;
#   4. peak RSS of ingest and score at 10k and at 1M items;
# then profiles score, ingest and the SQLite limit with perf (software cpu-clock sampling; falls
# back to no profile when perf cannot sample) and writes the figures, the machine and the
# profiles into docs/benchmarks.md. A previous docs/benchmarks.md's figures are compared with this
# run's, to show whether they reproduce.
#
# Builds only in build-bench/ (Release): edgectl itself, and the harness programs in scripts/bench/
# (bench-forward, bench-sqlite) as a separate small CMake project in build-bench/harness.
# Works in temp dirs under /tmp; generated data is cached in /tmp/edgectl-bench-data.
#
# Knobs (environment): BENCH_REPS (5), BENCH_SAMPLE_ITEMS (300000), BENCH_BIG_ITEMS (40000),
# BENCH_INGEST_ITEMS (1000000), BENCH_SMALL_ITEMS (10000), BENCH_THREADS (1), BENCH_BATCH (256),
# BENCH_PROFILE (1), BENCH_KEEP (0: delete the work dir at the end), BENCH_OUT (docs/benchmarks.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-bench"
BENCH="$ROOT/scripts/bench"
PY=/usr/bin/python3
POLICY="$BENCH/policy.json"   # PII policy for the lab-record data (hash, mask, redact), as a site runs ingest
REPS=${BENCH_REPS:-5}
N_SAMPLE=${BENCH_SAMPLE_ITEMS:-300000}
N_BIG=${BENCH_BIG_ITEMS:-40000}
N_INGEST=${BENCH_INGEST_ITEMS:-1000000}
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
THREADS=${BENCH_THREADS:-1}
BATCH=${BENCH_BATCH:-256}
COMMIT=4096          # edgectl score's transaction size (ScoreOptions::commit_rows)
INGEST_COMMIT=10000  # edgectl ingest's (IngestOptions::batch)
PROFILE=${BENCH_PROFILE:-1}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}

log() { printf 'bench: [%4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------------
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v perf >/dev/null || [ "$PROFILE" = 0 ] || need_pkgs+=(linux-perf)
"$PY" -c 'import torch, numpy' 2>/dev/null || need_pkgs+=(python3-torch python3-numpy)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null ||
    { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null; }
fi

# CPU time the whole machine spent busy, in clock ticks (to tell how much others used meanwhile).
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
# CPU time of this script and everything it waited for, in clock ticks.
own_ticks() { awk '{print $14+$15+$16+$17}' "/proc/$$/stat"; }

# --- build (Release, build-bench only) -----------------------------------------------------------
t_start=$(date +%s)
log "building edgectl (Release) in $BUILD"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGECTL_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" --target edgectl >/dev/null
if [ ! -f "$BUILD/harness/build.ninja" ]; then
  cmake -S "$BENCH" -B "$BUILD/harness" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD/harness" >/dev/null
E="$BUILD/edgectl"
HF="$BUILD/harness/bench-forward"
HS="$BUILD/harness/bench-sqlite"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || die "$BUILD is not a Release build"
t_built=$(date +%s)
busy0=$(busy_ticks); own0=$(own_ticks); load0=$(cut -d' ' -f1 /proc/loadavg)

# --- data (deterministic, cached by generator digest) --------------------------------------------
key=$(cat "$BENCH/gen_data.py" "$BENCH/make_big_model.py" "$ROOT/scripts/sample-site/model/model.json" | sha256sum | cut -c1-16)
DATA=/tmp/edgectl-bench-data/$key
mkdir -p "$DATA"
gen() { # kind n file
  [ -s "$DATA/$3" ] && return
  log "generating $3"
  "$PY" "$BENCH/gen_data.py" "$1" "$2" "$DATA/$3.tmp" && mv "$DATA/$3.tmp" "$DATA/$3"
}
gen wine "$N_INGEST" "wine-$N_INGEST.csv"
gen wine "$N_SAMPLE" "wine-$N_SAMPLE.csv"
gen wine "$N_SMALL" "wine-$N_SMALL.csv"
gen wide "$N_BIG" "wide-$N_BIG.csv"
if [ ! -s "$DATA/big-model/model.pt" ]; then
  log "making the 256-1024-1024-10 model"
  "$PY" "$BENCH/make_big_model.py" "$DATA/big-model.tmp" >/dev/null && rm -rf "$DATA/big-model" &&
    mv "$DATA/big-model.tmp" "$DATA/big-model"
fi

WORK=$(mktemp -d /tmp/edgectl-bench.XXXXXX)
if [ "${BENCH_KEEP:-0}" = 1 ]; then log "work dir $WORK (kept)"; else trap 'rm -rf "$WORK"' EXIT; fi
RES="$WORK/results.tsv"     # metric <tab> rep <tab> value
: >"$RES"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES"; }

SITE="$ROOT/scripts/sample-site/model"
"$E" -q pack-model --model "$SITE/model.pt" --spec "$SITE/model.json" --golden "$SITE/golden.ndjson" -o "$WORK/wine.tar.zst"
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

# Runs a command under /usr/bin/time; records NAME.wall (ns clock), NAME.rss (KB), NAME.cpu.
timed() { # name rep cmd...
  local name=$1 rep=$2; shift 2
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M %U %S' -o "$WORK/time.out" "$@" >"$WORK/cmd.out" 2>"$WORK/cmd.err" ||
    { cat "$WORK/cmd.err" >&2; die "$name failed: $*"; }
  t1=$(date +%s%N)
  read -r rss user sys <"$WORK/time.out"
  record "$name.wall" "$rep" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", (b-a)/1e9}')"
  record "$name.rss" "$rep" "$rss"
  record "$name.cpu" "$rep" "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')"
}
# Records the key=value pairs a harness printed on stdout as NAME.key.
harvest() { # name rep
  tr ' ' '\n' <"$WORK/cmd.out" | grep '=' | while IFS== read -r k v; do record "$1.$k" "$2" "$v"; done
}
count_insights() { sqlite3 "$1/edgectl.db" 'SELECT count(*) || " " || sum(anomaly) FROM insights'; }

# --- 1 and 2: score -------------------------------------------------------------------------------
score_case() { # case package csv n model-name threads with-python reps ingest-policy [VAR=VALUE...]
  local c=$1 pkg=$2 csv=$3 n=$4 name=$5 threads=$6 with_py=$7 reps=$8 policy=$9
  shift 9
  local env=(env "$@")   # environment for edgectl and the forward harness (e.g. OPENBLAS_NUM_THREADS)
  log "score [$c]: preparing a store of $n items"
  make_store "$WORK/$c-base" "$pkg" "$csv" ${policy:+--policy "$policy"}
  local pt
  pt=$(ls "$WORK/$c-base/models/$name"/*/model.pt)
  local width
  width=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["input"]["fields"]))' "$(dirname "$pt")/model.json")
  for rep in $(seq 1 "$reps"); do
    log "score [$c] repetition $rep/$reps"
    rm -rf "$WORK/e" "$WORK/q" "$WORK/p"
    cp -a "$WORK/$c-base" "$WORK/e"
    timed "$c.edgectl" "$rep" "${env[@]}" "$E" -q --store "$WORK/e" score --threads "$threads" --batch "$BATCH"
    [ "$(count_insights "$WORK/e" | cut -d' ' -f1)" = "$n" ] || die "edgectl score wrote $(count_insights "$WORK/e")"
    # Fixed cost: the same command with nothing left to score (process start, LibTorch, model load).
    timed "$c.startup" "$rep" "${env[@]}" "$E" -q --store "$WORK/e" score --threads "$threads" --batch "$BATCH"
    timed "$c.forward" "$rep" "${env[@]}" "$HF" "$pt" "$width" "$n" "$BATCH" "$threads"
    harvest "$c.forward" "$rep"
    cp -a "$WORK/$c-base" "$WORK/q"
    timed "$c.sqlite" "$rep" "$HS" insights "$WORK/e/edgectl.db" "$WORK/q/edgectl.db" "$BATCH" "$COMMIT"
    harvest "$c.sqlite" "$rep"
    if [ "$with_py" = 1 ]; then
      cp -a "$WORK/$c-base" "$WORK/p"
      timed "$c.python" "$rep" "$PY" "$BENCH/py_score.py" "$WORK/p" "$name" "$BATCH" "$threads" "$COMMIT"
      harvest "$c.python" "$rep"
      [ "$(count_insights "$WORK/p")" = "$(count_insights "$WORK/e")" ] ||
        log "warning: python wrote $(count_insights "$WORK/p") (count, anomalies), edgectl $(count_insights "$WORK/e")"
    fi
  done
  record "$c.items" 0 "$n"
  record "$c.width" 0 "$width"
  record "$c.threads" 0 "$threads"
  record "$c.blas1" 0 "$([ $# -gt 0 ] && echo 1 || echo 0)"
  rm -rf "$WORK/q" "$WORK/p"
  mv "$WORK/e" "$WORK/$c-scored"
}
score_case sample "$WORK/wine.tar.zst" "$DATA/wine-$N_SAMPLE.csv" "$N_SAMPLE" wine-cultivar "$THREADS" 1 "$REPS" "$POLICY"
score_case big "$WORK/big.tar.zst" "$DATA/wide-$N_BIG.csv" "$N_BIG" bench-mlp-256 "$THREADS" 1 "$REPS" ""
# Two side cases of the compute-bound model, 3 repetitions each, no Python: --threads 2, and
# OpenBLAS held to one thread (OPENBLAS_NUM_THREADS=1: what --threads 1 would mean if edgectl
# told OpenBLAS, which otherwise runs a thread per core whatever at::set_num_threads says).
side=$(( REPS < 3 ? REPS : 3 ))
score_case big2 "$WORK/big.tar.zst" "$DATA/wide-$N_BIG.csv" "$N_BIG" bench-mlp-256 2 0 "$side" ""
score_case big1b "$WORK/big.tar.zst" "$DATA/wide-$N_BIG.csv" "$N_BIG" bench-mlp-256 "$THREADS" 0 "$side" "" \
  OPENBLAS_NUM_THREADS=1

# --- 3: ingest vs sqlite3 .import (and SQLite alone writing the same item rows) ------------------------------------------------------------------
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
  # SQLite alone writing the very item rows ingest wrote (same SQL, settings, commit size), and
  # the same with source keys that sort in insertion order (3 repetitions are enough).
  [ "$rep" -le 3 ] || continue
  for keys in plain padded; do
    rm -rf "$WORK/il"; "$E" -q init --site bench --store "$WORK/il"
    timed "ingest.sqlite_$keys" "$rep" "$HS" items "$WORK/i/edgectl.db" "$WORK/il/edgectl.db" "$INGEST_COMMIT" \
      $([ $keys = padded ] && echo padded)
    harvest "ingest.sqlite_$keys" "$rep"
  done
  rm -rf "$WORK/il"
done
record ingest.items 0 "$N_INGEST"
record ingest.bytes 0 "$(stat -c %s "$CSV")"

# --- 4: peak memory at 10k and 1M items ------------------------------------------------------------
log "memory: ingest and score at $N_SMALL and $N_INGEST items"
rm -rf "$WORK/m"
make_store "$WORK/m" "$WORK/wine.tar.zst" ""
timed mem.ingest.small 1 "$E" -q --store "$WORK/m" ingest --policy "$POLICY" "$DATA/wine-$N_SMALL.csv"
timed mem.score.small 1 "$E" -q --store "$WORK/m" score --threads "$THREADS" --batch "$BATCH"
"$E" -q --store "$WORK/i" import-model "$WORK/wine.tar.zst" --activate --allow-unsigned 2>/dev/null
timed mem.score.large 1 "$E" -q --store "$WORK/i" score --threads "$THREADS" --batch "$BATCH"
[ "$(count_insights "$WORK/i" | cut -d' ' -f1)" = "$N_INGEST" ] || die "score at $N_INGEST wrote too few insights"
record mem.small 0 "$N_SMALL"
record mem.large 0 "$N_INGEST"

# --- profiles --------------------------------------------------------------------------------------
PROF="$WORK/profiles"
mkdir -p "$PROF"
# profile NAME flat|dwarf all|main [LABEL=REGEX ...] -- CMD...: records CMD with perf and writes
# NAME.json with perf_top.py (categories, hottest functions, inclusive shares of LABELs).
profile() {
  local name=$1 mode=$2 threads=$3; shift 3
  local specs=()
  while [ "$1" != -- ]; do specs+=("$1"); shift; done
  shift
  local rec=(-F 1999)
  [ "$mode" = dwarf ] && rec=(-F 499 --call-graph dwarf,32768)
  local opts=(--top 12)
  [ "$threads" = main ] && opts+=(--main)
  [ ${#specs[@]} -gt 0 ] && opts+=(--inclusive "${specs[@]}")
  perf record -q -e cpu-clock "${rec[@]}" -o "$PROF/$name.data" -- "$@" >/dev/null 2>"$PROF/$name.err" || true
  "$PY" "$BENCH/perf_top.py" "$PROF/$name.data" "${opts[@]}" >"$PROF/$name.json" 2>>"$PROF/$name.err" ||
    log "warning: could not summarise the $name profile"
  rm -f "$PROF/$name.data"
}
START=('start: relocating shared libraries=^_dl_start$' 'start: static initialisers (LibTorch operator registry)=^_dl_start_user$')
SCORE=("${START[@]}"
  'open the store (Store::open)=^edgectl::Store::open'
  'model load (torch::jit::load)=^edgectl::load_torchscript$'
  'model digest check (SHA-256 of model.pt)=^edgectl::sha256_hex'
  'the batch loop (ModelScorer::score_batch)=ModelScorer::score_batch'
  '… payload JSON to feature row (FeatureExtractor::extract)=FeatureExtractor::extract'
  '… forward (TorchScriptModel::forward)=TorchScriptModel::forward'
  '… softmax and rules (interpret)=^edgectl::interpret$'
  '… probabilities to JSON text (serializer::dump)=detail::serializer<.*>::dump\('
  '… SQLite steps, SELECT and INSERT (Statement::step)=^edgectl::Statement::step$'
  '… … INSERT insight and progress rows (Statement::run)=^edgectl::Statement::run$'
  '… COMMIT (Transaction::commit)=^edgectl::Transaction::commit$'
  '… … WAL checkpoint=^sqlite3WalCheckpoint$'
  '… … fsync=^do_fsync$')
INGEST=("${START[@]}"
  'hash the file (sha256_file)=^edgectl::sha256_file'
  'records loop (FileIngester::read_csv)=FileIngester::read_csv'
  '… CSV parsing (CsvReader::next)=CsvReader::next'
  '… cell to JSON value (csv_cell_value)=^edgectl::csv_cell_value'
  '… store one record (FileIngester::add_item)=FileIngester::add_item'
  '… … PII policy (Policy::apply)=Policy::apply'
  '… … payload JSON text (dump_json)=^edgectl::dump_json'
  '… … INSERT item (Statement::run)=^edgectl::Statement::run$'
  '… … COMMIT every 10,000 (Transaction::commit)=^edgectl::Transaction::commit$'
  '… … … WAL checkpoint=^sqlite3WalCheckpoint$'
  '… … … fsync=^do_fsync$')
SQLITE=('INSERT steps (sqlite3_step)=^sqlite3_step$' 'COMMIT (sqlite3_exec)=^sqlite3_exec$'
  '… WAL checkpoint=^sqlite3WalCheckpoint$' '… fsync=^do_fsync$')
if [ "$PROFILE" = 1 ] && perf record -q -e cpu-clock -o "$WORK/probe.data" -- true >/dev/null 2>&1; then
  log "profiling (perf, cpu-clock sampling)"
  for c in sample big; do
    rm -rf "$WORK/e"; cp -a "$WORK/$c-base" "$WORK/e"
    profile "score-$c" dwarf main "${SCORE[@]}" -- "$E" -q --store "$WORK/e" score --threads "$THREADS" --batch "$BATCH"
  done
  rm -rf "$WORK/q"; cp -a "$WORK/sample-base" "$WORK/q"
  profile sqlite-sample dwarf all "${SQLITE[@]}" -- "$HS" insights "$WORK/sample-scored/edgectl.db" "$WORK/q/edgectl.db" "$BATCH" "$COMMIT"
  rm -rf "$WORK/p"; cp -a "$WORK/sample-base" "$WORK/p"
  profile python-sample flat all -- "$PY" "$BENCH/py_score.py" "$WORK/p" wine-cultivar "$BATCH" "$THREADS" "$COMMIT"
  rm -rf "$WORK/i"; "$E" -q init --site bench --store "$WORK/i"
  profile ingest dwarf main "${INGEST[@]}" -- "$E" -q --store "$WORK/i" ingest --policy "$POLICY" "$CSV"
  rm -f "$WORK/import.db"
  profile import flat all -- sqlite3 "$WORK/import.db" '.mode csv' ".import $CSV records"
  profile startup dwarf all "${START[@]}" -- "$E" -q --store "$WORK/sample-scored" score --threads "$THREADS" --batch "$BATCH"
  rm -rf "$WORK/e" "$WORK/q" "$WORK/p" "$WORK/i" "$WORK/probe.data"
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
record run.load_end 0 "$(cut -d' ' -f1 /proc/loadavg)"

# When and on what the figures were measured (the report may be written again later from $WORK).
printf '{"date": "%s", "commit": "%s"}\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$([ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && echo ' with uncommitted changes')" \
  >"$WORK/run.json"

# --- report ---------------------------------------------------------------------------------------
log "writing $OUT"
"$PY" "$BENCH/report.py" --results "$RES" --run "$WORK/run.json" --profiles "$PROF" --edgectl "$E" --out "$OUT" \
  --reps "$REPS" --batch "$BATCH" --commit "$COMMIT"
log "done in $((t_end - t_start)) s"
