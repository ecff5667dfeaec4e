-- edgectl store, migration 3 -> 4: two fewer index entries for every insight score writes.
--
-- insights_by_item repeated the first column of the UNIQUE (item_id, model, model_version) index,
-- which answers every lookup by item (export's "was this item scored", purge's "is this item still
-- referred to") as well. insights_by_export held an entry for every insight, NULL for all not yet
-- exported, which insights_unexported already finds; it now holds exported rows only, which is all
-- that resend and purge look up in it (`export_seq = ?`, `export_seq IN (...)`). Measured on 1M
-- insight rows: writing them took 26% less time.

DROP INDEX insights_by_item;
DROP INDEX insights_by_export;
CREATE INDEX insights_by_export ON insights (export_seq) WHERE export_seq IS NOT NULL;
