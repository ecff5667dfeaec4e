#!/usr/bin/env bash
# Drift, measured at score against the sample model's reference (windows of 100 items): records
# drawn from the training distribution are not flagged, a planted shifted batch is, with the
# features that moved; 'drift', 'status' and 'score' report it, in text and JSON; the closed windows
# are exported once; a model without
# a reference measures nothing; and a package whose reference does not fit its model is refused.
source "$(dirname "$0")/lib.sh"
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
records() { /usr/bin/python3 "$EDGECTL_SOURCE/scripts/wine-records.py" "$@"; }

records --count 300 --seed 7 --start-id 1 -o "$WORK/fresh.csv"
expect_exit 0 "$EDGECTL" ingest "$WORK/fresh.csv"
expect_exit 0 "$EDGECTL" score
assert_contains "$OUT" "3 drift windows closed"
assert_not_contains "$ERR" "drift"
expect_exit 0 "$EDGECTL" drift
assert_eq "$(grep -c ': ok, closed' <<<"$OUT")" 3 "windows of fresh records within thresholds"
assert_eq "$(sql 'SELECT count(*) FROM drift_windows WHERE flagged = 1')" 0 "flagged windows of fresh records"

expect_exit 0 "$EDGECTL" ingest "$SAMPLE/inbox-shifted"
expect_exit 0 "$EDGECTL" score
assert_contains "$ERR" "drift from its training data in 2 of the 2 windows closed"
expect_exit 0 "$EDGECTL" drift --limit 2
assert_eq "$(grep -c ': DRIFT, closed' <<<"$OUT")" 2 "windows of the shifted batch"
assert_contains "$OUT" "  alcohol: PSI "
expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "drift wine-cultivar@1.0.0: 2 of 5 windows flagged, DRIFT in the last window (alcohol: PSI"
expect_exit 0 "$EDGECTL" --json drift
assert_eq "$(json_get "$OUT" "[w['flagged'] for w in d['windows']]")" "[True, True, False, False, False]" "flags, newest first"
assert_eq "$(json_get "$OUT" "sorted(d['windows'][0]['indices']['flags'])[0].split(':')[0]")" alcohol "first flag"
expect_exit 0 "$EDGECTL" --json status
assert_eq "$(json_get "$OUT" "d['active_models'][0]['drift']['flagged']")" 2 "flagged windows in status"

# The closed windows go out once, in the export's data/drift.ndjson (included by default).
mkdir "$WORK/out"
expect_exit 0 "$EDGECTL" export --to "$WORK/out"
lines=$(tar --zstd -xOf "$WORK/out/test-site-000001.tar.zst" test-site-000001/data/drift.ndjson)
assert_eq "$(wc -l <<<"$lines")" 5 "windows exported"
assert_eq "$(python3 -c 'import json,sys; print(sum(json.loads(l)["flagged"] for l in sys.stdin))' <<<"$lines")" 2 "flagged windows exported"
assert_eq "$(sql 'SELECT count(*) FROM drift_windows WHERE export_seq = 1')" 5 "windows marked"
expect_exit 0 "$EDGECTL" verify --key <("$EDGECTL" site-key) "$WORK/out/test-site-000001.tar.zst"
expect_exit 0 "$EDGECTL" purge --older-than 0  # not acknowledged: nothing goes
assert_eq "$(sql 'SELECT count(*) FROM drift_windows')" 5 "windows before the export is acknowledged"

# Missing values count in the window of the feature they lack: 20 records without magnesium.
records --count 20 --seed 8 --start-id 2001 -o "$WORK/gaps.csv"
python3 - "$WORK/gaps.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
col = rows[0].index("magnesium")
for r in rows[1:]:
    r[col] = ""
csv.writer(open(sys.argv[1], "w", newline="")).writerows(rows)
PY
expect_exit 0 "$EDGECTL" ingest "$WORK/gaps.csv"
expect_exit 3 "$EDGECTL" score
assert_eq "$(sql "SELECT json_extract(counts, '\$.missing[4]'), items FROM drift_windows WHERE closed_at IS NULL")" \
    "20|20" "missing magnesium in the open window"

# Acknowledged and purged, the exported windows go; the open one stays.
expect_exit 0 "$EDGECTL" ack 1
expect_exit 0 "$EDGECTL" purge --older-than 0
assert_contains "$OUT" "5 drift windows"
assert_eq "$(sql 'SELECT count(*), sum(closed_at IS NULL) FROM drift_windows')" "1|1" "windows after purge"

# A model without a reference counts nothing.
python3 - "$SAMPLE/model/model.json" "$WORK/plain.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.pop("reference"); d["version"] = "1.0.1"
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$WORK/plain.json" \
    --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$WORK/plain.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/plain.tar.zst" --activate
before=$(sql 'SELECT count(*) FROM drift_windows')
records --count 150 --seed 9 --start-id 3001 -o "$WORK/more.csv"
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 3 "$EDGECTL" score  # 1.0.1 scores every item, the 20 without magnesium too
assert_eq "$(sql "SELECT count(*) FROM drift_windows WHERE model_version = '1.0.1'")" 0 "windows without a reference"
assert_eq "$(sql 'SELECT count(*) FROM drift_windows')" "$before" "windows"

# A reference that does not fit its model is refused when packed.
python3 - "$SAMPLE/model/model.json" "$WORK/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["reference"]["features"].pop("proline")
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
expect_exit 4 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$WORK/bad.json" \
    --golden "$SAMPLE/model/golden.ndjson" -o "$WORK/bad.tar.zst"
assert_contains "$ERR" "reference.features has no entry for input field 'proline'"
echo ok
