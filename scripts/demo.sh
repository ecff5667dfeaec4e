#!/usr/bin/env bash
# The main job, end to end, on the bundled sample site: two models built on the "cloud side" (a
# classifier of lab records and a CNN that reads a camera's frames) are packed with their golden
# checks, verified and imported; the site's inbox and its camera's share are ingested and scored;
# a shifted batch is flagged as drift; a retrained version answers as a shadow beside the active
# one and is promoted only above an agreement; the insights, anomalies, drift windows, shadow
# answers and the anomalies' frames are exported as a verified BagIt archive to a stand-in for a
# Data Box disk.
#
# usage: scripts/demo.sh [DIR]   (default ./demo; store in DIR/store, exports in DIR/exports)
# The .deb installs it as /usr/share/edgectl/demo.sh, which runs the installed edgectl instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(realpath -m "${1:-demo}")
sample="$here/sample-site"
if [ -x "$here/setup.sh" ]; then  # in a checkout: set up and build first
  "$here/setup.sh"
  "$here/build.sh"
  edgectl="$here/../build/edgectl"
else  # installed
  edgectl=$(command -v edgectl) || { echo "demo: edgectl is not installed" >&2; exit 1; }
fi

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

step "2. Cloud side: a signing key, and the trained models packed and signed with their golden checks"
mkdir -p "$dir/cloud"
run keygen -o "$dir/cloud/model-signing"
run pack-model --model "$sample/model/model.pt" --spec "$sample/model/model.json" \
  --golden "$sample/model/golden.ndjson" --sign "$dir/cloud/model-signing.key" -o "$dir/wine-cultivar-1.0.0.tar.zst"
# The camera model's golden images are run through edgectl's own decoding and preprocessing.
run pack-model --model "$sample/camera-model/model.pt" --spec "$sample/camera-model/model.json" \
  --golden "$sample/camera-model/golden.ndjson" --sign "$dir/cloud/model-signing.key" -o "$dir/digit-camera-1.0.0.tar.zst"

step "3. Site: trust the cloud's public key, verify the packages, import them and make them active"
run trust add "$dir/cloud/model-signing.pub" --name cloud-ml-team
run verify "$dir/wine-cultivar-1.0.0.tar.zst" "$dir/digit-camera-1.0.0.tar.zst"
run import-model "$dir/wine-cultivar-1.0.0.tar.zst" --activate
run import-model "$dir/digit-camera-1.0.0.tar.zst" --activate
run models list

step "4. Ingest what landed: the lab inbox (CSV, NDJSON) and the camera's share (JPEG, PNG), with planted defects"
run ingest "$sample/inbox" "$sample/camera"

step "5. Score every new item on this CPU: records by the lab model, frames by the camera model"
run score

step "6. A new supplier's batch (planted: more alcohol, deeper colour) and frames taken at dusk: score flags the drift from the training data"
run ingest "$sample/inbox-shifted" "$sample/camera-shifted"
run score
run drift

step "7. A retrained version arrives: it answers beside 1.0.0 on the next week's records before it may take over"
# scripts/sample-site/model-1.1.0: retrained in the cloud on the sites' labelled records
# (scripts/loop-demo.sh makes it). As a shadow it scores every record 1.0.0 scores, from the same
# input; its answers raise nothing. It is promoted only if it agrees with 1.0.0 often enough.
run pack-model --model "$sample/model-1.1.0/model.pt" --spec "$sample/model-1.1.0/model.json" \
  --golden "$sample/model-1.1.0/golden.ndjson" --sign "$dir/cloud/model-signing.key" -o "$dir/wine-cultivar-1.1.0.tar.zst"
run import-model "$dir/wine-cultivar-1.1.0.tar.zst"
run models shadow wine-cultivar@1.1.0
run ingest "$sample/inbox-round2"
run score
run models compare wine-cultivar
run models activate wine-cultivar@1.1.0 --min-agreement 0.9
run models list
# Active now, 1.1.0 scores every record it has not: all of them, kept in the store.
run score

step "8. Export insights, anomalies, drift windows, the shadow's answers and the anomalies' frames to the removable disk"
run export --to "$dir/exports" --include anomalies,insights,items,quarantine,summary,drift,shadow,images

step "9. Receiving side: the archive is intact and from this site"
"$edgectl" site-key > "$dir/site.pub"
run verify --key "$dir/site.pub" "$dir/exports"/*.tar.zst
if command -v minisign >/dev/null; then  # any minisign checks it too
  echo "\$ minisign -Vm sample-site-000001.tar.zst -p site.pub"
  minisign -Vm "$dir/exports/sample-site-000001.tar.zst" -p "$dir/site.pub"
fi

step "10. Where things stand"
run status
db="$dir/store/edgectl.db"
# The reports below read the store with sqlite3 and python3, which a site's minimal install may lack.
if command -v sqlite3 >/dev/null && command -v python3 >/dev/null; then
  echo
  echo "predictions by label:"
  sqlite3 -readonly -column -header "$db" \
    "SELECT model, label, count(*) AS items, sum(anomaly) AS anomalies, round(avg(score), 3) AS mean_confidence
   FROM insights GROUP BY model, label ORDER BY model, label"
  echo
  echo "camera frames of the share read correctly (against scripts/sample-site/camera-truth.csv):"
  python3 - "$db" "$sample/camera-truth.csv" <<'PY'
import csv, os, sqlite3, sys
truth = {row["file"]: row["label"] for row in csv.DictReader(open(sys.argv[2]))}
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
read = db.execute("SELECT g.name, i.label FROM insights i JOIN items it ON it.id = i.item_id "
                  "JOIN ingests g ON g.id = it.ingest_id WHERE i.model = 'digit-camera'").fetchall()
read = [(os.path.basename(name), label) for name, label in read if os.path.basename(name) in truth]
right = sum(truth[name] == label for name, label in read)
print(f"  {right} of {len(read)} ({100 * right / max(len(read), 1):.1f} %)")
PY
fi
echo
echo "personal data in the GPS-tagged frame: in the share, and anywhere under the store"
echo "  share: $(grep -c -a 'SN-5541-GPS-TEST' "$sample/camera/cam-gps.jpg") match(es) of its camera serial"
echo "  store: $(grep -r -l -a 'SN-5541-GPS-TEST' "$dir/store" | wc -l) file(s) holding it"
if command -v sqlite3 >/dev/null; then
  echo
  echo "quarantined (file, line, reason):"
  sqlite3 -readonly -column "$db" "SELECT source, line, reason FROM quarantine ORDER BY stage, source, line"
fi
echo
echo "export written: $(ls "$dir/exports" | tr "\n" " ")"
echo "unpack it with: tar --zstd -xf $dir/exports/sample-site-000001.tar.zst"
