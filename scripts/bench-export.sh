#!/usr/bin/env bash
# Benchmarks edgectl export and verify against the compression and hashing they do, side by side in
# one run, and writes docs/benchmarks-export.md (DESIGN.md §8: "export and verify run close to the
# speed of the compression and hashing they do (compare with zstd and openssl dgst -sha256 on the
# same bytes)").
#
#   scripts/bench-export.sh     # about 3 minutes on the 2-core machine, plus a first build
#
# What it measures (medians of BENCH_REPS repetitions, interleaved so that drift on a shared
# machine hits every contender alike):
#   1. `edgectl export` of a store holding a backlog of BENCH_EXPORT_ITEMS scored lab records (each
#      repetition on a fresh copy of one store: an export marks its rows), and `edgectl verify
#      --key` of the archive it wrote;
#   2. the tools on the same bytes: `zstd` at the level and thread count edgectl's archive writer
#      uses, compressing the uncompressed tar the archive holds; `openssl dgst -sha256` of that tar;
#      `zstd -d` of the archive; `openssl dgst -sha256` and `-blake2b512` of the archive (what the
#      .sha256 sidecar and the minisign signature hash). The report adds them up two ways: the
#      minimum (compress + hash, or decompress + hash) and the same steps export and verify take;
#   3. peak RSS of export and verify at BENCH_SMALL_ITEMS and at BENCH_EXPORT_ITEMS items;
# then profiles one export and one verify with perf (software cpu-clock sampling, DWARF call
# graphs; falls back to no profile when perf cannot sample) and writes the figures, the machine and
# the profiles into docs/benchmarks-export.md (rendered by scripts/bench/export_report.py).
#
# Builds only in build-bench-export/ (Release): edgectl and edgectl_torch.so beside it (score needs
# it to make the store). Works in a temp dir under /tmp, deleted at the end; generated data is
# cached in /tmp/edgectl-bench-data under the same key as scripts/bench.sh, so the two share files.
# Holds /tmp/edgectl-bench.lock while it builds and measures, as scripts/bench.sh does: the two never
# run at once.
#
# Knobs (environment): BENCH_REPS (5), BENCH_EXPORT_ITEMS (1000000), BENCH_SMALL_ITEMS (10000),
# BENCH_PROFILE (1), BENCH_KEEP (0: delete the work dir at the end), BENCH_EXPORT_OUT
# (docs/benchmarks-export.md).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$ROOT/build-bench-export"
BENCH="$ROOT/scripts/bench"
PY=/usr/bin/python3
POLICY="$BENCH/policy.json"   # the PII policy bench.sh ingests the lab records with
REPS=${BENCH_REPS:-5}
N_ITEMS=${BENCH_EXPORT_ITEMS:-1000000}
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
PROFILE=${BENCH_PROFILE:-1}
OUT=${BENCH_EXPORT_OUT:-$ROOT/docs/benchmarks-export.md}

log() { printf 'bench-export: [%4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'bench-export: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/bench/common.sh
source "$BENCH/common.sh"

# --- tools ---------------------------------------------------------------------------------------
need_pkgs=()
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v zstd >/dev/null || need_pkgs+=(zstd)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v perf >/dev/null || [ "$PROFILE" = 0 ] || need_pkgs+=(linux-perf)
"$PY" -c 'import numpy' 2>/dev/null || need_pkgs+=(python3-numpy)
install_missing "${need_pkgs[@]}"


# --- what edgectl's archive writer does, read from the sources built ------------------------------
# The level is ExportOptions::level (no command-line option sets another). The archive writer hands
# libarchive only a compression level, so its zstd filter compresses on the calling thread
# (ZSTD_initCStream, no workers): the baseline is zstd --single-thread. Should core/util/archive.cpp ever
# pass a thread count, this script must learn it first.
LEVEL=$(sed -n 's/^ *int level = \([0-9]*\);.*zstd level.*/\1/p' "$ROOT/core/export/export.hpp")
[ -n "$LEVEL" ] || die "cannot find the zstd level in core/export/export.hpp (ExportOptions::level)"
! grep -q '"threads"' "$ROOT/core/util/archive.cpp" || die "core/util/archive.cpp now sets a zstd thread count: update the baseline"
! grep -q 'add_option("--level"' "$ROOT/tools/export.cpp" || die "export now takes --level: update the baseline"

# --- build (Release, build-bench-export only) ----------------------------------------------------
# One benchmark script builds or measures at a time (scripts/bench.sh takes the same lock): a build
# or a second benchmark would share the 2 cores with the measurements.
t_called=$(date +%s)
exec 9>/tmp/edgectl-bench.lock
if ! flock -n 9; then
  log "waiting for /tmp/edgectl-bench.lock (another benchmark is building or measuring)"
  flock 9
fi
t_start=$(date +%s)
BUILT_FROM=$(tree_state docs/benchmarks-export.md)
# Which files differed from the commit, so that the report can say whether export's code was among them.
CHANGED=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | awk '{print $2}' |
  grep -v '^docs/benchmarks-export.md$' | paste -sd' ' || true)
