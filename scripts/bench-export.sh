#!/usr/bin/env bash
# Measures `edgectl export` and `edgectl verify` side by side with the compression and hashing they
# do, and prints the tables (docs/benchmarks.md says what each figure means). About 3 minutes.
#
#   export  a backlog of BENCH_EXPORT_ITEMS scored lab records (a fresh copy of one store each
#           time), against `zstd -L --single-thread` + `openssl dgst -sha256` of the tar the
#           archive holds, L being edgectl's level (ExportOptions{}.level, printed by bench-limit);
#           the archive and zstd's output must then be the same size, or the baseline is not
#           doing the same compression and the run fails
#   verify  `edgectl verify --key` of that archive, against `zstd -d` of it + SHA-256 of the tar
#   memory  peak RSS of both at BENCH_SMALL_ITEMS and BENCH_EXPORT_ITEMS items, and at
#           BENCH_HUGE_ITEMS (10000000) when BENCH_HUGE=1
#   floor   the least time export can take on two cores: the tools' work, plus what export must do
#           that they do not, each part alone (`bench-limit rows` and `bench-limit mark` on a copy
#           of the store, and the read-back as zstd -d + sha256), all of it halved
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (5), BENCH_EXPORT_ITEMS (1000000), BENCH_SMALL_ITEMS (10000), BENCH_HUGE (0),
# BENCH_HUGE_ITEMS (10000000), BENCH_KEEP (0).
set -euo pipefail
NAME=bench-export
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
N=${BENCH_EXPORT_ITEMS:-1000000}
N_SMALL=${BENCH_SMALL_ITEMS:-10000}
N_HUGE=${BENCH_HUGE_ITEMS:-10000000}

need=()
[ -x /usr/bin/time ] || need+=(time)
for tool in sqlite3 zstd openssl; do command -v "$tool" >/dev/null || need+=("$tool"); done
"$PY" -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
install_missing "${need[@]}"
build
eval "$("$H" defaults)"
LEVEL=$export_level

# A scored backlog, as a site accumulates between two shipments.
scored_store() { # dir n
  log "making a store of $2 scored items"
  make_store "$1" "$(gen wine "$2")"
  "$E" -q --store "$1" score
  sqlite3 "$1/edgectl.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}
# Exports a fresh copy of the store and verifies the archive, as NAME.export and NAME.verify.
export_verify() { # store name rep
  rm -rf "$WORK/e" "$WORK/out"
  cp -a "$1" "$WORK/e"
  mkdir "$WORK/out"
  sync  # writeback of the copy must not land in the timed run
  timed "$2export" "$3" "$E" -q --store "$WORK/e" export --to "$WORK/out"
  A=$(ls "$WORK/out"/*.tar.zst)
  [ "$(echo "$A" | wc -l)" = 1 ] || die "export wrote more than one volume"
  sync
  timed "$2verify" "$3" "$E" -q --store "$WORK/e" verify --key "$WORK/e/site.pub" "$A"
}

scored_store "$WORK/base" "$N"
TAR="$WORK/bag.tar"
for rep in $(seq "$REPS"); do
  log "repetition $rep/$REPS"
  rm -rf "$WORK/m" && cp -a "$WORK/base" "$WORK/m" && sync
  timed rows "$rep" "$H" rows "$WORK/m"
  timed mark "$rep" "$H" mark "$WORK/m"
  export_verify "$WORK/base" "" "$rep"
  if [ "$rep" = 1 ]; then  # the bytes the archive holds, once, untimed
    zstd -q -d -c "$A" >"$TAR"
    record bytes.archive 0 "$(stat -c %s "$A")"
  fi
  sync
  timed zstd "$rep" zstd -q "-$LEVEL" --single-thread --no-check --no-asyncio -f -o "$WORK/tool.tar.zst" "$TAR"
  timed sha256 "$rep" openssl dgst -sha256 "$TAR"
  timed unzstd "$rep" zstd -q -d --no-asyncio -f -o /dev/null "$A"
  [ "$rep" != 1 ] || record bytes.zstd 0 "$(stat -c %s "$WORK/tool.tar.zst")"
done
echo "The archive of $(count "$N") items: $(numfmt --to=iec "$(stat -c %s "$A")")B holding a $(numfmt --to=iec "$(stat -c %s "$TAR")")B tar."
rm -rf "$WORK/base" "$WORK/m" "$WORK/e" "$WORK/out" "$TAR" "$WORK/tool.tar.zst"

# Peak memory at a small backlog and, when asked, a huge one (the large one: the runs above).
scored_store "$WORK/small" "$N_SMALL"
export_verify "$WORK/small" small. 0
rm -rf "$WORK/small"
if [ "${BENCH_HUGE:-0}" = 1 ]; then
  scored_store "$WORK/huge" "$N_HUGE"
  export_verify "$WORK/huge" huge. 0
  rm -rf "$WORK/huge" "$WORK/e" "$WORK/out"
fi

K=$(count "$N") M=$(count "$N_SMALL")
rows=("export ÷ (zstd -$LEVEL --single-thread + sha256 of the tar), $K	export.wall	zstd.wall+sha256.wall	<=1.0	-"
  "verify ÷ (zstd -d + sha256 of the tar), $K	verify.wall	unzstd.wall+sha256.wall	<=1.0	-"
  "export's floor on 2 cores ÷ (zstd -$LEVEL + sha256): (those + rows + mark + zstd -d + sha256) ÷ 2	zstd.wall+sha256.wall+rows.wall+mark.wall+unzstd.wall+sha256.wall	zstd.wall+sha256.wall+zstd.wall+sha256.wall	-	-"
  "archive bytes ÷ zstd -$LEVEL --single-thread's	bytes.archive	bytes.zstd	-	equal"
  "peak RSS of export, $K ÷ $M	export.rss	small.export.rss	<=1.25	-"
  "peak RSS of verify, $K ÷ $M	verify.rss	small.verify.rss	<=1.25	-")
[ "${BENCH_HUGE:-0}" = 0 ] || rows+=("peak RSS of export, $(count "$N_HUGE") ÷ $M	huge.export.rss	small.export.rss	<=1.25	-"
  "peak RSS of verify, $(count "$N_HUGE") ÷ $M	huge.verify.rss	small.verify.rss	<=1.25	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
