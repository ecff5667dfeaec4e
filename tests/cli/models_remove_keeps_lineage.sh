#!/usr/bin/env bash
# Removing a model version deletes its files but not its lineage: insights it made that are not yet
# exported still go out with its digest and spec in models.ndjson. Imported again, it comes back.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
digest=$(sql "SELECT digest FROM models WHERE version = '1.0.0'")
# Version 1.1.0: the same model under a new version.
unpack "$WORK/model.tar.zst" "$WORK/v2"
python3 - "$WORK/v2/model.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["version"] = "1.1.0"
json.dump(spec, open(sys.argv[1], "w"))
PY
expect_exit 0 "$EDGECTL" pack-model --model "$WORK/v2/model.pt" --spec "$WORK/v2/model.json" \
    --golden "$WORK/v2/golden.ndjson" --sign "$WORK/keys/vendor.key" -o "$WORK/v2.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/v2.tar.zst" --activate
expect_exit 0 "$EDGECTL" models remove wine-cultivar@1.0.0
[ -e "$STORE/models/wine-cultivar/1.0.0" ] && fail "the removed version's files are still there"
expect_exit 0 "$EDGECTL" models list
assert_not_contains "$OUT" "wine-cultivar@1.0.0"
expect_exit 1 "$EDGECTL" models activate wine-cultivar@1.0.0
assert_contains "$ERR" "is not installed"

mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
unpack "$WORK/disk/test-site-000001.tar.zst" "$WORK/x"
models="$WORK/x/test-site-000001/data/models.ndjson"
assert_eq "$(python3 -c 'import json,sys; print([(m["model_version"], m["digest"]) for m in map(json.loads, open(sys.argv[1]))])' "$models")" \
    "[('1.0.0', '$digest')]" "lineage of the exported insights"

expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --allow-downgrade
assert_contains "$OUT" "imported wine-cultivar@1.0.0"
[ -f "$STORE/models/wine-cultivar/1.0.0/model.pt" ] || fail "re-import did not bring the files back"
expect_exit 0 "$EDGECTL" models activate wine-cultivar@1.0.0
echo ok
