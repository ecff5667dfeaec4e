#!/usr/bin/env bash
# Measures `edgectl receive` of a fleet's archives side by side with `zstd -d` + `openssl dgst
# -sha256` of the same files, and DuckDB reading the lake it lands, and prints the tables
# (docs/benchmarks-receive.md says what each figure means). About 2 minutes once the fleet is made
# (3 to make it, once).
#
#   receive  BENCH_SITES sites, each with its own store and key, each exporting BENCH_EXPORTS times
#            BENCH_RECEIVE_ROWS scored records (scripts/bench/gen_fleet.sh: every export its own
#            archive and sequence), all received in one run into a fresh hub that has every site
#            registered; against `zstd -d` of the same archives to /dev/null followed by
#            `openssl dgst -sha256` of them; and, as verify's baseline is (bench-export.sh),
#            against `zstd -d` + SHA-256 of the tar they hold. Archives and hub share one
#            filesystem, and the archives are read into the page cache before each contender.
#   floor    the least time receive can take on two cores: the baseline's work plus what receive
#            must do that it does not, each part alone (BLAKE2b of the archives, which the
#            signature covers: `b2sum`; SHA-256 of the tar they hold, which the manifests cover;
#            compressing that tar again for the lake: `zstd -L --single-thread --zstd=wlog=20`,
#            L being the lake's level, ReceiveOptions{}.level, printed by bench-limit), all of it
#            halved
#   query    DuckDB (npm @duckdb/node-api, through scripts/duckdb-query.mjs) counting the
#            anomalies per site per day over the whole lake; their total must be the anomaly rows
#            the sites exported. Beside it, the same process running `SELECT 1` (its start-up).
#   memory   peak RSS of receive of the first 10 and 100 archives (by name) and of all of them
# Every ratio is a median over BENCH_REPS repetitions, the contenders interleaved in each.
#
# Knobs: BENCH_REPS (3), BENCH_SITES (100), BENCH_EXPORTS (20), BENCH_RECEIVE_ROWS (1000),
# BENCH_KEEP (0).
set -euo pipefail
NAME=bench-receive
BENCH_REPS=${BENCH_REPS:-3}
# shellcheck source=bench/common.sh
source "$(dirname "$0")/bench/common.sh"
SITES=${BENCH_SITES:-100}
EXPORTS=${BENCH_EXPORTS:-20}
ROWS=${BENCH_RECEIVE_ROWS:-1000}

need=()
[ -x /usr/bin/time ] || need+=(time)
for tool in sqlite3 zstd openssl; do command -v "$tool" >/dev/null || need+=("$tool"); done
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
install_missing "${need[@]}"
build

# DuckDB's npm package, in the cache the tests install it into.
NPM_CACHE="${EDGECTL_NPM_CACHE:-${TMPDIR:-/tmp}/edgectl-duckdb-node}"
if [ ! -d "$NPM_CACHE/node_modules/@duckdb/node-api" ]; then
  log "installing @duckdb/node-api into $NPM_CACHE"
  mkdir -p "$NPM_CACHE"
  (cd "$NPM_CACHE" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null)
fi

# The fleet's archives, made once per generator and size.
FLEET="$DATA/fleet-$(sha256sum "$BENCH/gen_fleet.sh" | cut -c1-8)-$SITES-$EXPORTS-$ROWS"
if [ ! -d "$FLEET" ]; then
  log "making $SITES sites x $EXPORTS exports of $ROWS records in $FLEET"
  rm -rf "$FLEET.tmp"
  nice "$BENCH/gen_fleet.sh" "$E" "$FLEET.tmp" "$SITES" "$EXPORTS" "$ROWS"
  mv "$FLEET.tmp" "$FLEET"
