#!/usr/bin/env bash
# kill -9 before every durability point of 'ingest --move-to DIR' over an inbox of camera frames
# beside a records file: a photo with EXIF and a comment, a PNG with a GPS position in a text
# chunk (named '.jpg'), a truncated JPEG, a GIF, an empty '.jpg'. Run again, every frame is an item
# or a quarantine row exactly once, each stored image file holds exactly the bytes its row names and
# no file is left that no row names, each file left the inbox once, and the position, the comment
# and the EXIF never reach the store.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"

seeds="$EDGECTL_SOURCE/tests/fuzz/image_corpus/seeds"
new_store
mkdir "$RUN/inbox" "$RUN/done"
cp "$seeds/progressive-exif-comment.jpg" "$RUN/inbox/photo.jpg"
cp "$seeds/rgb-text-exif.png" "$RUN/inbox/frame-0001.jpg"
cp "$seeds/truncated.jpg" "$RUN/inbox/frame-0002.jpg"
cp "$seeds/gif.jpg" "$RUN/inbox/animation.gif"
: >"$RUN/inbox/empty.jpg"
cp "$SAMPLE/inbox/lab-north-2026-11-20.csv" "$RUN/inbox/"
touch -d '1 hour ago' "$RUN"/inbox/*
crash_save_pre

state_of() {
    crash_state --store "$RUN/store" --dir "$RUN/inbox" --dir "$RUN/done"
    local v
    for v in "GPS 47.37N" "serial 12345" "Exif"; do
        if grep -rqF --binary-files=text "$v" "$RUN/store"; then echo "PROBLEM: '$v' reached the store"; fi
    done
}

CRASH_EXPECT=3 crash_enumerate "ingest frames --move-to" \
    "$EDGECTL" ingest --move-to "$RUN/done" --settle 0 "$RUN/inbox"

# An uninterrupted run: 41 records and 2 frames are items; 1 record and 3 frames are quarantined;
# the two frames are two image files.
ref_has "  items 43" "  quarantine 4" "  images 2"
crash_finish
