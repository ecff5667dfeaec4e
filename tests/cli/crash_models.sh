#!/usr/bin/env bash
# kill -9 before every durability point of 'models activate', 'models rollback', 'models
# remove', 'models shadow' and 'models unshadow', then the same command again: the active,
# previous and shadow versions are as after an uninterrupted run, and a removed version's directory
# is gone with its row marked removed (never a version on disk that the registry no longer lists,
# nor a listed one without its files).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store"; }

new_store
vendor_key
for version in 1.0.0 1.1.0 1.2.0; do
    sed "s/\"version\": \"1.0.0\"/\"version\": \"$version\"/" "$SAMPLE/model/model.json" >"$WORK/spec-$version.json"
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$WORK/spec-$version.json" \
        --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$WORK/m-$version.tar.zst"
done
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.0.0.tar.zst" --activate
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.1.0.tar.zst" --activate
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.2.0.tar.zst"
crash_save_pre   # 1.1.0 active, 1.0.0 previous, 1.2.0 installed

crash_enumerate "models activate" "$EDGECTL" models activate wine-cultivar@1.2.0
ref_has "  wine-cultivar|1.2.0|1.1.0"

# Rolling back twice rolls forward again: the rerun of a finished rollback is not a no-op.
CRASH_IDEMPOTENT=0 crash_enumerate "models rollback" "$EDGECTL" models rollback wine-cultivar
ref_has "  wine-cultivar|1.0.0|1.1.0"

# Removing the previous version also forgets it as the rollback target.
crash_enumerate "models remove" "$EDGECTL" models remove wine-cultivar@1.0.0
ref_has "  wine-cultivar|1.1.0|NULL" "  wine-cultivar|1.0.0|74eea27934ca377476065aaf328100244adfc0d1e0863c5edefeb914821b64f9|vendor ($(sed -n 's/.*key \([0-9A-F]*\)$/\1/p' "$WORK/keys/vendor.pub"))|1"

# A shadow set, then stopped.
crash_enumerate "models shadow" "$EDGECTL" models shadow wine-cultivar@1.2.0
grep -A1 "^== shadow_models" "$WORK/ref.state" | grep -qx "  wine-cultivar|1.2.0" || fail "no shadow after models shadow"
crash_enumerate "models unshadow" "$EDGECTL" models unshadow wine-cultivar
grep -A1 "^== shadow_models" "$WORK/ref.state" | grep -q "^  wine-cultivar" && fail "a shadow left after unshadow"
crash_finish
