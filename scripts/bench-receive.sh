#!/usr/bin/env bash
# Measures `edgectl receive` of a fleet's archives side by side with `zstd -d` + `openssl dgst
# -sha256` of the same files, and DuckDB reading the lake it lands, and prints the tables
# (docs/benchmarks-receive.md says what each figure means). About 5 minutes once the fleet is made.
#
#   receive  BENCH_SITES sites, each with its own store and key, each exporting BENCH_EXPORTS times
#            BENCH_RECEIVE_ROWS scored records (scripts/bench/gen_fleet.sh: every export its own
#            archive and sequence), all received in one run into a fresh hub that has every site
#            registered; against `zstd -d` of the same archives to /dev/null followed by
#            `openssl dgst -sha256` of them. Archives and hub share one filesystem, and the
#            archives are read into the page cache before each contender.
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
# Receives the given archives (or folder of N) into a fresh hub at $WORK/hub, as NAME (rep), and
# checks that all N landed.
receive() { # name rep n path...
  local name=$1 rep=$2 n=$3 landed
  shift 3
  rm -rf "$WORK/hub" && cp -a "$WORK/hub0" "$WORK/hub"
  warm
  sync
  timed "$name" "$rep" "$E" -q --store "$WORK/hub" receive "$@"
  landed=$(sqlite3 "$WORK/hub/hub.db" "SELECT count(*) FROM archives WHERE state = 'landed'")
  [ "$landed" = "$n" ] || die "receive landed $landed archives of $n"
}
# Runs SQL in DuckDB over the hub at $WORK/hub, as NAME (rep); its output is in $WORK/.stdout.
duckdb() { # name rep sql
  timed "$1" "$2" bash -c 'cd "$1" && exec node "$2" "$3" "$4"' _ "$WORK/hub" "$ROOT/scripts/duckdb-query.mjs" \
    "$NPM_CACHE" "$3"
}
QUERY="SELECT site, date, count(*) FROM read_ndjson('lake/anomalies/*/*/*.ndjson.zst', hive_partitioning = true) GROUP BY ALL"

for rep in $(seq "$REPS"); do
  log "repetition $rep/$REPS"
  warm
  sync
  timed unzstd "$rep" bash -c 'zstd -q -d -c --no-asyncio "$@" >/dev/null' _ "${ARCHIVES[@]}"
  timed sha256 "$rep" openssl dgst -sha256 "${ARCHIVES[@]}"
  receive receive "$rep" "$N" "$FLEET/disk"
  landed=$(sqlite3 "$WORK/hub/hub.db" "SELECT sum(json_extract(records, '\$.anomalies')) FROM archives")
  [ "$landed" = "$ANOMALIES" ] || die "the hub landed $landed anomalies; the sites exported $ANOMALIES"
  sync
  duckdb duckdb_start "$rep" "SELECT 1"
  duckdb duckdb "$rep" "$QUERY"
  read -r groups total < <(awk 'NR > 2 { n++; s += $3 } END { print n + 0, s + 0 }' "$WORK/.stdout")
  [ "$total" = "$ANOMALIES" ] || die "DuckDB counted $total anomalies in the lake; the sites exported $ANOMALIES"
  [ "$rep" != 1 ] || {
    lake=$(du -sb "$WORK/hub/lake" | cut -f1)
    archives=$(cat "${ARCHIVES[@]}" | wc -c)
    tar=$(zstd -q -d -c "${ARCHIVES[@]}" | wc -c)
  }
done
few=("${ARCHIVES[@]:0:10}") some=("${ARCHIVES[@]:0:100}")
receive receive_10 0 "${#few[@]}" "${few[@]}"
receive receive_100 0 "${#some[@]}" "${some[@]}"
rm -rf "$WORK/hub"

echo "The fleet: $SITES sites x $EXPORTS exports of $(count "$ROWS") records, $N archives of" \
  "$(numfmt --to=iec "$archives")B holding $(numfmt --to=iec "$tar")B of tar; the lake: $(numfmt --to=iec "$lake")B."
echo "Archives and hub on $(df --output=fstype,source "$WORK" | tail -1 | tr -s ' '), the archives in the page cache for each contender."
echo "DuckDB: $groups sites x days, $total anomalies, the sites exported $ANOMALIES."
K=$(count "$N")
rows=("receive speed ÷ (zstd -d + sha256 of the archives), $K archives	unzstd.wall+sha256.wall	receive.wall	>=0.8	-"
  "peak RSS of receive, $K ÷ ${#few[@]} archives	receive.rss	receive_10.rss	<=1.25	-"
  "peak RSS of receive, ${#some[@]} ÷ ${#few[@]} archives	receive_100.rss	receive_10.rss	<=1.25	-"
  "DuckDB anomalies per site per day, whole lake ÷ receive	duckdb.wall	receive.wall	-	-")
echo
printf '%s\n' "${rows[@]}" | "$PY" "$BENCH/table.py" "$RES" || status=$?
echo "Other processes kept $(others_busy) cores busy on average while this ran ($((SECONDS - t0)) s)."
exit "${status:-0}"
