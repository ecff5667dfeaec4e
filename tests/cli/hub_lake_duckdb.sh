#!/usr/bin/env bash
# An analyst reads the hub's lake with DuckDB exactly as docs/hub.md says, through the explicit
# schemas scripts/lake-schema.py makes from schemas/: every kind loads, the schemas name every
# field the records carry, partitions come from the folders, and the anomalies per site per day
# and the drift windows and shadow answers are the sites' own. The statements docs/hub.md shows are
# the generator's.
source "$(dirname "$0")/lib.sh"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed (scripts/setup.sh installs them)"
# Site one: the sample site, every kind of row. Site two: rows scored over five days.
camera_site
# A shadow beside the lab model: its answers are a kind of their own.
sample_variant 1.1.0 "$WORK/m-1.1.0.tar.zst" 'spec["anomaly"][0]["threshold"] = 0.95'
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.1.0.tar.zst"
expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.1.0
expect_exit 3 "$EDGECTL" score
# The planted shifted batch: two drift windows closed, flagged.
expect_exit 0 "$EDGECTL" ingest "$SAMPLE/inbox-shifted"
expect_exit 0 "$EDGECTL" score
mkdir "$WORK/d1" "$WORK/d2"
expect_exit 0 "$EDGECTL" export --to "$WORK/d1" --include anomalies,insights,items,quarantine,summary,images,drift,shadow
two="$WORK/two"
scored_store "$two" two 500
sqlite3 "$two/edgectl.db" "UPDATE insights SET scored_at = printf('2026-11-%02dT%02d:00:00Z', 20 + id / 7 % 5, id % 24)"
EDGECTL_STORE="$two" expect_exit 0 "$EDGECTL" export --to "$WORK/d2" --include anomalies,insights,summary
new_hub
hub_add_site "$STORE" test-site
hub_add_site "$two" two
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$WORK/d1" "$WORK/d2"
[ "$(ls "$HUB/lake/anomalies/site=two" | wc -l)" = 5 ] || fail "expected five date partitions"

cache="${EDGECTL_NPM_CACHE:-${TMPDIR:-/tmp}/edgectl-duckdb-node}"
if [ ! -d "$cache/node_modules/@duckdb/node-api" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null) ||
        fail "cannot install @duckdb/node-api from the npm registry"
fi
duckdb() { (cd "$HUB" && node "$EDGECTL_SOURCE/scripts/duckdb-query.mjs" "$cache" "$(python3 "$EDGECTL_SOURCE/scripts/lake-schema.py" duckdb)" "$@"); }
# rows: the rows of the last result a query printed (what follows its header's dashes), squeezed.
rows() { awk '/^-+( +-+)*$/ { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }' | tr -s ' ' | sed 's/ $//'; }
last() { rows | tail -1; }

out=$(duckdb "SELECT site, date, count(*) FROM anomalies GROUP BY ALL ORDER BY ALL")
want=$( { sqlite3 "$STORE/edgectl.db" "SELECT 'test-site', substr(scored_at, 1, 10), count(*) FROM insights WHERE anomaly GROUP BY 2"
          sqlite3 "$two/edgectl.db" "SELECT 'two', substr(scored_at, 1, 10), count(*) FROM insights WHERE anomaly GROUP BY 2"; } |
        sort | tr '|' ' ')
assert_eq "$(rows <<<"$out")" "$want" "anomalies per site per day"

# Every kind loads through its schema, and the schema names every field the records carry.
for kind in insights anomalies items quarantine models summaries drift shadow; do
    declared=$(python3 "$EDGECTL_SOURCE/scripts/lake-schema.py" duckdb "$kind" | grep -o "[a-z_]*: '" | tr -d ":' " | sort)
    seen=$( (cd "$HUB" && node "$EDGECTL_SOURCE/scripts/duckdb-query.mjs" "$cache" \
        "SELECT DISTINCT unnest(json_keys(json)) k FROM read_ndjson_objects('lake/$kind/*/*/*.ndjson.zst')") | rows | sort)
    extra=$(comm -13 <(echo "$declared") <(echo "$seen"))
    [ -z "$extra" ] || fail "$kind: fields no schema declares: $extra"
    n=$(duckdb "SELECT count(*) FROM $kind" | last)
    assert_eq "$n" "$(lake_rows "$kind")" "$kind rows through the schema"
done
assert_eq "$(duckdb "SELECT typeof(date), typeof(probabilities), typeof(payload) FROM anomalies LIMIT 1" | last)" \
    "DATE DOUBLE[] JSON" "column types"
assert_eq "$(duckdb "SELECT count(*) FROM anomalies a JOIN models m USING (site, model, model_version)" | last)" \
    "$(sql 'SELECT count(*) FROM insights WHERE anomaly')" "anomalies joined to their models"
assert_eq "$(duckdb "SELECT site, model, count(*), sum(flagged::INT) FROM drift GROUP BY ALL ORDER BY ALL" | rows)" \
    "$(sql "SELECT 'test-site', model, count(*), sum(flagged) FROM drift_windows WHERE closed_at IS NOT NULL
        GROUP BY model ORDER BY model" | tr '|' ' ')" "drift windows and flags of both models in the lake"
assert_eq "$(duckdb "SELECT count(*), count(*) FILTER (WHERE s.label = i.label) FROM shadow s JOIN insights i
    ON i.site = s.site AND i.item_id = s.item_id AND i.model = s.model AND i.model_version = s.active_version" | last)" \
    "$(sql 'SELECT count(*), count(*) FROM shadow_insights' | tr '|' ' ')" "shadow answers beside their insights in the lake"
frames=$(duckdb "SELECT count(*) FROM anomalies a JOIN glob('lake/images/*/*') f ON parse_filename(f.file, true) = a.image" | last)
[ "$frames" -gt 0 ] || fail "no anomaly joined to its frame"

# docs/hub.md shows the generator's statements for anomalies, for every engine.
for pair in duckdb:/srv/hub/lake spark:s3a://fleet/lake trino:s3://fleet/lake clickhouse:lake; do
    engine=${pair%%:*}
    python3 "$EDGECTL_SOURCE/scripts/lake-schema.py" "$engine" anomalies --lake "${pair#*:}" >"$WORK/$engine.txt"
    python3 - "$EDGECTL_SOURCE/docs/hub.md" "$WORK/$engine.txt" <<'PY' || fail "docs/hub.md does not show lake-schema.py $engine anomalies"
import sys
doc, want = open(sys.argv[1]).read(), open(sys.argv[2]).read().strip()
sys.exit(0 if want in doc else 1)
PY
done
echo ok