SNAP=$(mktemp -d /tmp/edgectl-bench-export-core.XXXXXX)
trap 'rm -rf "$SNAP"' EXIT
cp -a "$ROOT/core/." "$SNAP/"
log "building edgectl (Release) in $BUILD"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGECTL_TESTS=OFF >/dev/null
fi
nice cmake --build "$BUILD" --target edgectl edgectl_torch >/dev/null
E="$BUILD/edgectl"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" || die "$BUILD is not a Release build"
t_built=$(date +%s)
busy0=$(busy_ticks); own0=$(own_ticks); load0=$(cut -d' ' -f1 /proc/loadavg)

# --- data (deterministic, cached under bench.sh's key) -------------------------------------------
gen wine "$N_ITEMS" "wine-$N_ITEMS.csv"
gen wine "$N_SMALL" "wine-$N_SMALL.csv"

start_work /tmp/edgectl-bench-export.XXXXXX   # WORK, RES, $WORK/wine.tar.zst

# A store with the sample model active and CSV ingested (with bench.sh's PII policy) and scored:
# the backlog a site accumulates between two shipments. Checkpointed, so that copying the
# directory copies everything.
make_store() { # dir csv
  "$E" -q init --site bench --store "$1"
  "$E" -q --store "$1" import-model "$WORK/wine.tar.zst" --activate --allow-unsigned 2>/dev/null
  "$E" -q --store "$1" ingest --policy "$POLICY" "$2"
  "$E" -q --store "$1" score
  sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
log "making a store of $N_ITEMS scored items"
make_store "$WORK/base" "$DATA/wine-$N_ITEMS.csv"
[ "$(sqlite3 "$WORK/base/edgectl.db" 'SELECT count(*) FROM insights')" = "$N_ITEMS" ] || die "score wrote too few insights"
record data.items 0 "$N_ITEMS"
record data.anomalies 0 "$(sqlite3 "$WORK/base/edgectl.db" 'SELECT sum(anomaly) FROM insights')"
record data.store_bytes 0 "$(du -sb "$WORK/base" | cut -f1)"

# A fresh copy of the store, and the disk quiet: writeback of the copy must not land in the timed run.
fresh() { # dir
  rm -rf "$1" "$WORK/out"
  cp -a "$WORK/base" "$1"
  mkdir "$WORK/out"
  sync
}
archive_of() { ls "$WORK/out"/*.tar.zst; }

# --- 1 and 2: export, verify and the tools on the same bytes --------------------------------------
TAR="$WORK/bag.tar"
for rep in $(seq 1 "$REPS"); do
  log "repetition $rep/$REPS"
  fresh "$WORK/e"
  timed export.edgectl "$rep" "$E" -q --store "$WORK/e" export --to "$WORK/out"
  A=$(archive_of)
  [ "$(printf '%s\n' "$A" | wc -l)" = 1 ] || die "export wrote more than one volume"
  if [ "$rep" = 1 ]; then
    # The uncompressed bytes the archive holds (the tar stream), made once, untimed.
    zstd -q -d -c "$A" >"$TAR"
    record data.archive_bytes 0 "$(stat -c %s "$A")"
    record data.tar_bytes 0 "$(stat -c %s "$TAR")"
    tar -tvf "$TAR" >"$WORK/tar-listing.txt"
    record data.payload_bytes 0 "$(awk '$6 ~ /\/data\/./ {s += $3} END {print s}' "$WORK/tar-listing.txt")"
    record data.entries 0 "$(wc -l <"$WORK/tar-listing.txt")"
    record data.rows 0 "$(sqlite3 "$WORK/e/edgectl.db" "SELECT rows FROM exports WHERE state = 'complete'")"
  fi
  [ "$(stat -c %s "$A")" -gt 0 ] || die "empty archive"
  sync
  timed verify.edgectl "$rep" "$E" -q --store "$WORK/e" verify --key "$WORK/e/site.pub" "$A"
  # The tools, one after another on one core, as edgectl works: compress the tar as the archive
  # writer does (level, one thread, no checksum: libarchive writes none), hash it, decompress the
  # archive, and hash the archive as the sidecar digest and the signature's pre-hash do.
  sync
  timed tool.zstd "$rep" zstd -q "-$LEVEL" --single-thread --no-check --no-asyncio -f -o "$WORK/tool.tar.zst" "$TAR"
  timed tool.sha_tar "$rep" openssl dgst -sha256 "$TAR"
  timed tool.unzstd "$rep" zstd -q -d --no-asyncio -f -o /dev/null "$A"
  timed tool.sha_archive "$rep" openssl dgst -sha256 "$A"
  timed tool.blake2b_archive "$rep" openssl dgst -blake2b512 "$A"
  [ "$rep" != 1 ] || record data.tool_zstd_bytes 0 "$(stat -c %s "$WORK/tool.tar.zst")"
  rm -f "$WORK/tool.tar.zst"
done
rm -rf "$WORK/e" "$WORK/out"

# --- 3: peak memory at a small backlog (the large one: the repetitions above) ---------------------
log "memory: export and verify at $N_SMALL items"
make_store "$WORK/small" "$DATA/wine-$N_SMALL.csv"
rm -rf "$WORK/out"; mkdir "$WORK/out"; sync
timed mem.export.small 1 "$E" -q --store "$WORK/small" export --to "$WORK/out"
timed mem.verify.small 1 "$E" -q --store "$WORK/small" verify --key "$WORK/small/site.pub" "$(archive_of)"
record mem.small 0 "$N_SMALL"
record mem.small_tar_bytes 0 "$(zstd -q -d -c "$(archive_of)" | wc -c)"
rm -rf "$WORK/small" "$WORK/out"

# --- profiles --------------------------------------------------------------------------------------
PROF="$WORK/profiles"
mkdir -p "$PROF"
# profile NAME LABEL=REGEX... -- CMD...: records CMD with perf (DWARF call graphs) and writes NAME.json
# (perf_top.py: hottest functions, inclusive shares of the LABELs), NAME.dso (self time per
# library) and NAME.wall (the recorded run's wall time).
profile() {
  local name=$1; shift
  local labels=()
  while [ "$1" != -- ]; do labels+=("$1"); shift; done
  shift
  local t0 t1
  t0=$(date +%s%N)
  perf record -q -e cpu-clock -F 499 --call-graph dwarf,32768 -o "$PROF/$name.data" -- "$@" >/dev/null 2>"$PROF/$name.err" || true
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", (b-a)/1e9}' >"$PROF/$name.wall"
  "$PY" "$BENCH/perf_top.py" "$PROF/$name.data" --top 15 --inclusive "${labels[@]}" >"$PROF/$name.json" 2>>"$PROF/$name.err" ||
    log "warning: could not summarise the $name profile"
  perf report -i "$PROF/$name.data" --no-children --sort dso --stdio -q -g none 2>/dev/null |
    awk '$1 ~ /%$/ {sub(/%/, "", $1); print $1 "\t" $2}' >"$PROF/$name.dso" || true
  rm -f "$PROF/$name.data"
}
# Phases of export and verify (regexes on perf's symbol names; "A >> B": B where called from A).
# ArchiveWriter::add_file_from and sha256_file keep a 64 KiB buffer on the stack, deeper than the
# 32 KiB of stack perf copies, so their callers are lost: they are matched on their own.
EXPORT=('plan and stage the rows (plan_volumes)=::plan_volumes$'
  '… SELECT the rows (Statement::step)=::plan_volumes$ >> ^edgectl::Statement::step$'
  '… rows to NDJSON lines (serialise)=::serialise$'
  '… … JSON parse (stored probabilities, payload, column names)=::serialise$ >> ::parser<.*>::(parse|sax_parse_internal)$'
  '… … JSON dump=::serialise$ >> serializer<.*>::dump$'
  '… … payload as an object (item_payload)=::item_payload$'
  '… … of which freeing (free)=::serialise$ >> ^(cfree|free|_int_free|__libc_free)'
  '… freeing, all of planning (free)=::plan_volumes$ >> ^(cfree|free|_int_free|__libc_free)'
  '… size estimate: zstd (CompressedSizeCounter)=::plan_volumes$ >> ^ZSTD_compressStream2$'
  '… SHA-256 of the payload (HashedFile)=::plan_volumes$ >> ^edgectl::Sha256::update$'
  '… writing the staged payload files=::plan_volumes$ >> ^edgectl::File::write_all$'
  'write the archive (ArchiveWriter::add_file_from)=ArchiveWriter::add_file_from$'
  '… zstd=ArchiveWriter::add_file_from$ >> ^ZSTD_compressStream$'
  '… reading the staged files back=ArchiveWriter::add_file_from$ >> ^edgectl::File::read_some$'
  'fsync of the archive and its directory=::write_archive$ >> (^edgectl::File::sync$|fsync_dir)'
  're-read and verify (verify_bag_archive)=^edgectl::verify_bag_archive$'
  '… zstd -d=^edgectl::verify_bag_archive$ >> ^ZSTD_decompressStream$'
  '… SHA-256 of every entry=^edgectl::verify_bag_archive$ >> ^edgectl::Sha256::update$'
  'SHA-256 of the archive, for its .sha256 (sha256_file)=^edgectl::sha256_file$'
  'BLAKE2b pre-hash of the archive, to sign it (prehash_file)=::prehash_file$'
  '… reading the archive for these two hashes=(^edgectl::sha256_file$|::prehash_file$) >> ^edgectl::File::read_some$'
  'mark the rows exported (UPDATE, mark_exported)=::mark_exported$ >> ^edgectl::Statement::run$'
  '… COMMIT=::mark_exported$ >> ^edgectl::Transaction::commit$'
  'removing the staged files (TempDir)=TempDir::~TempDir$'
  'closing the store (Store::~Store)=Store::~Store$'
  'process start (dynamic linking)=^_dl_start$')
VERIFY=('read the bag (verify_bag_archive)=^edgectl::verify_bag_archive$'
  '… zstd -d=^edgectl::verify_bag_archive$ >> ^ZSTD_decompressStream$'
  '… SHA-256 of every entry=^edgectl::verify_bag_archive$ >> ^edgectl::Sha256::update$'
  '… tar headers and entry checks (ArchiveReader::next)=^edgectl::ArchiveReader::next$'
  'SHA-256 of the archive, against its .sha256 (sha256_file)=^edgectl::sha256_file$'
  'BLAKE2b pre-hash of the archive, for its signature (prehash_file)=::prehash_file$'
  '… reading the archive for these two hashes=(^edgectl::sha256_file$|::prehash_file$) >> ^edgectl::File::read_some$'
  'telling a bag from a package (kind_of)=::kind_of$'
  'process start (dynamic linking)=^_dl_start$')
if [ "$PROFILE" = 1 ] && perf record -q -e cpu-clock -o "$WORK/probe.data" -- true >/dev/null 2>&1; then
  log "profiling (perf, cpu-clock sampling)"
  fresh "$WORK/e"
  profile export "${EXPORT[@]}" -- "$E" -q --store "$WORK/e" export --to "$WORK/out"
  sync
  profile verify "${VERIFY[@]}" -- "$E" -q --store "$WORK/e" verify --key "$WORK/e/site.pub" "$(archive_of)"
  rm -rf "$WORK/e" "$WORK/out" "$WORK/probe.data"
else
  log "no profile (BENCH_PROFILE=0, or perf cannot sample here)"
fi
rm -f "$TAR"
t_end=$(date +%s)
busy1=$(busy_ticks); own1=$(own_ticks)
record run.build_seconds 0 $((t_built - t_start))
record run.lock_wait_seconds 0 $((t_start - t_called))
record run.seconds 0 $((t_end - t_built))
record run.others_cores 0 "$(awk -v b=$((busy1 - busy0)) -v o=$((own1 - own0)) -v t=$((t_end - t_built)) -v hz="$(getconf CLK_TCK)" \
  'BEGIN{x=(b-o)/hz/(t>0?t:1); printf "%.2f", x<0?0:x}')"
record run.load_start 0 "$load0"
record run.load_end 0 "$(cut -d' ' -f1 /proc/loadavg)"
record run.level 0 "$LEVEL"
record run.store_schema 0 "$(sqlite3 "$WORK/base/edgectl.db" 'PRAGMA user_version')"
rm -rf "$WORK/base"

now_state=$(tree_state docs/benchmarks-export.md)
printf '{"date": "%s", "commit": "%s", "changed": "%s"}\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$BUILT_FROM$([ "$now_state" = "$BUILT_FROM" ] || echo "; the tree was at $now_state when the run ended")" \
  "$CHANGED" >"$WORK/run.json"

# --- report ---------------------------------------------------------------------------------------
log "writing $OUT"
"$PY" "$BENCH/export_report.py" --results "$RES" --run "$WORK/run.json" --profiles "$PROF" --core "$WORK/core" \
  --edgectl "$E" --out "$OUT" --reps "$REPS"
log "done in $((t_end - t_start)) s"
