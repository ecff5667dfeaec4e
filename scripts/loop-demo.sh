#!/usr/bin/env bash
# The loop, closed, on two sample sites. The labs at 'north' and 'south' score their records with
# wine-cultivar 1.0.0 and ship insights, anomalies and the scrubbed records on a disk each; the hub
# verifies both disks and lands them in its lake; the cloud retrains on the lake's records,
# labelled by a reviewer (scripts/sample-site/wine-truth.csv), and ships 1.1.0 signed; both sites
# take it through its golden check, run it as a shadow of 1.0.0 on the next week's records, promote
# it only above 80% agreement, and score again; the hub lands the second round and its signed
# receipts go back, so that the sites can purge what it confirmed. DuckDB then reads both versions'
# insights with their lineage, and the shadow's answers, from the lake, whose anomalies must be
# exactly the sites' own.
#
# usage: scripts/loop-demo.sh [DIR]   (default ./loop-demo; everything it makes is in DIR)
# With EDGECTL naming an edgectl binary, setup and build are skipped and that binary runs (the test
# tests/cli/loop_demo.sh does this).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-loop-demo}")
sites=(north south)
# Each site's lab: the sample records of round 1 (with planted defects), and a week later.
declare -A round1=([north]=inbox/lab-north-2026-11-20.csv
                   [south]=inbox/lab-south-2026-11-21.ndjson)
declare -A round2=([north]=inbox-round2/lab-north-2026-11-27.csv
                   [south]=inbox-round2/lab-south-2026-11-28.ndjson)

if [ -n "${EDGECTL:-}" ]; then
  edgectl=$(realpath "$EDGECTL")
else
  "$repo/scripts/setup.sh"
  "$repo/scripts/build.sh"
  edgectl="$repo/build/edgectl"
fi

# A previous run in DIR is replaced; anything else in DIR is never touched.
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  if [ ! -e "$dir/.edgectl-loop-demo" ]; then
    echo "loop-demo: '$dir' is not empty and is not a previous loop demo; choose another DIR" >&2
    exit 1
  fi
  rm -rf "$dir"
fi
# disks/ stands in for the removable disks: one per site and round, and the one that goes back.
mkdir -p "$dir/cloud" "$dir/keys" "$dir"/disks/{north-1,south-1,north-2,south-2,receipts}
touch "$dir/.edgectl-loop-demo"
# Relative paths from here on, so that every command shown can be rerun from DIR.
cd "$dir"
ln -s "$repo/scripts/sample-site" sample-site

# DuckDB, for reading the lake, is the npm package @duckdb/node-api, installed once into a cache
# shared with tests/cli/export_duckdb.sh.
modules="${EDGECTL_NPM_CACHE:-${TMPDIR:-/tmp}/edgectl-duckdb-node}"
if [ ! -d "$modules/node_modules/@duckdb/node-api" ]; then
  mkdir -p "$modules"
  (cd "$modules" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null)
fi
duckdb() { node "$repo/scripts/duckdb-query.mjs" "$modules" "$@"; }

step() { printf '\n== %s\n' "$*"; }
die() { echo "loop-demo: $*" >&2; exit 1; }
# run ARGS...: runs an edgectl command, showing it; exit 3 (done, some inputs quarantined) is
# expected for the sample records' planted defects, any other failure ends the demo.
run() {
  echo "\$ edgectl $*"
  local rc=0
  "$edgectl" "$@" || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || die "edgectl $* failed with exit $rc"
  [ "$rc" -eq 0 ] || echo "(exit 3: done, some records quarantined)"
}
# at SITE SQL: one number from the site's own store; rows SITE: its items and insights.
at() { sqlite3 -readonly "$1/edgectl.db" "$2"; }
rows() { echo "items $(at "$1" 'SELECT count(*) FROM items'), insights $(at "$1" 'SELECT count(*) FROM insights')"; }
# lake KIND: the DuckDB table of the lake's records of that kind, all sites and dates.
lake() { echo "read_ndjson('hub/lake/$1/*/*/*.ndjson.zst', hive_partitioning = true)"; }
export_what=anomalies,insights,items,quarantine,summary,drift,shadow

