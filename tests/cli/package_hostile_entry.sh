#!/usr/bin/env bash
# A model package with a hostile entry ('../x', an absolute path, a symlink, a hard link) is refused (exit 4) naming the entry; nothing is installed or written.
source "$(dirname "$0")/lib.sh"

new_store
signed_sample_package "$WORK/model.tar.zst"
unpack "$WORK/model.tar.zst" "$WORK/p"
echo "outside" >"$WORK/x"

# refused PACKAGE ENTRY CAUSE: import-model and verify both refuse PACKAGE with exit 4, naming the entry
# and the cause, and import-model leaves no trace in the store or beside it.
refused() {
    local pkg=$1 entry=$2 cause=$3
    touch "$WORK/marker"
    expect_exit 4 "$EDGECTL" import-model "$pkg" --activate
    assert_eq "$ERR" "edgectl: error: '$pkg': entry '$entry' $cause"
    assert_contains "$ERR" "'$entry'"
    assert_eq "$(ls -A "$STORE/models")$(ls -A "$STORE/staging")" "" "files under models/ or staging/ after refusing '$entry'"
    assert_eq "$(sql 'SELECT count(*) FROM models')" 0 "registry rows after refusing '$entry'"
    assert_eq "$(find "$WORK" -newer "$WORK/marker" ! -type d ! -path "$STORE/edgectl.db*" ! -path "$STORE/locks/*" \
        ! -name .out ! -name .err)" "" "files written while refusing '$entry'"
    expect_exit 4 "$EDGECTL" verify "$pkg"
    assert_contains "$ERR" "entry '$entry' $cause"
}

# listed PKG REGEX: a line of tar's verbose listing of PKG matches REGEX (no pipe: grep -q must not cut tar short).
listed() { grep -q "$2" <<<"$(tar --zstd -tvf "$1" 2>/dev/null)"; }

# Control: the signed sample package's own files, repacked with GNU tar, verify.
repack "$WORK/p" "$WORK/control.tar.zst" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
expect_exit 0 "$EDGECTL" verify "$WORK/control.tar.zst"

# '../x', between ordinary entries (-P keeps the name as given).
(cd "$WORK/p" && tar --zstd -P -cf "$WORK/dotdot.tar.zst" model.json ../x model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig)
listed "$WORK/dotdot.tar.zst" " \.\./x$" || fail "the test package does not hold an entry named '../x'"
refused "$WORK/dotdot.tar.zst" ../x "leaves the archive ('..')"
assert_contains "$ERR" "leaves the archive"

# An absolute path.
(cd "$WORK/p" && tar --zstd -P -cf "$WORK/absolute.tar.zst" model.json model.pt "$WORK/x" golden.ndjson SHA256SUMS SHA256SUMS.minisig)
listed "$WORK/absolute.tar.zst" " $WORK/x$" || fail "the test package does not hold the entry '$WORK/x'"
refused "$WORK/absolute.tar.zst" "$WORK/x" "is an absolute path"

# A symbolic link under a file name a package may hold.
mkdir "$WORK/s"
cp "$WORK/p/model.json" "$WORK/p/model.pt" "$WORK/p/SHA256SUMS" "$WORK/p/SHA256SUMS.minisig" "$WORK/s/"
ln -s /etc/passwd "$WORK/s/golden.ndjson"
repack "$WORK/s" "$WORK/symlink.tar.zst" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
listed "$WORK/symlink.tar.zst" '^l.* golden.ndjson -> /etc/passwd$' || fail "the test package holds no symlink"
refused "$WORK/symlink.tar.zst" golden.ndjson "is a symbolic link"

# A hard link (to another entry of the package).
mkdir "$WORK/h"
cp "$WORK/p/model.json" "$WORK/p/model.pt" "$WORK/p/SHA256SUMS" "$WORK/p/SHA256SUMS.minisig" "$WORK/h/"
ln "$WORK/h/model.json" "$WORK/h/golden.ndjson"
repack "$WORK/h" "$WORK/hardlink.tar.zst" model.json model.pt golden.ndjson SHA256SUMS SHA256SUMS.minisig
listed "$WORK/hardlink.tar.zst" '^h.* golden.ndjson link to model.json$' || fail "the test package holds no hard link"
refused "$WORK/hardlink.tar.zst" golden.ndjson "is a hard link"

expect_exit 0 "$EDGECTL" models list
assert_eq "$OUT" "no models installed"
