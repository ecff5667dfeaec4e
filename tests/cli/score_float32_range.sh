#!/usr/bin/env bash
# A finite value float32 cannot hold (a CSV cell 1e300) is quarantined for the model version with its
# item, field and reason; every other item is scored, and the next run has nothing left to do.
source "$(dirname "$0")/lib.sh"
new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
feature_csv "$WORK/in.csv" 6
# Row 3's alcohol becomes 1e300: a valid JSON number, a finite double, infinity as float32.
python3 - "$WORK/in.csv" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()
cells = rows[3].split(",")
cells[1] = "1e300"
rows[3] = ",".join(cells)
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
expect_exit 0 "$EDGECTL" ingest "$WORK/in.csv"
expect_exit 3 "$EDGECTL" score
assert_eq "$(sql 'SELECT count(*) FROM insights')" 5 "insights"
assert_eq "$(sql "SELECT count(*) FROM insights WHERE score IS NULL OR score <> score")" 0 "NaN scores"
reason=$(sql "SELECT reason FROM quarantine WHERE stage = 'score'")
assert_contains "$reason" "field 'alcohol' is 1e+300, standardised 1.22" "reason"
assert_contains "$reason" "e+300, outside the range of float32, the model's input type" "reason"
assert_eq "$(sql "SELECT item_id FROM quarantine WHERE stage = 'score'")" 3 "quarantined item"
# The cursor moved past it: nothing waits, and a second run changes nothing.
expect_exit 0 "$EDGECTL" --json status
assert_eq "$(json_get "$OUT" "d['active_models'][0]['not_scored']")" 0 "items waiting"
expect_exit 0 "$EDGECTL" score
assert_eq "$(sql 'SELECT count(*) FROM insights')" 5 "insights after a second run"
echo ok