# The labs' operators are personal data: hashed (still joinable), masked, redacted in free text.
cat > lab-policy.json <<'JSON'
{"schema_version": 1,
 "fields": {"operator_email": {"action": "hash"}, "operator_phone": {"action": "mask", "keep_last": 3}},
 "redact": [{"preset": "email"}, {"preset": "phone"}]}
JSON

step "1. Cloud: the vendor's signing key, and wine-cultivar 1.0.0 packed and signed with its golden checks"
run keygen -o cloud/vendor
run pack-model --model sample-site/model/model.pt --spec sample-site/model/model.json \
  --golden sample-site/model/golden.ndjson --sign cloud/vendor.key -o cloud/wine-cultivar-1.0.0.tar.zst

step "2. Two sites, north and south: each trusts the vendor and installs 1.0.0 through its golden check"
for s in "${sites[@]}"; do
  run --store "$s" init --site "$s"
  run --store "$s" trust add cloud/vendor.pub --name vendor
  run --store "$s" import-model cloud/wine-cultivar-1.0.0.tar.zst --activate
done

step "3. Round 1 at the sites: ingest the lab's records (personal data scrubbed), score with 1.0.0, export to a disk"
for s in "${sites[@]}"; do
  run --store "$s" ingest --policy lab-policy.json "sample-site/${round1[$s]}"
  run --store "$s" score
  run --store "$s" export --to "disks/$s-1" --include "$export_what"
done

step "4. Hub: register the sites' keys, receive both disks, land them once in the lake"
run --store hub init --hub cloud-hub
for s in "${sites[@]}"; do
  echo "\$ edgectl --store $s site-key > keys/$s.pub"
  "$edgectl" --store "$s" site-key > "keys/$s.pub"
  run --store hub sites add "$s" "keys/$s.pub"
