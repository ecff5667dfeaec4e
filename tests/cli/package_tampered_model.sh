#!/usr/bin/env bash
# A signed model package whose model.pt no longer matches SHA256SUMS is refused (exit 4) by import-model and verify; nothing is installed.
source "$(dirname "$0")/lib.sh"

new_store
signed_sample_package "$WORK/model.tar.zst"
unpack "$WORK/model.tar.zst" "$WORK/p"
assert_eq "$(ls "$WORK/p" | sort | tr '\n' ' ')" "SHA256SUMS SHA256SUMS.minisig golden.ndjson model.json model.pt " "files of the sample package"
(cd "$WORK/p" && sha256sum --quiet -c SHA256SUMS) || fail "the sample package's SHA256SUMS does not check"

# Control: the same files repacked with GNU tar are a good package.
repack "$WORK/p" "$WORK/control.tar.zst" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
expect_exit 0 "$EDGECTL" verify "$WORK/control.tar.zst"
assert_eq "$OUT" "$WORK/control.tar.zst: OK (model-package)"

# One byte of model.pt changed, SHA256SUMS and its signature kept.
flip_byte "$WORK/p/model.pt" $(($(stat -c %s "$WORK/p/model.pt") / 2))
bad="$WORK/tampered.tar.zst"
repack "$WORK/p" "$bad" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
want="edgectl: error: '$bad': entry 'model.pt' does not match its SHA-256 in SHA256SUMS"

expect_exit 4 "$EDGECTL" import-model "$bad" --activate
assert_eq "$ERR" "$want"
assert_eq "$OUT" "" "stdout of a refused import"
assert_eq "$(ls -A "$STORE/models")" "" "files under models/ after a refused import"
assert_eq "$(ls -A "$STORE/staging")" "" "files left in staging after a refused import"
assert_eq "$(sql 'SELECT count(*) FROM models')$(sql 'SELECT count(*) FROM active_models')" 00 "registry rows"
expect_exit 0 "$EDGECTL" models list
assert_eq "$OUT" "no models installed"

expect_exit 4 "$EDGECTL" verify "$bad"
assert_eq "$ERR" "$want" "verify's error"
assert_eq "$OUT" "" "stdout of verify on a tampered package"
