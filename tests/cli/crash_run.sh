#!/usr/bin/env bash
# kill -9 before every durability point of one 'run' cycle (ingest of an inbox of three files, then
# score with the active model and its shadow), then the same command again: every record is an item
# or a quarantine row exactly once, each file moved out of the inbox once, and every item has one
# insight or one quarantine row, and one shadow answer, as an uninterrupted cycle leaves them. A
# cycle is ingest and score called in turn: the points are theirs, in one process.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store" --dir "$RUN/inbox" --dir "$RUN/done"; }

new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate
sample_variant 1.1.0 "$WORK/model-1.1.0.tar.zst" 'spec["anomaly"][0]["threshold"] = 0.95'
expect_exit 0 "$EDGECTL" import-model "$WORK/model-1.1.0.tar.zst"
expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.1.0
mkdir "$RUN/inbox" "$RUN/done"
cp "$SAMPLE"/inbox/* "$RUN/inbox/"
feature_csv "$RUN/inbox/many.csv" 700
crash_save_pre

# --batch 64 and score's commit every 4096 items: one score commit; the ingest commits its files.
CRASH_EXPECT=3 crash_enumerate "run (one cycle)" \
    "$EDGECTL" run --settle 0 --batch 64 --move-to "$RUN/done" "$RUN/inbox"
# 73 + 700 items, 2 records quarantined at ingest, 3 items at score; 770 insights and shadow answers.
ref_has "  items 773" "  insights 770" "  score|wine-cultivar|1.0.0|3"
grep -q "^== shadow answers 770 " "$WORK/ref.state" || fail "shadow answers of the reference run: $(grep '== shadow' "$WORK/ref.state")"
assert_eq "$(sed -n "\|^== dir $RUN/inbox\$|,\$p" "$WORK/ref.state" | tr '\n' ' ' | sed 's/ [0-9a-f]\{16\}//g')" \
    "== dir $RUN/inbox == dir $RUN/done   lab-north-2026-11-20.csv 0o644   lab-south-2026-11-21.ndjson 0o644   many.csv 0o644 " \
    "the inbox and the done directory after an uninterrupted cycle"
crash_finish
