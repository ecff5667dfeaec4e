#!/usr/bin/env bash
# Upgrading a store: before the first migration changes anything, the database as the older edgectl
# left it is copied to backups/edgectl-vN.db (owner-only), once per upgrade; one process migrates at
# a time (another gets exit 75); a store whose copy does not fit on its disk is not migrated at all;
# EDGECTL_MIGRATE_BACKUP=0 migrates without a copy.
source "$(dirname "$0")/lib.sh"
mode() { stat -c %a "$1"; }

# --- an upgrade: the copy, then the migrations ------------------------------------------------------
old_store
expect_exit 0 "$EDGECTL" status
assert_contains "$ERR" "migrated from schema version 1 to 10"
assert_contains "$ERR" "backups/edgectl-v1.db"
backup="$STORE/backups/edgectl-v1.db"
assert_eq "$(mode "$STORE/backups") $(mode "$backup")" "700 600" "modes of the backups folder and copy"
assert_eq "$(sql 'PRAGMA user_version')" 10 "the store's schema version"
assert_eq "$(sqlite3 "$backup" "PRAGMA integrity_check; PRAGMA user_version; SELECT count(*) FROM items;
    SELECT count(*) FROM insights; SELECT count(*) FROM quarantine" | tr '\n' ' ')" "ok 1 3 1 1 " \
    "the copy: a whole version 1 database with the store's rows"
[ -z "$(find "$STORE/backups" -name '*.partial')" ] || fail "a partial copy left behind"

# Nothing more once the store is current.
before=$(sha256sum <"$backup")
expect_exit 0 "$EDGECTL" status
assert_not_contains "$ERR" "migrated" "a second migration"
assert_eq "$(sha256sum <"$backup")" "$before" "the copy after a second command"

# Going back: the copy put in place of the database is the version 1 store, and the next upgrade
# copies it again before migrating it.
rm "$STORE"/edgectl.db*
mv "$backup" "$STORE/edgectl.db"
assert_eq "$(sql 'PRAGMA user_version')" 1 "the restored store's schema version"
expect_exit 0 "$EDGECTL" status
assert_contains "$ERR" "migrated from schema version 1 to 10"
[ -s "$backup" ] || fail "no copy made by the second upgrade"

# --- one process migrates at a time ------------------------------------------------------------------
old_store
EDGECTL_CRASH_STOP=store.backup:fsync "$EDGECTL" status >"$WORK/first.out" 2>"$WORK/first.err" &
first=$!
wait_stopped "$first" "the first migration, at its backup's fsync"
expect_exit 75 "$EDGECTL" status
assert_contains "$ERR" "another edgectl is migrating store"
assert_eq "$(sql 'PRAGMA user_version')" 1 "the schema version while the first is stopped"
kill -CONT "$first"
wait "$first" || fail "the first migration, continued, failed: $(cat "$WORK/first.err")"
assert_eq "$(sql 'PRAGMA user_version')" 10 "the schema version after the first"
expect_exit 0 "$EDGECTL" status
assert_not_contains "$ERR" "migrated" "a migration by the second command"

# --- without a copy, when asked ----------------------------------------------------------------------
old_store
EDGECTL_MIGRATE_BACKUP=0 expect_exit 0 "$EDGECTL" status
assert_eq "$(sql 'PRAGMA user_version')" 10 "the schema version migrated without a copy"
[ ! -e "$STORE/backups/edgectl-v1.db" ] || fail "a copy made with EDGECTL_MIGRATE_BACKUP=0"

# --- a store whose copy does not fit: not migrated, nothing left behind ------------------------------
full="$WORK/full-disk"
mkdir "$full"
if ! mount -t tmpfs -o size=8m tmpfs "$full" 2>/dev/null; then
    echo "SKIP (the rest): cannot mount a tmpfs here; this part needs one" >&2
    echo ok
    exit 0
fi
at_exit "! mountpoint -q '$full' || umount '$full'"
# About 5 MB of database: the store fits in 8 MB, its copy beside it does not.
old_store "INSERT INTO items (source_key, source, line, ingested_at, payload)
    SELECT printf('%064d:%d', 0, value), 'big', value, 't3', '\"' || hex(randomblob(1024)) || '\"'
    FROM generate_series(1, 1200);"
cp -a "$STORE" "$full/store"
STORE="$full/store"
before=$(sqlite3 "$STORE/edgectl.db" "SELECT count(*), sum(length(payload)) FROM items")
EDGECTL_STORE="$STORE" expect_exit 1 "$EDGECTL" status
assert_contains "$ERR" "was not migrated from schema version 1 to 10: cannot back it up first"
assert_contains "$ERR" "EDGECTL_MIGRATE_BACKUP=0"
assert_eq "$(sql 'PRAGMA user_version')" 1 "the schema version of the store whose copy did not fit"
assert_eq "$(sqlite3 "$STORE/edgectl.db" "SELECT count(*), sum(length(payload)) FROM items")" "$before" "its items"
[ -z "$(find "$STORE/backups" -name '*.partial')" ] || fail "a partial copy left on the full disk"
[ ! -e "$STORE/backups/edgectl-v1.db" ] || fail "a copy on the full disk"
echo ok
