-- edgectl store, migration 1 -> 2: export volumes, the retraining subset, acknowledgements.

-- Items exported as the retraining subset carry the export that shipped them.
ALTER TABLE items ADD COLUMN export_seq INTEGER;
CREATE INDEX items_unexported ON items (id) WHERE export_seq IS NULL;
CREATE INDEX quarantine_unexported ON quarantine (id) WHERE export_seq IS NULL;
CREATE INDEX insights_by_export ON insights (export_seq);
CREATE INDEX insights_by_item ON insights (item_id);

-- One ledger row per archive (volume). plan: which rows the volume holds, as id ranges per
-- category ({"anomalies": [lo, hi], ...}, lo exclusive, hi inclusive) plus the insight
-- high-water mark, so that a pending volume is finished, dropped or resent with exactly its rows.
ALTER TABLE exports ADD COLUMN group_id TEXT;
ALTER TABLE exports ADD COLUMN volume INTEGER NOT NULL DEFAULT 1;
ALTER TABLE exports ADD COLUMN volumes INTEGER NOT NULL DEFAULT 1;
ALTER TABLE exports ADD COLUMN plan TEXT;
ALTER TABLE exports ADD COLUMN counts TEXT;
ALTER TABLE exports ADD COLUMN acked_at TEXT;

-- Lineage: the digest of the model package that produced an insight, and the digest of the PII
-- policy an item was scrubbed with ('' when none).
ALTER TABLE insights ADD COLUMN model_digest TEXT;
ALTER TABLE items ADD COLUMN policy_digest TEXT NOT NULL DEFAULT '';
