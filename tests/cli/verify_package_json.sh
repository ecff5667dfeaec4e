#!/usr/bin/env bash
# verify --json on a package lists every check with its result, the failing one included, and installs nothing.
source "$(dirname "$0")/lib.sh"
new_store
signed_sample_package "$WORK/good.tar.zst"
expect_exit 0 "$EDGECTL" verify --json "$WORK/good.tar.zst"
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "[(c['check'], c['ok']) for c in d[0]['detail']['checks']]")" \
    "[('archive', True), ('digests', True), ('signature', True), ('model.json', True), ('torchscript', True), ('golden', True)]" \
    "checks of a good package"
assert_contains "$(json_get "$OUT" "d[0]['detail']['signer']")" "vendor ("

# The same package with model.pt's bytes changed: the digest check fails and the later ones never run.
unpack "$WORK/good.tar.zst" "$WORK/bad"
flip_byte "$WORK/bad/model.pt" 100
repack "$WORK/bad" "$WORK/bad.tar.zst" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
expect_exit 4 "$EDGECTL" verify --json "$WORK/bad.tar.zst"
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "[(c['check'], c['ok']) for c in d[0]['detail']['checks']]")" \
    "[('archive', True), ('digests', False)]" "checks of a tampered package"
assert_contains "$(json_get "$OUT" "d[0]['problems'][0]")" "entry 'model.pt' does not match its SHA-256 in SHA256SUMS"
[ -z "$(ls -A "$STORE/models")" ] || fail "verify installed something"
echo ok
