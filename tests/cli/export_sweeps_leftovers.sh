#!/usr/bin/env bash
# What killed exports leave on a target (an archive being written, sidecars not yet renamed) is
# removed by the next export of the same site; other files are left alone.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
EDGECTL_CRASH_AT=export.sidecar:rename expect_exit 137 "$EDGECTL" export --to "$WORK/disk"
leftovers=$(cd "$WORK/disk" && ls -A | grep -c '\.tmp-' || true)
[ "$leftovers" -ge 1 ] || fail "the kill left no temporary sidecar to sweep: $(ls -A "$WORK/disk")"
touch "$WORK/disk/.test-site-000009.tar.zst.partial" "$WORK/disk/.other-site-000001.tar.zst.partial" \
    "$WORK/disk/operator-notes.txt"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
assert_eq "$(cd "$WORK/disk" && ls -A | tr '\n' ' ')" \
    ".other-site-000001.tar.zst.partial operator-notes.txt test-site-000001.tar.zst test-site-000001.tar.zst.minisig test-site-000001.tar.zst.sha256 " \
    "files on the target"
(cd "$WORK/disk" && sha256sum -c --quiet test-site-000001.tar.zst.sha256) || fail "sidecar"
echo ok
