#!/usr/bin/env bash
# Measures `edgectl score` of camera frames side by side with its limits and a Python baseline, and
# its peak memory, and prints the tables (docs/benchmarks-images.md says what each figure means).
#
#   score   an image classifier (torchvision's mobilenet_v3_small with random weights, 224x224 RGB,
#           scripts/bench/make_mobilenet.py) on BENCH_FRAMES 640x480 JPEG frames
#           (scripts/bench/gen_frames.py). Its pipeline time is the run's wall time minus that of
#           the same run on a one-frame store (the start-up). Beside it, each stage alone with the
#           same batch and threads (bench-limit, edgectl_core's own code): the forward on batches
#           already built (random values shaped as preprocessed frames), the reading of frames (each
#           read, checked against its digest, decoded, preprocessed), the writing of the insights
#           score wrote; and a plain Python pipeline doing the same
#           (scripts/bench/py_score_images.py: Pillow, torchvision's transforms, python3-torch,
#           sqlite3), whole processes
#   memory  peak RSS of score with that model at BENCH_SMALL_FRAMES and BENCH_FRAMES frames; and,
#           a backlog a hundred times larger being impractical at 224x224, peak RSS of score with
#           the sample camera model (scripts/sample-site/camera-model, 32x32) and of ingest, at
#           BENCH_SMALL_FRAMES and BENCH_BIG_FRAMES small (128x128) frames
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_FRAMES (2000), BENCH_SMALL_FRAMES (1000), BENCH_BIG_FRAMES (100000),
# BENCH_THREADS (score's default), BENCH_PYTHON (1), BENCH_KEEP (0).
set -euo pipefail
NAME=bench-score-images
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
N=${BENCH_FRAMES:-2000}
N_SMALL=${BENCH_SMALL_FRAMES:-1000}
N_BIG=${BENCH_BIG_FRAMES:-100000}
WITH_PYTHON=${BENCH_PYTHON:-1}

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ -e /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0 ] || ldconfig -p | grep -q libturbojpeg.so.0 || need+=(libturbojpeg0)
"$PY" -c 'import torch' 2>/dev/null || need+=(python3-torch)
"$PY" -c 'import torchvision' 2>/dev/null || need+=(python3-torchvision)
"$PY" -c 'import PIL' 2>/dev/null || need+=(python3-pil)
install_missing "${need[@]}"
build
# The product's defaults, from the product (the Python pipeline is given the same).
eval "$("$H" defaults)"
THREADS=${BENCH_THREADS:-$score_threads}

# --- data: frames, cached under their generator's digest as scripts/bench-images.sh caches them ----
GEN=$(sha256sum "$BENCH/gen_frames.py" | cut -c1-8)
frames() { # n [WIDTH HEIGHT]: prints the directory of n generated frames
  local d="$DATA/frames-$GEN-$1${2:+-$2x$3}"
  [ -d "$d" ] || { log "generating $1 frames in $d"; nice "$PY" "$BENCH/gen_frames.py" "$1" "$d.tmp" "${@:2}" && mv "$d.tmp" "$d"; }
  echo "$d"
}
FRAMES=$(frames "$N")
ONE=$WORK/one && mkdir "$ONE" && cp "$FRAMES/frame-000000.jpg" "$ONE/"

# The model; its golden images (and its batch norms' statistics) 8 frames spread over 200: the first
# 8 alone are nearly the same picture, and statistics of those make a network that amplifies the
# least difference.
golden=(frame-000{000,025,050,075,100,125,150,175}.jpg)
MN="$DATA/mobilenet-$( (cat "$BENCH/make_mobilenet.py" "$BENCH/gen_frames.py" && echo "${golden[*]}") | sha256sum | cut -c1-8)"
if [ ! -s "$MN/model.pt" ]; then
  log "making the mobilenet_v3_small model"
  rm -rf "$MN.tmp"
  nice "$PY" "$BENCH/make_mobilenet.py" "$MN.tmp" "${golden[@]/#/$(frames 200)/}" && mv "$MN.tmp" "$MN"
fi
"$E" -q pack-model --model "$MN/model.pt" --spec "$MN/model.json" --golden "$MN/golden.ndjson" -o "$WORK/mobilenet.tar.zst"
MODEL=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$MN/model.json")

