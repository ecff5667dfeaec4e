#!/usr/bin/env bash
# A signed package whose digests and signature check but whose golden outputs do not reproduce, or whose model.json breaks the schema, is refused (exit 4) naming the file and line.
source "$(dirname "$0")/lib.sh"

new_store
signed_sample_package "$WORK/model.tar.zst"

# variant NAME: a fresh copy of the sample package's files in $WORK/NAME.
variant() { unpack "$WORK/model.tar.zst" "$WORK/$1"; }
# seal NAME: rewrites SHA256SUMS for the (edited) files, checks it, re-signs it with the trusted vendor key
# (minisign), and packs $WORK/NAME.tar.zst.
seal() {
    (cd "$WORK/$1" && sha256sum model.json model.pt golden.ndjson >SHA256SUMS && sha256sum --quiet -c SHA256SUMS) ||
        fail "cannot reseal $1"
    sign_sums "$WORK/$1"
    repack "$WORK/$1" "$WORK/$1.tar.zst" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
}
nothing_installed() {
    assert_eq "$(ls -A "$STORE/models")$(ls -A "$STORE/staging")" "" "files under models/ or staging/ after: $1"
    assert_eq "$(sql 'SELECT count(*) FROM models')" 0 "registry rows after: $1"
}

# Control: resealing and re-signing the untouched files gives a package that verifies.
variant control
seal control
expect_exit 0 "$EDGECTL" verify "$WORK/control.tar.zst"

# Golden line 5, output 1, off by 1.0.
variant golden
python3 - "$WORK/golden/golden.ndjson" <<'PY'
import json, sys
path = sys.argv[1]
lines = open(path).read().splitlines()
vector = json.loads(lines[4])
vector["output"][1] += 1.0
lines[4] = json.dumps(vector)
open(path, "w").write("\n".join(lines) + "\n")
PY
assert_eq "$(diff "$WORK/control/golden.ndjson" "$WORK/golden/golden.ndjson" | grep -c '^[<>]')" 2 "lines changed in golden.ndjson"
seal golden
pkg="$WORK/golden.tar.zst"
expect_exit 4 "$EDGECTL" import-model "$pkg" --activate
assert_contains "$ERR" "edgectl: error: '$pkg': golden.ndjson line 5: output 1 is "
assert_contains "$ERR" " on this machine, expected "
assert_eq "$(grep -c '' <<<"$ERR")" 1 "lines on stderr"
nothing_installed "bad golden vector"
expect_exit 4 "$EDGECTL" verify "$pkg"
assert_contains "$ERR" "golden.ndjson line 5: output 1 is "

# model.json with a version that is not MAJOR.MINOR.PATCH.
variant spec
sed -i 's/"version": "1.0.0"/"version": "v1"/' "$WORK/spec/model.json"
grep -q '"version": "v1"' "$WORK/spec/model.json" || fail "could not edit model.json"
seal spec
pkg="$WORK/spec.tar.zst"
expect_exit 4 "$EDGECTL" import-model "$pkg" --activate
assert_contains "$ERR" "edgectl: error: '$pkg: model.json' does not match the model.json schema"
assert_contains "$ERR" "version"
nothing_installed "model.json breaking the schema"
expect_exit 4 "$EDGECTL" verify "$pkg"
assert_contains "$ERR" "model.json' does not match the model.json schema"

expect_exit 0 "$EDGECTL" models list
assert_eq "$OUT" "no models installed"
