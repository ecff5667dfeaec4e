#!/usr/bin/env bash
# kill -9 before each commit of the forward migrations that opening a version 1 store runs (here
# through 'status'), then the same command again: the store reaches the current schema with every
# row kept, exactly as one uninterrupted run leaves it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store"; }

old_store
crash_save_pre

crash_enumerate "migration 1 -> 10 (status)" "$EDGECTL" status
ref_has "== schema version 10" "  site|old" "  items 3" "  insights 1" "  quarantine 1"
assert_eq "$(grep -c $'^store.migrate:commit\t' "$WORK/ref.trace")" 9 "migrations of an uninterrupted run"
# The store as version 1 left it is kept, owner-only, beside the migrated one (every killed run
# above ended with the same copy), and no upgrade is left marked as under way.
grep -q '^  backups/edgectl-v1.db 0o600 ' "$WORK/ref.state" || fail "no backup in: $(cat "$WORK/ref.state")"
assert_not_contains "$(cat "$WORK/ref.state")" "upgrade.migrating" "an upgrade marked as under way"
assert_eq "$(sqlite3 "$RUN/store/backups/edgectl-v1.db" "PRAGMA user_version; SELECT count(*) FROM items;
    SELECT count(*) FROM insights; SELECT value FROM meta WHERE key = 'site'" | tr '\n' ' ')" "1 3 1 old " \
    "the backup's schema version and rows"
crash_finish