insights() { sqlite3 "$1/edgectl.db" 'SELECT count(*) FROM insights'; }
# A store with PACKAGE active and DIR's frames ingested (source name SOURCE, when given), its log
# checkpointed so that copying the directory copies everything.
frame_store() { # store package dir [source]
  "$E" -q init --site bench --store "$1"
  "$E" -q --store "$1" import-model "$2" --activate --allow-unsigned 2>/dev/null
  "$E" -q --store "$1" ingest ${4:+--source "$4"} "$3"
  sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
copy() { rm -rf "$2" && cp -a "$1" "$2" && sync; } # store copy: written out before anything is timed

# --- score, its three stages alone, and the Python pipeline ------------------------------------------
log "score: stores of $N frames and of one"
frame_store "$WORK/c" "$WORK/mobilenet.tar.zst" "$FRAMES"
frame_store "$WORK/c-one" "$WORK/mobilenet.tar.zst" "$ONE"
eval "$("$H" batch "$WORK/c")"  # the frames a batch of score holds: the Python pipeline's batch too
for rep in $(seq "$REPS"); do
  log "score repetition $rep/$REPS"
  copy "$WORK/c" "$WORK/e"
  timed score "$rep" "$E" -q --store "$WORK/e" score --threads "$THREADS"
  [ "$(insights "$WORK/e")" = "$N" ] || die "edgectl score wrote $(insights "$WORK/e") insights of $N"
  copy "$WORK/c-one" "$WORK/o"
  timed startup "$rep" "$E" -q --store "$WORK/o" score --threads "$THREADS"
  timed forward "$rep" "$H" forward "$WORK/c" "$N" "$THREADS"
  timed decode "$rep" "$H" decode "$WORK/c" "$N"
  grep -q "items=$N\$" "$WORK/.stdout" || die "bench-limit decode did not take every frame: $(cat "$WORK/.stdout")"
  copy "$WORK/c" "$WORK/w"
  timed write "$rep" "$H" write "$WORK/e" "$WORK/w"
  rm -rf "$WORK/o" "$WORK/w"
  [ "$WITH_PYTHON" = 1 ] || continue
  copy "$WORK/c" "$WORK/p"
  timed python "$rep" env OPENBLAS_NUM_THREADS="$THREADS" "$PY" "$BENCH/py_score_images.py" "$WORK/p" "$MODEL" \
    "$batch" "$THREADS" "$score_commit"
  [ "$(insights "$WORK/p")" = "$N" ] || die "the Python pipeline wrote $(insights "$WORK/p") insights of $N"
  rm -rf "$WORK/p"
done
echo "The frames: $(count "$N") of $(numfmt --to=iec "$(du -sb "$FRAMES" | cut -f1)")B, $batch a batch, $THREADS thread(s)."
rm -rf "$WORK/c" "$WORK/c-one" "$WORK/e"

# --- peak memory: the same model at a smaller backlog ----------------------------------------------
log "memory: score of $N_SMALL frames"
frame_store "$WORK/m" "$WORK/mobilenet.tar.zst" "$(frames "$N_SMALL")"
timed small.score 0 "$E" -q --store "$WORK/m" score --threads "$THREADS"
rm -rf "$WORK/m"

# --- peak memory: the sample camera model and ingest, at N_SMALL and N_BIG small frames --------------
cam="$ROOT/scripts/sample-site/camera-model"
"$E" -q pack-model --model "$cam/model.pt" --spec "$cam/model.json" --golden "$cam/golden.ndjson" -o "$WORK/camera.tar.zst"
for n in "$N_SMALL" "$N_BIG"; do
  log "memory: ingest and score of $n small frames"
  d=$(frames "$n" 128 128)
  s="$WORK/cam-$n"
  "$E" -q init --site bench --store "$s"
  "$E" -q --store "$s" import-model "$WORK/camera.tar.zst" --activate --allow-unsigned 2>/dev/null
  sync
  timed "cam$n.ingest" 0 "$E" -q --store "$s" ingest --source camera-bench "$d"
  timed "cam$n.score" 0 "$E" -q --store "$s" score --threads "$THREADS"
  [ "$(insights "$s")" = "$n" ] || die "edgectl score wrote $(insights "$s") insights of $n small frames"
  rm -rf "$s"
done

# --- the tables ------------------------------------------------------------------------------------
K=$(count "$N") M=$(count "$N_SMALL") B=$(count "$N_BIG")
pipeline="score.wall-startup.wall"
rows=("score ÷ forward stage alone, $K frames	forward.wall	$pipeline	-	upper"
  "score ÷ decode+preprocess stage alone	decode.wall	$pipeline	-	upper"
  "score ÷ write stage alone	write.wall	$pipeline	-	upper"
  "score ÷ its slowest stage alone	forward.wall,decode.wall,write.wall	$pipeline	>=0.85	-")
[ "$WITH_PYTHON" = 0 ] || rows+=("score ÷ Python pipeline (speed-up), whole processes	python.wall	score.wall	>=2	-")
rows+=("peak RSS of score (mobilenet), $K ÷ $M frames	score.rss	small.score.rss	<=1.25	-"
  "peak RSS of score (camera model), $B ÷ $M small frames	cam$N_BIG.score.rss	cam$N_SMALL.score.rss	<=1.25	-"
  "peak RSS of ingest, $B ÷ $M small frames	cam$N_BIG.ingest.rss	cam$N_SMALL.ingest.rss	<=1.25	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "score's start-up (a one-frame run) is left out of the limit ratios, kept in the Python one."
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
