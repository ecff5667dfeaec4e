# Shell pieces scripts/bench.sh and scripts/bench-export.sh share; sourced after each defines
# log, die, ROOT, BENCH and PY (and, before record/timed are called, WORK and RES).

# Installs the Debian packages named, if any: apt-get update only when the install alone fails.
install_missing() { # package...
  [ $# -gt 0 ] || return 0
  log "installing $*"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
    { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

# CPU time the whole machine spent busy, in clock ticks (to tell how much others used meanwhile).
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
# CPU time of this script and everything it waited for, in clock ticks.
own_ticks() { awk '{print $14+$15+$16+$17}' "/proc/$$/stat"; }

# The commit, and whether the tree differs from it; the document the script rewrites does not count.
tree_state() { # doc-path-relative-to-ROOT
  local changed
  changed=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -v " $1\$" || true)
  echo "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)${changed:+ with uncommitted changes}"
}

# Generated data, deterministic, cached under a digest of its generators (both scripts share it).
DATA=/tmp/edgectl-bench-data/$(cat "$BENCH/gen_data.py" "$BENCH/make_big_model.py" "$ROOT/scripts/sample-site/model/model.json" | sha256sum | cut -c1-16)
gen() { # kind n file
  mkdir -p "$DATA"
  [ -s "$DATA/$3" ] && return
  log "generating $3"
  "$PY" "$BENCH/gen_data.py" "$1" "$2" "$DATA/$3.tmp" && mv "$DATA/$3.tmp" "$DATA/$3"
}

# The run's work directory (removed at exit unless BENCH_KEEP=1): the snapshot of core/ the build
# was made from ($SNAP), the results file ($RES) and the sample model packed by the edgectl built ($E).
start_work() { # mktemp-template
  WORK=$(mktemp -d "$1")
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "work dir $WORK (kept)"; else trap 'rm -rf "$WORK"' EXIT; fi
  mv "$SNAP" "$WORK/core"
  RES="$WORK/results.tsv"     # metric <tab> rep <tab> value
  : >"$RES"
  local site="$ROOT/scripts/sample-site/model"
  "$E" -q pack-model --model "$site/model.pt" --spec "$site/model.json" --golden "$site/golden.ndjson" \
    -o "$WORK/wine.tar.zst"
}

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES"; }

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
