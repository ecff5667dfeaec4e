#!/usr/bin/env bash
# rollback restores the previously active version and score then uses it; remove refuses the active one.
source "$(dirname "$0")/lib.sh"
new_store
vendor_key
# version_package VERSION: the sample model, signed, under another version.
version_package() {
    sed "s/\"version\": \"1.0.0\"/\"version\": \"$1\"/" "$SAMPLE/model/model.json" > "$WORK/spec-$1.json"
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "$WORK/spec-$1.json" \
        --golden "$SAMPLE/model/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$WORK/m-$1.tar.zst"
}
version_package 1.0.0
version_package 1.1.0
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.0.0.tar.zst" --activate
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.1.0.tar.zst" --activate
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
expect_exit 3 "$EDGECTL" score
assert_contains "$OUT" "wine-cultivar@1.1.0: scored 70 items"

expect_exit 0 "$EDGECTL" models rollback wine-cultivar
assert_eq "$OUT" "rolled back: wine-cultivar@1.0.0 is now active"
expect_exit 0 "$EDGECTL" models list
assert_contains "$OUT" "* wine-cultivar@1.0.0"
expect_exit 3 "$EDGECTL" score
assert_contains "$OUT" "wine-cultivar@1.0.0: scored 70 items"
assert_eq "$(sql "SELECT count(*) FROM insights WHERE model_version = '1.0.0'")" 70 "insights of the rolled-back version"

# An older version than the active one is refused unless the operator means it.
version_package 0.9.0
expect_exit 4 "$EDGECTL" import-model "$WORK/m-0.9.0.tar.zst"
assert_contains "$ERR" "older than the active 1.0.0"
expect_exit 0 "$EDGECTL" import-model "$WORK/m-0.9.0.tar.zst" --allow-downgrade

expect_exit 1 "$EDGECTL" models remove wine-cultivar@1.0.0
assert_contains "$ERR" "is active; activate another version before removing it"
expect_exit 0 "$EDGECTL" models remove wine-cultivar@0.9.0
[ ! -e "$STORE/models/wine-cultivar/0.9.0" ] || fail "removed version's directory is still there"
expect_exit 0 "$EDGECTL" models list --json
assert_not_contains "$OUT" "0.9.0"
echo ok
