#!/usr/bin/env bash
# Measures `edgectl ingest` of camera frames side by side with `cp` + `sha256sum` of the same files,
# and prints the tables (docs/benchmarks-images.md says what each figure means).
#
#   ingest  BENCH_FRAMES 640x480 JPEG frames with EXIF (scripts/bench/gen_frames.py) into a fresh
#           store: each read, hashed, checked, stripped of its metadata, written durably and
#           committed; against `cp` of the same files into a fresh directory followed by
#           `sha256sum` of the copies
#   memory  peak RSS of ingest at BENCH_SMALL_FRAMES and BENCH_FRAMES frames
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_FRAMES (2000), BENCH_SMALL_FRAMES (200), BENCH_KEEP (0).
set -euo pipefail
NAME=bench-images
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
N=${BENCH_FRAMES:-2000}
N_SMALL=${BENCH_SMALL_FRAMES:-200}

need=()
[ -x /usr/bin/time ] || need+=(time)
[ -e /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0 ] || ldconfig -p | grep -q libturbojpeg.so.0 || need+=(libturbojpeg0)
install_missing "${need[@]}"
build

frames() { # n: prints the directory of n generated frames
  local d="$DATA/frames-$(sha256sum "$BENCH/gen_frames.py" | cut -c1-8)-$1"
  [ -d "$d" ] || { log "generating $1 frames in $d"; nice "$PY" "$BENCH/gen_frames.py" "$1" "$d.tmp" && mv "$d.tmp" "$d"; }
  echo "$d"
}
# Ingests `dir` into a fresh store, as NAME.ingest (rep).
ingest_frames() { # dir name rep
  rm -rf "$WORK/s"
  "$E" -q init --site bench --store "$WORK/s"
  sync
  timed "$2" "$3" "$E" -q --store "$WORK/s" ingest "$1"
}

FRAMES=$(frames "$N")
for rep in $(seq "$REPS"); do
  log "repetition $rep/$REPS"
  ingest_frames "$FRAMES" ingest "$rep"
  [ "$(sqlite3 "$WORK/s/edgectl.db" 'SELECT count(*) FROM items')" = "$N" ] || die "ingest did not take every frame"
  ! grep -rqF --binary-files=text "GPS 47.376887N" "$WORK/s" || die "a GPS position reached the store"
  rm -rf "$WORK/s" "$WORK/cp"
  mkdir "$WORK/cp"
  sync
  timed cp_sha256 "$rep" bash -c 'cp -r "$1"/. "$2"/ && find "$2" -type f -print0 | xargs -0 sha256sum >/dev/null' _ "$FRAMES" "$WORK/cp"
  rm -rf "$WORK/cp"
done
echo "The frames: $(count "$N") of $(numfmt --to=iec "$(du -sb "$FRAMES" | cut -f1)")B."

ingest_frames "$(frames "$N_SMALL")" small.ingest 0
rm -rf "$WORK/s"

K=$(count "$N") M=$(count "$N_SMALL")
rows=("ingest speed ÷ (cp + sha256sum of the same files), $K frames	cp_sha256.wall	ingest.wall	>=0.8	-"
  "peak RSS of ingest, $K ÷ $M frames	ingest.rss	small.ingest.rss	<=1.25	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
