#!/usr/bin/env bash
# Drift of an image model, measured on the frame statistics of its input (each channel's mean and
# deviation, brightness) against the camera model's reference, windows of 50 frames: the camera's
# share is within its thresholds; frames taken at dusk are flagged, on brightness; the windows are
# exported like a feature model's. A reference that names statistics the model has not is refused.
source "$(dirname "$0")/lib.sh"
camera_site
expect_exit 3 "$EDGECTL" score
assert_contains "$OUT" "digit-camera@1.0.0: scored 64 items"
assert_contains "$OUT" "digit-camera@1.0.0: scored 64 items, 7 anomalies, 0 quarantined, 1 drift windows closed"
expect_exit 0 "$EDGECTL" drift --model digit-camera
assert_contains "$OUT" "digit-camera@1.0.0 items "
assert_eq "$(grep -c ': ok, closed' <<<"$OUT")" 1 "windows of the camera's share within thresholds"

expect_exit 0 "$EDGECTL" ingest "$SAMPLE/camera-shifted"
expect_exit 0 "$EDGECTL" score --model digit-camera
assert_contains "$ERR" "digit-camera@1.0.0: drift from its training data in 2 of the 2 windows closed"
expect_exit 0 "$EDGECTL" --json drift --model digit-camera
python3 - "$OUT" <<'PY' || fail "drift windows of the dusk frames: $OUT"
import json, sys
w = json.loads(sys.argv[1])["windows"]
assert [x["flagged"] for x in w] == [True, True, False], [x["flagged"] for x in w]
assert all(x["items"] == 50 for x in w), [x["items"] for x in w]
newest = w[0]["indices"]
assert set(newest["psi"]) == {"mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b", "brightness"}, newest["psi"]
assert any(f.startswith("brightness: PSI ") for f in newest["flags"]), newest["flags"]
assert newest["psi"]["brightness"] > 1, newest["psi"]
PY
expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "drift digit-camera@1.0.0: 2 of 3 windows flagged, DRIFT in the last window ("

mkdir "$WORK/out"
expect_exit 0 "$EDGECTL" export --to "$WORK/out"
lines=$(tar --zstd -xOf "$WORK/out/test-site-000001.tar.zst" test-site-000001/data/drift.ndjson |
    grep -c '"model":"digit-camera"')
assert_eq "$lines" 3 "camera windows exported"

# A reference must measure what the model's input has: a statistic of a channel it lacks is refused.
python3 - "$SAMPLE/camera-model/model.json" "$WORK/bad.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["reference"]["features"]["mean_alpha"] = spec["reference"]["features"]["mean_r"]
json.dump(spec, open(sys.argv[2], "w"))
PY
expect_exit 4 "$EDGECTL" pack-model --model "$SAMPLE/camera-model/model.pt" --spec "$WORK/bad.json" \
    --golden "$SAMPLE/camera-model/golden.ndjson" -o "$WORK/bad.tar.zst"
assert_contains "$ERR" "reference.features names a frame statistic the model does not have"
