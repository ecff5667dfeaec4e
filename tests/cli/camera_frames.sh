#!/usr/bin/env bash
# The sample camera as a new user meets it: a share of frames with defects ingests with exit 3, the bad ones quarantined with their reasons; a package whose model.json says BGR where training used RGB is refused at import; the camera model reads every frame as its training pipeline does; no GPS tag, camera serial or EXIF survives in the store or the export.
source "$(dirname "$0")/lib.sh"

# The camera's share, and more of what a phone or a misconfigured camera drops beside it.
share="$WORK/camera-share"  # the camera model scores sources matching *camera*
cp -r "$SAMPLE/camera" "$share"
printf 'GIF89a\x01\x00\x01\x00\x00\x00\x00;' >"$share/snapshot.gif"
: >"$share/empty.jpg"
python3 - "$share/huge.png" <<'PY'
import struct, sys, zlib
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)  # 400 MP declared, a few bytes of data
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
PY

sample_site
signed_camera_package "$WORK/camera.tar.zst"

# A package built with BGR where training used RGB: its files and signature are all in order, its
# golden images are not reproduced, and it is refused before anything is installed.
unpack "$WORK/camera.tar.zst" "$WORK/bgr"
sed -i 's/"colour": "rgb"/"colour": "bgr"/' "$WORK/bgr/model.json"
grep -q '"colour": "bgr"' "$WORK/bgr/model.json" || fail "could not make the BGR model.json"
(cd "$WORK/bgr" && sha256sum model.json model.pt golden.ndjson golden/* >SHA256SUMS)
sign_sums "$WORK/bgr"
(cd "$WORK/bgr" && tar --zstd -cf "$WORK/bgr.tar.zst" model.json model.pt golden.ndjson golden SHA256SUMS SHA256SUMS.minisig)
expect_exit 4 "$EDGECTL" import-model "$WORK/bgr.tar.zst" --activate
assert_contains "$ERR" "golden.ndjson line 1: output"
assert_contains "$ERR" "edgectl's decoding and preprocessing of the golden image, as model.json describes them, do not give the input training gave"
assert_eq "$(sql "SELECT count(*) FROM models WHERE name = 'digit-camera'")" 0 "camera models installed"
expect_exit 4 "$EDGECTL" verify "$WORK/bgr.tar.zst"

# The real package imports; the share ingests with exit 3.
expect_exit 0 "$EDGECTL" import-model "$WORK/camera.tar.zst" --activate
expect_exit 3 "$EDGECTL" ingest --max-pixels 1000000 "$share"
reason() { sql "SELECT reason FROM quarantine WHERE stage = 'ingest' AND source = '$share/$1'"; }
assert_eq "$(reason cam-trunc.jpg)" "truncated: it ends inside its image data" "the truncated JPEG"
assert_contains "$(reason snapshot.gif)" "GIF"
assert_contains "$(reason empty.jpg)" "empty"
assert_contains "$(reason huge.png)" "over the limit of 1000000"
assert_eq "$(sql "SELECT count(*) FROM quarantine WHERE stage = 'ingest' AND source LIKE '$share/%'")" 4 "frames quarantined at ingest"
assert_eq "$(sql 'SELECT count(*) FROM items WHERE image IS NOT NULL')" 64 "frames ingested"
# Told by their bytes: the PNG named .jpg is stored as a PNG.
assert_eq "$(sql "SELECT i.format FROM images i JOIN items it ON it.image = i.digest JOIN ingests g ON g.id = it.ingest_id
                  WHERE g.name = '$share/cam-png-named.jpg'")" png "the PNG named .jpg"

# Scored: every frame, the CMYK, 16-bit and misnamed ones included, with the label the training
# pipeline gives it (camera-truth.csv's reference_label).
expect_exit 3 "$EDGECTL" score
assert_contains "$OUT" "digit-camera@1.0.0: scored 64 items"
while IFS=, read -r file label reference; do
    [ "$file" = file ] && continue
    got=$(sql "SELECT i.label FROM insights i JOIN items it ON it.id = i.item_id JOIN ingests g ON g.id = it.ingest_id
               WHERE i.model = 'digit-camera' AND g.name = '$share/$file'")
    assert_eq "$got" "$reference" "the camera model's label for $file"
done <"$SAMPLE/camera-truth.csv"

# Every frame into the export, for a retraining set.
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights,items,images --all-images
assert_contains "$OUT" "64 frames"
expect_exit 0 "$EDGECTL" verify "$WORK/disk/test-site-000001.tar.zst"
unpack "$WORK/disk/test-site-000001.tar.zst" "$WORK/export"

# The GPS-tagged frame's personal and device data: there in the share (so that the search can find
# it), nowhere under the store or in the export, in any file, in any form edgectl writes.
gps="$share/cam-gps.jpg"
for needle in SN-5541-GPS-TEST EdgeCam "Exif"; do
    grep -qa -- "$needle" "$gps" || fail "the test frame does not hold '$needle'"
    assert_eq "$(grep -rla -- "$needle" "$STORE" "$WORK/export" || true)" "" "files holding '$needle'"
done
# The GPS IFD's latitude, 59/1 19/1 466/10 as the rationals EXIF stores, in either byte order.
python3 - "$gps" "$STORE" "$WORK/export" <<'PY' || fail "a GPS coordinate survived"
import os, struct, sys
lat = [struct.pack(order + "6I", 59, 1, 19, 1, 466, 10) for order in "<>"]
assert any(l in open(sys.argv[1], "rb").read() for l in lat), "the test frame holds no GPS latitude"
for top in sys.argv[2:]:
    for root, _, files in os.walk(top):
        for f in files:
            data = open(os.path.join(root, f), "rb").read()
            for l in lat:
                if l in data:
                    sys.exit(f"GPS latitude found in {os.path.join(root, f)}")
PY
echo ok
