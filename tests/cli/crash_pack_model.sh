#!/usr/bin/env bash
# kill -9 before every durability point of 'pack-model ... --sign KEY -o OUT', then the same
# command again: OUT is a complete, signed package that verifies, and nothing else is beside it.
# (Its bytes carry the signing time, so its SHA256SUMS is compared, not the archive.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --package "$RUN/out/model.tar.zst" --names "$RUN/out"; }

mkdir "$RUN/out"
expect_exit 0 "$EDGECTL" keygen -o "$WORK/cloud"
crash_save_pre
crash_enumerate "pack-model" "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$SAMPLE/model/model.json" \
    --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/cloud.key" -o "$RUN/out/model.tar.zst"
ref_has "  SHA256SUMS 74eea27934ca3774, signed: True" "  model.tar.zst 0o644 "
crash_finish