fi
ARCHIVES=("$FLEET"/disk/*.tar.zst)
N=${#ARCHIVES[@]}
[ "$N" = $((SITES * EXPORTS)) ] || die "$FLEET/disk holds $N archives, not $((SITES * EXPORTS))"
ANOMALIES=$(cat "$FLEET"/anomalies/* | awk '{ s += $1 } END { print s }')

# A hub with every site registered, copied fresh for each receive.
log "making a hub with $SITES sites"
"$E" -q --store "$WORK/hub0" init --hub bench-hub
for key in "$FLEET"/keys/*.pub; do "$E" -q --store "$WORK/hub0" sites add "$(basename "$key" .pub)" "$key"; done

warm() { cat "${ARCHIVES[@]}" >/dev/null; }
# Receives the given archives (or folder of N) into a fresh hub, $HUB, as NAME (rep), and checks
# that all N landed. The hubs are removed at the end only: ext4 without a journal (this machine's)
# avoids reusing inodes freed in the last minute (or five), so a large removal would slow the next
# landing.
receive() { # name rep n path...
  local name=$1 rep=$2 n=$3 landed
  shift 3
  HUB="$WORK/hub-$name-$rep"
  cp -a "$WORK/hub0" "$HUB"
  warm
  sync
  timed "$name" "$rep" "$E" -q --store "$HUB" receive "$@"
  landed=$(sqlite3 "$HUB/hub.db" "SELECT count(*) FROM archives WHERE state = 'landed'")
  [ "$landed" = "$n" ] || die "receive landed $landed archives of $n"
}
# Runs SQL in DuckDB over the lake of $HUB, as NAME (rep); its output is in $WORK/.stdout.
duckdb() { # name rep sql
  timed "$1" "$2" bash -c 'cd "$1" && exec node "$2" "$3" "$4"' _ "$HUB" "$ROOT/scripts/duckdb-query.mjs" \
    "$NPM_CACHE" "$3"
}
QUERY="SELECT site, date, count(*) FROM read_ndjson('lake/anomalies/*/*/*.ndjson.zst', hive_partitioning = true) GROUP BY ALL"

eval "$("$H" defaults)"
LEVEL=$receive_level
TAR="$WORK/fleet.tar"  # the tars the archives hold, end to end, once, untimed
zstd -q -d -c "${ARCHIVES[@]}" >"$TAR"

for rep in $(seq "$REPS"); do
  log "repetition $rep/$REPS"
  warm
  sync
  timed unzstd "$rep" bash -c 'zstd -q -d -c --no-asyncio "$@" >/dev/null' _ "${ARCHIVES[@]}"
  timed sha256 "$rep" openssl dgst -sha256 "${ARCHIVES[@]}"
  timed b2sum "$rep" b2sum "${ARCHIVES[@]}"
  cat "$TAR" >/dev/null
  timed sha256_tar "$rep" openssl dgst -sha256 "$TAR"
  timed zstd "$rep" bash -c 'zstd -q "-$1" --single-thread --zstd=wlog=20 --no-check -c "$2" >/dev/null' _ "$LEVEL" "$TAR"
  receive receive "$rep" "$N" "$FLEET/disk"
  landed=$(sqlite3 "$HUB/hub.db" "SELECT sum(json_extract(records, '\$.anomalies')) FROM archives")
  [ "$landed" = "$ANOMALIES" ] || die "the hub landed $landed anomalies; the sites exported $ANOMALIES"
  sync
  duckdb duckdb_start "$rep" "SELECT 1"
  duckdb duckdb "$rep" "$QUERY"
  read -r groups total < <(awk 'NR > 2 { n++; s += $3 } END { print n + 0, s + 0 }' "$WORK/.stdout")
  [ "$total" = "$ANOMALIES" ] || die "DuckDB counted $total anomalies in the lake; the sites exported $ANOMALIES"
  [ "$rep" != 1 ] || lake=$(du -sb "$HUB/lake" | cut -f1)
done
archives=$(cat "${ARCHIVES[@]}" | wc -c) tar=$(stat -c %s "$TAR")
rm -f "$TAR"
few=("${ARCHIVES[@]:0:10}") some=("${ARCHIVES[@]:0:100}")
receive receive_10 0 "${#few[@]}" "${few[@]}"
receive receive_100 0 "${#some[@]}" "${some[@]}"

echo "The fleet: $SITES sites x $EXPORTS exports of $(count "$ROWS") records, $N archives of" \
  "$(numfmt --to=iec-i --suffix=B "$archives") holding $(numfmt --to=iec-i --suffix=B "$tar") of tar; the lake: $(numfmt --to=iec-i --suffix=B "$lake")."
echo "Archives and hub on $(df --output=fstype,source "$WORK" | tail -1 | tr -s ' '), the archives in the page cache for each contender."
echo "DuckDB: $groups sites x days, $total anomalies, the sites exported $ANOMALIES."
K=$(count "$N")
rows=("receive speed ÷ (zstd -d + sha256 of the archives), $K archives	unzstd.wall+sha256.wall	receive.wall	>=0.8	-"
  "receive's floor on 2 cores, speed ÷ the same: (those + b2sum + sha256 of the tar + zstd -$LEVEL of it) ÷ 2	unzstd.wall+sha256.wall+unzstd.wall+sha256.wall	unzstd.wall+sha256.wall+b2sum.wall+sha256_tar.wall+zstd.wall	-	-"
  "receive speed ÷ (zstd -d + sha256 of the tar they hold), verify's baseline	unzstd.wall+sha256_tar.wall	receive.wall	-	-"
  "peak RSS of receive, $K ÷ ${#few[@]} archives	receive.rss	receive_10.rss	<=1.25	-"
  "peak RSS of receive, ${#some[@]} ÷ ${#few[@]} archives	receive_100.rss	receive_10.rss	<=1.25	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
