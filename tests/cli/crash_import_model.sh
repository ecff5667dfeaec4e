#!/usr/bin/env bash
# kill -9 before every durability point of 'import-model PACKAGE --activate' (a new version of an
# active model; then a model new to the store), then the same command again: the version directory
# is complete and registered, or absent; the registry, the active and the previous version are as
# after an uninterrupted import; staging is empty.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store"; }
# Import runs the golden check (LibTorch) before its first point: three runs of ~0.8 s per case,
# so the five files staged are killed at three of their passes (first, third, last).
CRASH_CAP=3

new_store
vendor_key
# version_package NAME VERSION: the sample model under that name and version, signed.
version_package() {
    sed -e "s/\"version\": \"1.0.0\"/\"version\": \"$2\"/" -e "s/\"name\": \"wine-cultivar\"/\"name\": \"$1\"/" \
        "$SAMPLE/model/model.json" >"$WORK/spec-$1-$2.json"
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$WORK/spec-$1-$2.json" \
        --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$RUN/$1-$2.tar.zst"
}
version_package wine-cultivar 1.0.0
version_package wine-cultivar 1.1.0
version_package wine-cultivar-b 2.0.0
expect_exit 0 "$EDGECTL" import-model "$RUN/wine-cultivar-1.0.0.tar.zst" --activate
crash_save_pre

crash_enumerate "import-model (new version) --activate" "$EDGECTL" import-model "$RUN/wine-cultivar-1.1.0.tar.zst" --activate
ref_has "  wine-cultivar|1.1.0|1.0.0" "  models 2" "  models/wine-cultivar/1.1.0/model.pt 0o600 0ce26f901986144d"

# A model new to the store also makes models/NAME: only those points (the rest are the same).
CRASH_POINTS="import.model-dir:mkdir import.model-dir:fsync-dir" \
    crash_enumerate "import-model (new model)" "$EDGECTL" import-model "$RUN/wine-cultivar-b-2.0.0.tar.zst"
ref_has "  wine-cultivar|1.0.0|NULL" "  models 2" "  models/wine-cultivar-b/2.0.0/model.pt 0o600 0ce26f901986144d"

# An image model stages its golden images in golden/ too.
expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/camera-model/model.pt" --spec "$SAMPLE/camera-model/model.json" \
    --golden "$SAMPLE/camera-model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$WORK/digit-camera.tar.zst"
CRASH_POINTS="import.stage-golden:mkdir import.stage-golden:fsync-dir import.stage:fsync import.stage:rename" \
    crash_enumerate "import-model (image model)" "$EDGECTL" import-model "$WORK/digit-camera.tar.zst"
ref_has "  models 2" "  models/digit-camera/1.0.0/golden/ 0o700"
crash_finish
