#!/usr/bin/env bash
# init creates a private store (0700 dir, 0600 db and secret, schema v1, WAL), refuses a second init and a bad site id.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "$EDGECTL" init --site north-1
assert_contains "$OUT" "created store for site 'north-1' at $STORE"
assert_eq "$ERR" "" "init prints nothing on stderr"

assert_eq "$(stat -c %a "$STORE")" 700 "store directory mode"
assert_eq "$(stat -c %a "$STORE/edgectl.db")" 600 "edgectl.db mode"
assert_eq "$(stat -c %a "$STORE/site.secret")" 600 "site.secret mode"
[ -s "$STORE/site.secret" ] || fail "site.secret is empty"
for sub in models trust staging; do
    [ -d "$STORE/$sub" ] || fail "missing $sub/ in the new store"
    assert_eq "$(stat -c %a "$STORE/$sub")" 700 "$sub/ mode"
done

assert_eq "$(sql 'PRAGMA user_version')" 10 "schema version"
assert_eq "$(sql 'PRAGMA journal_mode')" wal "journal mode"
assert_eq "$(sql 'PRAGMA integrity_check')" ok "integrity"
assert_eq "$(sql "SELECT value FROM meta WHERE key = 'site'")" north-1 "site id recorded in meta"

# A second init on the same store is refused and leaves the store as it was.
secret=$(cat "$STORE/site.secret")
expect_exit 1 "$EDGECTL" init --site north-1
assert_eq "$ERR" "edgectl: error: a store already exists at '$STORE'"
assert_eq "$(cat "$STORE/site.secret")" "$secret" "second init must not touch the secret"

# An invalid site id is a usage error and creates nothing.
expect_exit 2 "$EDGECTL" --store "$WORK/other" init --site ../x
assert_contains "$ERR" "edgectl: error: site id '../x' is not valid"
[ ! -e "$WORK/other" ] || fail "an invalid site id must not create a store directory"
