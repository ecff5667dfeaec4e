#!/usr/bin/env bash
# A data engineer loads an export's NDJSON into DuckDB as it is: row counts match the store,
# anomalies join to the models that made them, and frames' insights to their image files. Uses the npm package @duckdb/node-api (its engine
# ships inside the package), installed once into a cache directory.
source "$(dirname "$0")/lib.sh"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed (scripts/setup.sh installs them)"
camera_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights,items,quarantine,summary,images \
    --all-images
unpack "$WORK/disk/test-site-000001.tar.zst" "$WORK/x"
data="$WORK/x/test-site-000001/data"

cache="${EDGECTL_NPM_CACHE:-${TMPDIR:-/tmp}/edgectl-duckdb-node}"
if [ ! -d "$cache/node_modules/@duckdb/node-api" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null) ||
        fail "cannot install @duckdb/node-api from the npm registry"
fi

cat > "$cache/load-export.mjs" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const data = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const one = async (sql) => Number((await con.runAndReadAll(sql)).getRows()[0][0]);
const t = (f) => `read_json_auto('${data}/${f}', format = 'newline_delimited')`;
const out = {
  insights: await one(`SELECT count(*) FROM ${t('insights.ndjson')}`),
  anomalies: await one(`SELECT count(*) FROM ${t('anomalies.ndjson')}`),
  items: await one(`SELECT count(*) FROM ${t('items.ndjson')}`),
  quarantine: await one(`SELECT count(*) FROM ${t('quarantine.ndjson')}`),
  summary_insights: await one(`SELECT sum(insights) FROM ${t('summary.ndjson')}`),
  anomalies_joined: await one(`SELECT count(*) FROM ${t('anomalies.ndjson')} a
      JOIN ${t('models.ndjson')} m ON a.model = m.model AND a.model_version = m.model_version
      WHERE m.digest IS NOT NULL`),
  anomalous_in_insights: await one(`SELECT count(*) FROM ${t('insights.ndjson')} WHERE anomaly`),
  items_behind_insights: await one(`SELECT count(DISTINCT i.item_id) FROM ${t('insights.ndjson')} i
      JOIN ${t('items.ndjson')} it ON it.item_id = i.item_id`),
  frames_scored: await one(`SELECT count(*) FROM ${t('insights.ndjson')} WHERE image IS NOT NULL`),
  frames_found: await one(`SELECT count(*) FROM ${t('insights.ndjson')} i
      JOIN glob('${data}/images/*') f ON parse_filename(f.file, true) = i.image`),
  frames_as_items: await one(`SELECT count(*) FROM ${t('items.ndjson')} it
      JOIN ${t('insights.ndjson')} i ON i.item_id = it.item_id WHERE it.payload.image = i.image`),
};
console.log(JSON.stringify(out));
JS
expect_exit 0 node "$cache/load-export.mjs" "$data"
json_ok "$OUT"
got() { json_get "$OUT" "d['$1']"; }
assert_eq "$(got insights)" "$(sql 'SELECT count(*) FROM insights')" "insights loaded"
assert_eq "$(got anomalies)" "$(sql 'SELECT count(*) FROM insights WHERE anomaly = 1')" "anomalies loaded"
assert_eq "$(got anomalous_in_insights)" "$(got anomalies)" "anomalies among insights"
assert_eq "$(got anomalies_joined)" "$(got anomalies)" "anomalies joined to their model"
assert_eq "$(got summary_insights)" "$(got insights)" "summary totals"
assert_eq "$(got items)" "$(sql 'SELECT count(DISTINCT item_id) FROM insights')" "items behind the insights"
assert_eq "$(got items_behind_insights)" "$(got items)" "insights joined to their items"
assert_eq "$(got quarantine)" "$(sql 'SELECT count(*) FROM quarantine')" "quarantine rows loaded"
# Camera frames: each frame's insight names its image, which is a file of the bag and its item's.
frames=$(sql 'SELECT count(*) FROM items WHERE image IS NOT NULL')
[ "$frames" -ge 1 ] || fail "no camera frames in the store"
assert_eq "$(got frames_scored)" "$frames" "frame insights with an image digest"
assert_eq "$(got frames_found)" "$frames" "frame insights whose image is a file of the bag"
assert_eq "$(got frames_as_items)" "$frames" "frame insights whose item names the same image"
echo ok
