#!/usr/bin/env bash
# Camera frames beside records on a site with a feature model: ingest takes both (frames told by
# their bytes, the bad ones quarantined with their reasons, exit 3), score leaves the frames alone
# (a feature model neither scores nor quarantines them), export and purge carry on, and purge's
# released frame files go at the next ingest.
source "$(dirname "$0")/lib.sh"

seeds="$EDGECTL_SOURCE/tests/fuzz/image_corpus/seeds"
sample_site
mkdir "$WORK/frames"
cp "$seeds/progressive-exif-comment.jpg" "$WORK/frames/photo.jpg"
cp "$seeds/rgb-text-exif.png" "$WORK/frames/named-wrong.jpg"
cp "$seeds/gif.jpg" "$WORK/frames/animation.gif"
: >"$WORK/frames/empty.jpg"
expect_exit 3 "$EDGECTL" ingest "$WORK/frames"
assert_contains "$OUT" "$WORK/frames/photo.jpg: ingested (1 items, 0 quarantined)"
assert_contains "$OUT" "$WORK/frames/named-wrong.jpg: ingested (1 items, 0 quarantined)"
assert_contains "$OUT" "ingested 2 items, quarantined 2 records"
assert_eq "$(sql "SELECT format FROM images ORDER BY format")" "jpeg
png" "the stored frames' formats"
assert_eq "$(sql "SELECT reason FROM quarantine WHERE source LIKE '%animation.gif'")" \
    "a GIF image: only JPEG and PNG frames are taken" "the GIF's reason"
assert_eq "$(sql "SELECT json_extract(payload, '\$.orientation') FROM items WHERE json_extract(payload, '\$.format') = 'jpeg'")" 6 \
    "the photo's EXIF orientation, kept in its item"
[ "$(find "$STORE/images" -type f | wc -l)" = 2 ] || fail "expected two image files: $(find "$STORE/images" -type f)"
for f in "$STORE"/images/*/*; do
    [ "$(sha256sum <"$f" | cut -c1-64)" = "$(basename "$f")" ] || fail "$f does not hold the bytes its name says"
done
if grep -rqF --binary-files=text "GPS 47.37N" "$STORE"; then fail "the PNG's GPS text reached the store"; fi

# The feature model scores the records and leaves the frames alone.
expect_exit 3 "$EDGECTL" score
assert_eq "$(sql "SELECT count(*) FROM insights i JOIN items it ON it.id = i.item_id WHERE it.image IS NOT NULL")" 0 \
    "insights of frames"
assert_eq "$(sql "SELECT count(*) FROM quarantine q JOIN items it ON it.id = q.item_id WHERE it.image IS NOT NULL")" 0 \
    "frames quarantined by a feature model"
expect_exit 0 "$EDGECTL" score
assert_contains "$OUT" "scored 0 items"
expect_exit 0 "$EDGECTL" status --json
assert_eq "$(json_get "$OUT" 'd["frames"]')" 2 "frames in status"
assert_eq "$(json_get "$OUT" 'd["active_models"][0]["not_scored"]')" 0 "items the feature model has yet to score"
expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "(2 camera frames; "

# Export and purge carry on; purge releases the frames, the next ingest removes their files.
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
expect_exit 0 "$EDGECTL" purge --older-than 0 --force
assert_contains "$OUT" ", 2 images"
assert_eq "$(sql "SELECT count(*) FROM images")" 0 "images rows after purge"
[ "$(find "$STORE/images" -type f | wc -l)" = 2 ] || fail "purge itself removes no image file"
expect_exit 0 "$EDGECTL" ingest "$WORK/frames/photo.jpg"
assert_contains "$OUT" "photo.jpg: unchanged"
[ "$(find "$STORE/images" -type f | wc -l)" = 0 ] || fail "the next ingest left released frames: $(find "$STORE/images" -type f)"
