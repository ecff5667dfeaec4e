#!/usr/bin/env bash
# kill -9 before each commit of the forward migrations that opening a version 1 store runs (here
# through 'status'), then the same command again: the store reaches the current schema with every
# row kept, exactly as one uninterrupted run leaves it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_crash.sh"
state_of() { crash_state --store "$RUN/store"; }

# A store as edgectl made them at schema version 1 (4 KiB pages), with rows in it.
new_store
rm "$STORE"/edgectl.db*
digest=$(printf 'a%.0s' $(seq 64)) other=$(printf 'b%.0s' $(seq 64))
{
    echo "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;"
    cat "$EDGECTL_SOURCE/schemas/store-v1.sql"
    echo "PRAGMA user_version = 1; INSERT INTO meta VALUES ('site', 'old');
    INSERT INTO sources (digest, name, path, format, complete, ingested_at) VALUES ('$digest', 'f', 'f', 'csv', 0, 't1');
    INSERT INTO items (source_key, source, line, ingested_at, payload) VALUES
        ('$digest:1', 'f', 2, 't1', '{\"a\":1}'), ('$digest:2', 'f', 3, 't1', '{\"a\":2}'),
        ('$other:7', 'g', 8, 't2', '{\"b\":3}');
    INSERT INTO quarantine (stage, source, line, source_key, reason, created_at) VALUES ('ingest', 'f', 4, '$digest:3', 'bad', 't1');
    INSERT INTO insights (item_id, model, model_version, score, anomaly, scored_at) VALUES (2, 'm', '1', 0.5, 0, 't');"
} | sqlite3 "$STORE/edgectl.db" >/dev/null
crash_save_pre

crash_enumerate "migration 1 -> 10 (status)" "$EDGECTL" status
ref_has "== schema version 10" "  site|old" "  items 3" "  insights 1" "  quarantine 1"
assert_eq "$(grep -c $'^store.migrate:commit\t' "$WORK/ref.trace")" 9 "migrations of an uninterrupted run"
crash_finish
