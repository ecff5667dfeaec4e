#!/usr/bin/env bash
# kill -9 at many points of import-model: the registry holds the whole new version or none of it,
# no half-written version directory exists, and the previously active model still scores.
source "$(dirname "$0")/lib.sh"
new_store
cd "$WORK"
expect_exit 0 "$EDGECTL" keygen -o cloud
expect_exit 0 "$EDGECTL" trust add cloud.pub --name cloud

# version_package VERSION: the sample model, signed, under another version.
version_package() {
    sed "s/\"version\": \"1.0.0\"/\"version\": \"$1\"/" "$SAMPLE/model/model.json" > "spec-$1.json"
    expect_exit 0 "$EDGECTL" pack-model --model "$SAMPLE/model/model.pt" --spec "spec-$1.json" \
        --golden "$SAMPLE/model/golden.ndjson" --sign cloud.key -o "m-$1.tar.zst"
}
version_package 1.0.0
version_package 1.1.0
expect_exit 0 "$EDGECTL" import-model m-1.0.0.tar.zst --activate

# Every version directory is complete (its files match its SHA256SUMS); every row has its directory.
check_registry() {
    for dir in "$STORE"/models/wine-cultivar/*/; do
        [ -d "$dir" ] || continue
        (cd "$dir" && sha256sum -c --quiet SHA256SUMS) || fail "half-written version directory $dir"
    done
    for version in $(sql "SELECT version FROM models"); do
        [ -f "$STORE/models/wine-cultivar/$version/model.pt" ] || fail "registered $version has no files"
    done
    active=$(sql "SELECT version FROM active_models WHERE name = 'wine-cultivar'")
    [ "$active" = 1.0.0 ] || [ "$active" = 1.1.0 ] || fail "active version is '$active'"
    assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity_check"
}

kills=0
for i in $(seq 1 14); do
    "$EDGECTL" import-model m-1.1.0.tar.zst --activate >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $(( (i * 37) % 450 )))"
    kill -9 "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] && kills=$((kills + 1))  # died of SIGKILL, not finished before it
    check_registry
done
echo "killed $kills of 14 imports midway"
[ "$kills" -ge 3 ] || fail "too few imports were interrupted to prove anything ($kills)"

# The active model (whichever it is) still scores.
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
expect_exit 3 "$EDGECTL" score
assert_contains "$OUT" "scored 70 items"

# A final import completes, and then the registry and the directories agree exactly.
expect_exit 0 "$EDGECTL" import-model m-1.1.0.tar.zst --activate
check_registry
assert_eq "$(ls "$STORE/models/wine-cultivar" | sort | tr '\n' ' ')" "1.0.0 1.1.0 " "version directories"
assert_eq "$(sql "SELECT version FROM active_models")" 1.1.0 "active after import"
assert_eq "$(ls "$STORE/staging")" "" "staging after a completed import"
echo ok
