#!/usr/bin/env bash
# Writes what a hub receives from a fleet: SITES sites, each with its own store and key, each
# exporting EXPORTS times ROWS scored lab records, every archive a separate export (its own
# sequence, chained to the one before). Each round inserts one day's rows straight into the
# store's schema (no model run: an item, its insight, every fifth an anomaly, scored that day)
# and exports them with `--include anomalies,insights,items`, so the lake gets one date per round.
#
#   gen_fleet.sh EDGECTL OUT SITES EXPORTS ROWS
#
# OUT/disk holds every site's archives with their .sha256 and .minisig, as one disk gathering a
# fleet's shipments; OUT/keys/SITE.pub each site's key; OUT/anomalies/SITE the anomaly rows SITE
# exported. The stores are removed. Two sites are made at a time.
set -euo pipefail
one=""
if [ "${1:-}" = --site ]; then one=${7:-}; set -- "${@:2:5}"; fi  # one site, as xargs below runs it
[ $# = 5 ] || { echo "usage: gen_fleet.sh EDGECTL OUT SITES EXPORTS ROWS" >&2; exit 2; }
E=$1 OUT=$2 SITES=$3 EXPORTS=$4 ROWS=$5
((EXPORTS <= 28)) || { echo "gen_fleet.sh: at most 28 exports (one a day of a month)" >&2; exit 2; }
mkdir -p "$OUT/disk" "$OUT/keys" "$OUT/anomalies" "$OUT/stores"

# The SQL of round K: a source and an ingest of day K, ROWS items, one insight each.
round_sql() { # k
  local k=$1 d
  d=$(printf '2026-11-%02d' "$1")
  cat <<SQL
INSERT INTO sources (id, digest, name, path, format, complete, ingested_at)
  VALUES ($k, lower(hex(randomblob(32))), 'lab-$d.csv', 'inbox/lab-$d.csv', 'csv', 1, '${d}T05:00:00Z');
INSERT INTO ingests (id, source_id, name, ingested_at) VALUES ($k, $k, 'lab-$d.csv', '${d}T05:00:00Z');
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS)
INSERT INTO items (ingest_id, source_id, ordinal, line, payload)
  SELECT $k, $k, i, i + 1, json_object('sample_id', printf('S%08d', ($k - 1) * $ROWS + i),
    'alcohol', 11 + abs(random() % 400) / 100.0, 'malic_acid', abs(random() % 600) / 100.0,
    'ash', 1.5 + abs(random() % 150) / 100.0, 'alcalinity', 10 + abs(random() % 200) / 10.0,
    'magnesium', 70 + abs(random() % 90), 'phenols', abs(random() % 400) / 100.0,
    'flavanoids', abs(random() % 500) / 100.0, 'color', 1 + abs(random() % 1200) / 100.0,
    'proline', 300 + abs(random() % 1300)) FROM c;
INSERT INTO insights (item_id, model, model_version, label, score, probabilities, anomaly, scored_at)
  SELECT id, 'wine', '1.0.0', 'class_' || (id % 3), s, json_array(s, round((1 - s) / 2, 4), round((1 - s) / 2, 4)),
    id % 5 = 0, printf('%sT%02d:%02d:%02dZ', '$d', 6 + (id / 3600) % 12, (id / 60) % 60, id % 60)
  FROM (SELECT id, 0.34 + abs(random() % 6600) / 10000.0 AS s FROM items WHERE ingest_id = $k);
SQL
}

site() { # id
  local s="$OUT/stores/$1"
  rm -rf "$s"
  "$E" -q init --site "$1" --store "$s"
  "$E" --store "$s" site-key >"$OUT/keys/$1.pub"
  for k in $(seq "$EXPORTS"); do
    round_sql "$k" | sqlite3 "$s/edgectl.db"
    "$E" -q --store "$s" export --to "$OUT/disk" --include anomalies,insights,items
  done
  sqlite3 "$s/edgectl.db" 'SELECT count(*) FROM insights WHERE anomaly = 1 AND export_seq IS NOT NULL' \
    >"$OUT/anomalies/$1"
  rm -rf "$s"
}

if [ -n "$one" ]; then site "$one"; exit; fi
seq -f 'site-%03g' "$SITES" | xargs -P 2 -I{} "$0" --site "$E" "$OUT" "$SITES" "$EXPORTS" "$ROWS" {}
rmdir "$OUT/stores"
