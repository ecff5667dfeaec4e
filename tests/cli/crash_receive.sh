#!/usr/bin/env bash
# kill -9 before every durability point of 'receive' landing a disk at a hub (three archives, one of
# them with camera frames, and a corrupt fourth; landed in one batch, then one by one), and of
# 'receipts': rerun, and every archive is
# landed exactly once (its lake files and evidence complete, its ledger row 'landed'), the corrupt
# one is refused once, staging is empty and every receipt verifies: the state of one uninterrupted run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
HUB="$RUN/hub"

sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$RUN/disk" "$WORK/first"
expect_exit 0 "$EDGECTL" export --to "$WORK/first" --include anomalies,insights
signed_camera_package "$WORK/camera.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/camera.tar.zst" --activate
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/camera"
feature_csv "$WORK/m.csv" 30 1000
for n in 2 3 4; do
    expect_exit 0 "$EDGECTL" ingest "$WORK/m.csv"
    expect_exit 0 "$EDGECTL" score
    expect_exit 0 "$EDGECTL" export --to "$RUN/disk" --include anomalies,insights,items,images,summary,quarantine
    feature_csv "$WORK/m.csv" 30 "$((n * 1000))"
done
flip_byte "$RUN/disk/test-site-000004.tar.zst" 400
new_hub
hub_add_site "$STORE" test-site
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$WORK/first"
crash_save_pre

state_of() { crash_state --hub "$HUB" --names "$RUN/back"; }
CRASH_EXPECT=4 CRASH_NESTED="receive.landed:commit#1" \
    crash_enumerate "receive (2 archives, 1 corrupt)" "$EDGECTL" --store "$HUB" receive "$RUN/disk" --receipts "$RUN/back"
grep -q "^  test-site|3|test-site-000003|landed|" "$WORK/ref.state" || fail "archive 3 did not land in the reference run"
grep -q "^  test-site|4|test-site-000004.tar.zst|" "$WORK/ref.state" || fail "archive 4 was not refused in the reference run"
grep -q "images/" "$WORK/ref.state" || fail "no frames landed in the reference run"
# The same with every archive a batch of its own: a kill between batches leaves one landed.
CRASH_EXPECT=4 CRASH_NESTED="receive.landed:commit#2" \
    crash_enumerate "receive --batch 1" "$EDGECTL" --store "$HUB" receive "$RUN/disk" --receipts "$RUN/back" --batch 1

crash_reset
crash_save_pre
CRASH_EXPECT=0 CRASH_NESTED="" crash_enumerate "receipts" "$EDGECTL" --store "$HUB" receipts --to "$RUN/back"
crash_finish
