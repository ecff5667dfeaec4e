#!/usr/bin/env bash
# A site's identity never changes by accident: with site.key gone, export fails naming the file and
# what to do, writes nothing, and makes no new key.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
pub=$(cat "$STORE/site.pub")
rm "$STORE/site.key"
mkdir "$WORK/disk"
expect_exit 1 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$ERR" "the site's signing key '$STORE/site.key' is missing, so exports cannot be signed"
[ -e "$STORE/site.key" ] && fail "a new site key was made"
assert_eq "$(cat "$STORE/site.pub")" "$pub" "site.pub"
assert_eq "$(ls -A "$WORK/disk")" "" "files on the target"
assert_eq "$(sql 'SELECT count(*) FROM exports')" 0 "ledger rows"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NOT NULL')" 0 "rows marked"
echo ok