done
run --store hub receive disks/north-1 disks/south-1
echo "the lake:"
(cd hub && find lake -type f | sort | sed 's/^/  /')
emails=$(zstd -dcq hub/lake/*/*/*/*.ndjson.zst | grep -c '@example\.org' || true)
echo "operators' e-mail addresses in the lake: $emails"
[ "$emails" -eq 0 ] || die "personal data reached the lake"

step "5. Cloud: retrain on the lake's records, labelled by a reviewer; pack 1.1.0, signed"
# The reviewer's labels are wine-truth.csv: the wine behind each sample id, whose cultivar the
# public data set knows.
echo "\$ /usr/bin/python3 scripts/retrain-sample-model.py hub/lake cloud/wine-cultivar-1.1.0"
/usr/bin/python3 "$repo/scripts/retrain-sample-model.py" hub/lake cloud/wine-cultivar-1.1.0
m=cloud/wine-cultivar-1.1.0
run pack-model --model "$m/model.pt" --spec "$m/model.json" --golden "$m/golden.ndjson" \
  --sign cloud/vendor.key -o cloud/wine-cultivar-1.1.0.tar.zst

step "6. Round 2 at the sites: 1.1.0 through its golden check, proven as a shadow on the next week's records, promoted, export"
# 1.1.0 first answers beside 1.0.0 on the new week's records, its answers kept apart; it becomes
# active only if it agrees with 1.0.0 on at least 80% of them. Then scoring covers every item 1.1.0
# has not scored: the new week's and those still kept from round 1.
for s in "${sites[@]}"; do
  run --store "$s" import-model cloud/wine-cultivar-1.1.0.tar.zst
  run --store "$s" models shadow wine-cultivar@1.1.0
  run --store "$s" ingest --policy lab-policy.json "sample-site/${round2[$s]}"
  run --store "$s" score
  run --store "$s" models compare wine-cultivar
  run --store "$s" models activate wine-cultivar@1.1.0 --min-agreement 0.8
  run --store "$s" score
  run --store "$s" export --to "disks/$s-2" --include "$export_what"
done

step "7. Hub: receive round 2; the sites' signed receipts go onto the disk that goes back"
run --store hub receive disks/north-2 disks/south-2 --receipts disks/receipts

step "8. The lake agrees with the sites: anomalies per site, landed and in each site's own store"
site_rows=$(printf ",('%s')" "${sites[@]}")
counts=$(duckdb "SELECT s.site, coalesce(a.n, 0) AS anomalies, coalesce(i.n, 0) AS flagged_insights
  FROM (VALUES ${site_rows#,}) s(site)
  LEFT JOIN (SELECT site, count(*) AS n FROM $(lake anomalies) GROUP BY site) a USING (site)
  LEFT JOIN (SELECT site, count(*) FILTER (WHERE anomaly) AS n FROM $(lake insights) GROUP BY site) i USING (site)
  ORDER BY site" | tail -n +3)
printf '  %-6s %14s %22s %16s\n' site "lake anomalies" "lake flagged insights" "store anomalies"
while read -r s lake_anomalies lake_flagged; do
  store=$(at "$s" 'SELECT count(*) FROM insights WHERE anomaly = 1')
  printf '  %-6s %14s %22s %16s\n' "$s" "$lake_anomalies" "$lake_flagged" "$store"
  if [ "$lake_anomalies" != "$store" ] || [ "$lake_flagged" != "$store" ]; then
    die "site '$s': the lake holds $lake_anomalies anomalies ($lake_flagged flagged insights), its store $store"
  fi
done <<<"$counts"
echo "every site's anomalies are in the lake, once"

step "9. Sites: trust the hub's receipts, apply them, and purge what the hub confirmed"
echo "\$ edgectl --store hub hub-key > keys/hub.pub"
"$edgectl" --store hub hub-key > keys/hub.pub
for s in "${sites[@]}"; do
  run --store "$s" trust add --hub keys/hub.pub --name cloud
  run --store "$s" ack --receipt "disks/receipts/$s.receipt"
  run --store "$s" exports list
  before=$(rows "$s")
  run --store "$s" purge --older-than 0
  echo "$s's store, before and after the purge: $before -> $(rows "$s")"
  # A record quarantined at scoring has no insight, so its item is never exported, nor purged.
  unexported=$(at "$s" 'SELECT count(*) FROM items WHERE export_seq IS NULL')
  echo "  (items left: the records quarantined at scoring, never exported: $unexported)"
  [ "$(at "$s" 'SELECT count(*) FROM insights')" -eq 0 ] || die "site '$s' kept insights the hub acknowledged"
done

step "10. The lake: insights of both versions with their lineage, and how often each read a wine right"
# 'right' joins each insight to its record (site, item_id) and the record to the reviewer's label
# by sample_id. 1.1.0 learnt from round 1's records, which it scored too.
duckdb "SELECT i.site, i.model, i.model_version, left(i.model_digest, 16) AS model_digest,
    count(*) AS insights, count(*) FILTER (WHERE i.anomaly) AS anomalies,
    round(100 * avg((i.label = t.label)::int), 1) AS right_pct
  FROM $(lake insights) i
  JOIN $(lake items) it ON it.site = i.site AND it.item_id = i.item_id
  JOIN read_csv('sample-site/wine-truth.csv') t ON t.sample_id = it.payload.sample_id
  GROUP BY ALL ORDER BY i.site, i.model_version"
echo
echo "1.1.0's answers as a shadow, in the lake beside 1.0.0's insights for the same records:"
duckdb "SELECT s.site, s.model_version AS shadow, s.active_version AS active, count(*) AS answers,
    round(100 * avg((s.label = i.label)::int), 1) AS agreement_pct,
    count(*) FILTER (WHERE s.anomaly) AS shadow_would_flag, count(*) FILTER (WHERE i.anomaly) AS active_flagged
  FROM $(lake shadow) s
  JOIN $(lake insights) i ON i.site = s.site AND i.item_id = s.item_id AND i.model_version = s.active_version
  GROUP BY ALL ORDER BY s.site"
echo
# The lineage leads back to the cloud's packages: model_digest is the SHA-256 of their SHA256SUMS.
for v in 1.0.0 1.1.0; do
  digest=$(tar --zstd -xOf "cloud/wine-cultivar-$v.tar.zst" SHA256SUMS | sha256sum | cut -c1-16)
  echo "model_digest of cloud/wine-cultivar-$v.tar.zst: $digest"
done
echo
echo "everything is in $dir; query the lake from there with: node $repo/scripts/duckdb-query.mjs $modules SQL"
