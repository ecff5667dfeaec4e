#!/usr/bin/env bash
# The main job, end to end, on the bundled sample site: a model built on the "cloud side" is packed,
# verified and imported; the site's inbox is ingested and scored; the insights and anomalies are
# exported as a verified BagIt archive to a stand-in for a Data Box disk.
#
# usage: scripts/demo.sh [DIR]   (default ./demo; store in DIR/store, exports in DIR/exports)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-demo}")
sample="$repo/scripts/sample-site"

"$repo/scripts/setup.sh"
"$repo/scripts/build.sh"
edgectl="$repo/build/edgectl"

# A previous demo run in DIR is replaced; anything else in DIR is never touched.
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  if [ ! -e "$dir/.edgectl-demo" ]; then
    echo "demo: '$dir' is not empty and is not a previous demo; choose another DIR" >&2
    exit 1
  fi
  rm -rf "$dir"
fi
mkdir -p "$dir/exports"
touch "$dir/.edgectl-demo"
export EDGECTL_STORE="$dir/store"

step() { printf '\n== %s\n' "$*"; }
# run CMD...: runs an edgectl command, showing it; exit 3 (done, some inputs quarantined) is expected
# for the sample site's planted defects.
run() {
  echo "\$ edgectl ${*}"
  local rc=0
  "$edgectl" "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo "demo: edgectl $1 failed with exit $rc" >&2; exit "$rc"; fi
  [ "$rc" -eq 3 ] && echo "(exit 3: done, some records quarantined — see below)"
  return 0
}

step "1. Create the site's store"
run init --site sample-site

step "2. Cloud side: a signing key, and the trained model packed and signed with its golden vectors"
mkdir -p "$dir/cloud"
run keygen -o "$dir/cloud/model-signing"
run pack-model --model "$sample/model/model.pt" --spec "$sample/model/model.json" \
  --golden "$sample/model/golden.ndjson" --sign "$dir/cloud/model-signing.key" -o "$dir/wine-cultivar-1.0.0.tar.zst"

step "3. Site: trust the cloud's public key, verify the package, import it and make it active"
run trust add "$dir/cloud/model-signing.pub" --name cloud-ml-team
run verify "$dir/wine-cultivar-1.0.0.tar.zst"
run import-model "$dir/wine-cultivar-1.0.0.tar.zst" --activate
run models list

step "4. Ingest what landed in the inbox (CSV and NDJSON, with planted defects)"
run ingest "$sample/inbox"

step "5. Score every new item on this CPU"
run score

step "6. Export insights and anomalies to the removable disk"
run export --to "$dir/exports" --include anomalies,insights,items,quarantine,summary

step "7. Receiving side: the archive is intact and from this site"
"$edgectl" site-key > "$dir/site.pub"
run verify --key "$dir/site.pub" "$dir/exports"/*.tar.zst
echo "\$ minisign -Vm sample-site-000001.tar.zst -p site.pub"
minisign -Vm "$dir/exports/sample-site-000001.tar.zst" -p "$dir/site.pub"

step "8. Where things stand"
run status
db="$dir/store/edgectl.db"
echo
echo "predictions by label:"
sqlite3 -readonly -column -header "$db" \
  "SELECT label, count(*) AS items, sum(anomaly) AS anomalies, round(avg(score), 3) AS mean_confidence
   FROM insights GROUP BY label ORDER BY label"
echo
echo "quarantined (file, line, reason):"
sqlite3 -readonly -column "$db" "SELECT source, line, reason FROM quarantine ORDER BY stage, source, line"
echo
echo "export written: $(ls "$dir/exports" | tr "\n" " ")"
echo "unpack it with: tar --zstd -xf $dir/exports/sample-site-000001.tar.zst"
