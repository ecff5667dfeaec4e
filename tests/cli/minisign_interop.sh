#!/usr/bin/env bash
# Signatures interoperate with Debian's minisign both ways, and only trusted, intact ones import.
source "$(dirname "$0")/lib.sh"
command -v minisign >/dev/null || fail "minisign is not installed (scripts/setup.sh installs it)"
new_store
cd "$WORK"

# edgectl signs, the minisign tool verifies.
expect_exit 0 "$EDGECTL" keygen -o ours
expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
    --golden "$SAMPLE/model/golden.ndjson" --sign ours.key -o ours.tar.zst
mkdir unpacked && tar --zstd -xf ours.tar.zst -C unpacked
expect_exit 0 minisign -V -p ours.pub -m unpacked/SHA256SUMS -x unpacked/SHA256SUMS.minisig
assert_contains "$ERR$OUT" "Trusted comment: edgectl model wine-cultivar@1.0.0"
(cd unpacked && sha256sum -c --quiet SHA256SUMS) || fail "sha256sum -c of the package failed"

# The minisign tool signs (a key it made), edgectl verifies.
expect_exit 0 minisign -G -W -p theirs.pub -s theirs.key
mkdir theirs && cp unpacked/model.json unpacked/model.pt unpacked/golden.ndjson unpacked/SHA256SUMS theirs/
expect_exit 0 minisign -S -s theirs.key -m theirs/SHA256SUMS -x theirs/SHA256SUMS.minisig -t "from the cloud"
repack theirs theirs.tar.zst model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig

expect_exit 4 "$EDGECTL" import-model theirs.tar.zst
assert_contains "$ERR" "which is not trusted (see 'edgectl trust add')"
[ -z "$(ls -A "$STORE/models")" ] || fail "a refused package left files under models/"

expect_exit 0 "$EDGECTL" trust add theirs.pub --name cloud-team
expect_exit 0 "$EDGECTL" import-model theirs.tar.zst --activate
expect_exit 0 "$EDGECTL" models list
assert_contains "$OUT" "* wine-cultivar@1.0.0"
assert_contains "$OUT" "signed by cloud-team"

# Legacy (non-prehashed) minisign signatures verify too.
expect_exit 0 minisign -S -l -s theirs.key -m theirs/SHA256SUMS -x theirs/SHA256SUMS.minisig
repack theirs legacy.tar.zst model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
expect_exit 0 "$EDGECTL" verify legacy.tar.zst

# One byte changed after signing (digests regenerated, so only the signature can catch it).
sed -i 's/"description": "/"description": "X/' theirs/model.json
(cd theirs && sha256sum model.json model.pt golden.ndjson > SHA256SUMS)
repack theirs changed.tar.zst model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
expect_exit 4 "$EDGECTL" verify changed.tar.zst
assert_contains "$ERR" "signature verification failed"

# A password-protected key made by minisign signs with the password from $EDGECTL_KEY_PASSWORD.
printf 'sekrit\nsekrit\n' | minisign -G -p enc.pub -s enc.key >/dev/null 2>&1 || fail "minisign -G with a password"
pack_with() { "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
    --golden "$SAMPLE/model/golden.ndjson" --sign enc.key -o "$1"; }
expect_exit 1 pack_with nopass.tar.zst
assert_contains "$ERR" "secret key 'enc.key' is password-protected: set EDGECTL_KEY_PASSWORD"
EDGECTL_KEY_PASSWORD=wrong expect_exit 1 pack_with wrong.tar.zst
assert_contains "$ERR" "does not check out (wrong password, or a damaged key)"
EDGECTL_KEY_PASSWORD=sekrit expect_exit 0 pack_with enc.tar.zst
mkdir enc && tar --zstd -xf enc.tar.zst -C enc
expect_exit 0 minisign -V -p enc.pub -m enc/SHA256SUMS -x enc/SHA256SUMS.minisig

# A key made by minisign without a password (-W, whose checksum minisign leaves zero) signs too.
minisign -G -W -p nopw.pub -s nopw.key >/dev/null 2>&1 || fail "minisign -G -W"
expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
    --golden "$SAMPLE/model/golden.ndjson" --sign nopw.key -o nopw.tar.zst
mkdir nopw && tar --zstd -xf nopw.tar.zst -C nopw
expect_exit 0 minisign -V -p nopw.pub -m nopw/SHA256SUMS -x nopw/SHA256SUMS.minisig

# A key file that asks scrypt for more than minisign ever does (here 2^32-1 rounds: minutes of
# CPU; found by fuzzing) is refused at once, before any derivation.
python3 - enc.key costly.key <<'PY'
import base64, struct, sys
lines = open(sys.argv[1]).read().splitlines()
raw = bytearray(base64.b64decode(lines[1]))
raw[38:46] = struct.pack("<Q", 2**32 - 1)
open(sys.argv[2], "w").write(lines[0] + "\n" + base64.b64encode(bytes(raw)).decode() + "\n")
PY
EDGECTL_KEY_PASSWORD=sekrit expect_exit 1 timeout 20 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" \
    --spec "$SAMPLE/model/model.json" --golden "$SAMPLE/model/golden.ndjson" --sign costly.key -o costly.tar.zst
assert_contains "$ERR" "asks for key derivation costs above minisign's"

# Unsigned: refused unless the operator says otherwise, and then warned about.
sample_package unsigned.tar.zst
expect_exit 4 "$EDGECTL" verify unsigned.tar.zst
assert_contains "$ERR" "is not signed"
echo ok
