# What scripts/bench.sh and scripts/bench-export.sh share; sourced after each sets NAME (for
# messages). Defines ROOT, BENCH, PY, POLICY, BUILD, E (edgectl), H (bench-limit), DATA, WORK, RES.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/scripts/bench"
PY=/usr/bin/python3
POLICY="$BENCH/policy.json"   # the PII policy a site would ingest the lab records with
BUILD="${BENCH_BUILD:-$ROOT/build-bench}"  # BENCH_BUILD: another build directory, not to share build-bench
REPS=${BENCH_REPS:-5}

log() { printf '%s: [%4ds] %s\n' "$NAME" "$SECONDS" "$*" >&2; }
die() { printf '%s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

# Missing Debian packages, installed (through sudo when not root).
install_missing() { # package...
  [ $# -gt 0 ] || return 0
  log "installing $*"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# One benchmark builds or measures at a time (a second would share the cores with this one's
# measurements), then a Release build of edgectl, edgectl_torch.so and bench-limit side by side.
build() {
  exec 9>/tmp/edgectl-bench.lock
  flock -n 9 || { log "waiting for another benchmark (/tmp/edgectl-bench.lock)"; flock 9; }
  log "building (Release) in $BUILD"
  nice cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGECTL_TESTS=OFF -DEDGECTL_BENCH=ON >/dev/null
  nice cmake --build "$BUILD" --target edgectl edgectl_torch bench-limit >/dev/null
  E="$BUILD/edgectl"
  H="$BUILD/bench-limit"
  WORK=$(mktemp -d /tmp/edgectl-bench.XXXXXX)
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "work dir $WORK (kept)"; else trap 'rm -rf "$WORK"' EXIT; fi
  RES="$WORK/results.tsv"
  : >"$RES"
  busy0=$(busy_ticks) own0=$(own_ticks) t0=$SECONDS
  echo "$NAME: edgectl $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- core tools || echo ' with uncommitted changes'), $(nproc) cores, $REPS repetitions"
}

# CPU time of the whole machine and of this script with its children, in clock ticks: the
# difference is how busy other processes kept the machine while this one measured.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
own_ticks() { awk '{print $14+$15+$16+$17}' "/proc/$$/stat"; }
others_busy() {
  awk -v b=$(($(busy_ticks) - busy0)) -v o=$(($(own_ticks) - own0)) -v t=$((SECONDS - t0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { x = (b - o) / hz / (t > 0 ? t : 1); printf "%.2f", x < 0 ? 0 : x }'
}

# Generated data, deterministic, cached under a digest of its generators.
DATA=/tmp/edgectl-bench-data/$(cat "$BENCH/gen_data.py" "$BENCH/make_big_model.py" "$ROOT/scripts/sample-site/model/model.json" | sha256sum | cut -c1-16)
gen() { # wine|wide N: prints the CSV's path
  local f="$DATA/$1-$2.csv"
  mkdir -p "$DATA"
  [ -s "$f" ] || { log "generating $f"; nice "$PY" "$BENCH/gen_data.py" "$1" "$2" "$f.tmp" && mv "$f.tmp" "$f"; }
  echo "$f"
}

# A count as the tables print it: 10k, 200k, 1M.
count() { if (($1 < 1000 || $1 % 1000 != 0)); then echo "$1"; elif (($1 % 1000000 == 0)); then echo "$(($1 / 1000000))M"; else echo "$(($1 / 1000))k"; fi; }

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES"; }

# Runs a command; records NAME.wall (s) and NAME.rss (KiB) for repetition REP. For bench-limit, the
# wall time is the part it timed itself (its "seconds=S"), not its process's.
timed() { # name rep cmd...
  local name=$1 rep=$2 t
  shift 2
  t=$(date +%s%N)
  /usr/bin/time -f %M -o "$WORK/.rss" "$@" >"$WORK/.stdout" 2>"$WORK/.stderr" || { cat "$WORK/.stderr" >&2; die "$name failed: $*"; }
  t=$(awk -v a="$t" -v b="$(date +%s%N)" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')
  [ "$1" != "$H" ] || t=$(sed -n 's/^seconds=\([0-9.]*\).*/\1/p' "$WORK/.stdout")
  record "$name.wall" "$rep" "$t"
  record "$name.rss" "$rep" "$(cat "$WORK/.rss")"
}

# A store with the sample model (or PACKAGE) active and CSV ingested (lab records with the policy), its log
# checkpointed so that copying the directory copies everything.
make_store() { # dir csv [package]
  local pkg=${3:-$WORK/wine.tar.zst}
  if [ ! -f "$WORK/wine.tar.zst" ]; then
    local m="$ROOT/scripts/sample-site/model"
    "$E" -q pack-model --model "$m/model.pt" --spec "$m/model.json" --golden "$m/golden.ndjson" -o "$WORK/wine.tar.zst"
  fi
  "$E" -q init --site bench --store "$1"
  "$E" -q --store "$1" import-model "$pkg" --activate --allow-unsigned 2>/dev/null
  case $2 in
    *wine*) "$E" -q --store "$1" ingest --policy "$POLICY" "$2" ;;
    ?*) "$E" -q --store "$1" ingest "$2" ;;
  esac
  sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
