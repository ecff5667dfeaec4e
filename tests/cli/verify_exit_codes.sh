#!/usr/bin/env bash
# verify goes on through every path and exits 4 when any fails, whatever the failure: a missing
# file, an oversized or unreadable .sha256 or .minisig beside an archive. import-model of a missing
# file is a usage error (2), as for any input file the command line names.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --max-bytes 64K --include anomalies,insights,items,quarantine
a1="$WORK/disk/test-site-000001.tar.zst"
cp "$a1" "$WORK/disk/copy-ok.tar.zst"  # a name that does not match its bag: refused too
head -c 10000 /dev/zero > "$a1.sha256"  # oversized
expect_exit 4 "$EDGECTL" verify "$a1" "$WORK/missing.tar.zst" "$SAMPLE/../sample-site/model/model.json"
assert_contains "$ERR" "cannot read 'test-site-000001.tar.zst.sha256'"
assert_contains "$ERR" "missing.tar.zst"
assert_contains "$ERR" "model.json"
rm "$a1.sha256"
rm "$a1.minisig" && mkdir "$a1.minisig"  # unreadable: a directory
expect_exit 0 "$EDGECTL" site-key
printf '%s\n' "$OUT" > "$WORK/site.pub"
expect_exit 4 "$EDGECTL" verify --key "$WORK/site.pub" "$a1"
assert_contains "$ERR" "'test-site-000001.tar.zst.minisig'"
expect_exit 4 "$EDGECTL" --json verify "$WORK/disk/copy-ok.tar.zst"
assert_contains "$(json_get "$OUT" "d[0]['problems']")" "holds bag 'test-site-000001', not 'copy-ok'"

expect_exit 2 "$EDGECTL" import-model "$WORK/no-such-package.tar.zst"
assert_contains "$ERR" "no-such-package.tar.zst"
echo ok
