#!/usr/bin/env bash
# verify fails (exit 4) naming the archive on a flipped byte, naming data/insights.ndjson on a changed payload file, and on a wrong .sha256 sidecar.
source "$(dirname "$0")/lib.sh"

sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
name=test-site-000001
good="$WORK/disk/$name.tar.zst"
expect_exit 0 "$EDGECTL" verify "$good"

# 1. One flipped byte in the middle of the archive, alone (no sidecar to help) and beside its sidecar.
for dir in bare with-sidecar; do
    mkdir "$WORK/$dir"
    cp "$good" "$WORK/$dir/"
    [ "$dir" = bare ] || cp "$good.sha256" "$WORK/$dir/"
    bad="$WORK/$dir/$name.tar.zst"
    flip_byte "$bad" $(($(stat -c %s "$bad") / 2))
    expect_exit 4 "$EDGECTL" verify "$bad"
    [[ "$ERR" == "edgectl: error: "* ]] || fail "stderr does not start with 'edgectl: error: ': $ERR"
    assert_contains "$ERR" "$bad" "error naming the damaged archive ($dir)"
    assert_not_contains "$OUT" "OK" "stdout for a damaged archive ($dir)"
done

# 2. The archive is a well-formed tar.zst, but one byte of a payload file changed (repacked with GNU tar).
unpack "$good" "$WORK/x"
mkdir "$WORK/repacked" "$WORK/pristine"
# Control: repacking the untouched bag with GNU tar still verifies.
tar --zstd -cf "$WORK/pristine/$name.tar.zst" -C "$WORK/x" "$name"
expect_exit 0 "$EDGECTL" verify "$WORK/pristine/$name.tar.zst"
payload="$WORK/x/$name/data/insights.ndjson"
flip_byte "$payload" $(($(stat -c %s "$payload") / 2))
tar --zstd -cf "$WORK/repacked/$name.tar.zst" -C "$WORK/x" "$name"
expect_exit 4 "$EDGECTL" verify "$WORK/repacked/$name.tar.zst"
assert_eq "$ERR" "edgectl: error: $WORK/repacked/$name.tar.zst: 'data/insights.ndjson' does not match its SHA-256 in manifest-sha256.txt"

# 3. An intact archive beside a .sha256 sidecar that holds a wrong digest.
mkdir "$WORK/wrong-sidecar"
cp "$good" "$WORK/wrong-sidecar/"
echo "$(sha256sum "$SAMPLE/model/model.json" | cut -d' ' -f1)  $name.tar.zst" >"$WORK/wrong-sidecar/$name.tar.zst.sha256"
expect_exit 4 "$EDGECTL" verify "$WORK/wrong-sidecar/$name.tar.zst"
assert_eq "$ERR" "edgectl: error: $WORK/wrong-sidecar/$name.tar.zst: '$name.tar.zst' does not match its digest in '$name.tar.zst.sha256'"

# Several paths: one bad one makes the run fail, the good one is still reported OK.
expect_exit 4 "$EDGECTL" verify "$good" "$WORK/wrong-sidecar/$name.tar.zst"
assert_eq "$OUT" "$good: OK (export-bag)"
