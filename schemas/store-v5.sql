-- edgectl store, migration 4 -> 5: ids that never come back, items unique on their source record,
-- exports that stay pending until found or abandoned, model lineage that outlives the files.
--
-- Applied with foreign keys off (items is rebuilt) and checked with foreign_key_check.

-- Row ids only grow. SQLite gives a new row max(id) + 1, so once purge deleted the newest rows their
-- ids came back: new items fell below the score cursors (never scored) and insight ids repeated
-- across archives. AUTOINCREMENT would fix it at the cost of a write to sqlite_sequence on every
-- insert (+55% time for 1M inserts here); instead writers give ids explicitly, above both max(id)
-- and this table's floor, which purge raises to max(id) before it deletes anything.
CREATE TABLE id_floors (
  name  TEXT PRIMARY KEY CHECK (name IN ('items', 'insights', 'quarantine')),
  floor INTEGER NOT NULL  -- no id at or below this is given again
) STRICT;

-- A store that was purged before this version may already have reused ids; the floors start above
-- every id that anything still refers to: the score cursors, the export plans' ranges.
INSERT INTO id_floors (name, floor) VALUES
  ('items', max(coalesce((SELECT max(id) FROM items), 0),
                coalesce((SELECT max(last_item_id) FROM score_progress), 0),
                coalesce((SELECT max(json_extract(plan, '$.ranges.items[1]')) FROM exports), 0))),
  ('insights', max(coalesce((SELECT max(id) FROM insights), 0),
                   coalesce((SELECT max(max_insight_id) FROM exports), 0),
                   coalesce((SELECT max(json_extract(plan, '$.ranges.anomalies[1]')) FROM exports), 0),
                   coalesce((SELECT max(json_extract(plan, '$.ranges.insights[1]')) FROM exports), 0))),
  ('quarantine', max(coalesce((SELECT max(id) FROM quarantine), 0),
                     coalesce((SELECT max(json_extract(plan, '$.ranges.quarantine[1]')) FROM exports), 0)));

-- Purge looks quarantine rows up by item: without this index it scanned them once per item.
CREATE INDEX quarantine_by_item ON quarantine (item_id) WHERE item_id IS NOT NULL;

-- Items are unique on (source file, record ordinal) in the schema itself: whatever goes wrong in a
-- writer, one record of one file can never become two items.
DROP VIEW item_records;
CREATE TABLE items_v5 (
  id         INTEGER PRIMARY KEY,
  ingest_id  INTEGER NOT NULL REFERENCES ingests(id),
  source_id  INTEGER NOT NULL REFERENCES sources(id),
  ordinal    INTEGER NOT NULL,             -- the record's ordinal in its source file
  line       INTEGER NOT NULL,
  payload    TEXT NOT NULL,
  export_seq INTEGER,
  UNIQUE (source_id, ordinal)
) STRICT;

-- A store written by an older edgectl killed at the wrong moment may hold a record twice. The later
-- copy goes when nothing refers to it; one that an insight, a quarantine row or an export refers to
-- stays, with the ordinal -id, which marks it for what it is. (Only ids and keys are copied aside:
-- the payloads are copied once, into the new table. The migration needs free disk space of about
-- twice the items table, for the new table and the write-ahead log.)
CREATE TEMP TABLE v4_keys AS
  SELECT it.id, g.source_id, it.ordinal FROM items it JOIN ingests g ON g.id = it.ingest_id;
CREATE INDEX temp.v4_keys_record ON v4_keys (source_id, ordinal, id);
CREATE TEMP TABLE v4_copies AS
  SELECT c.id FROM v4_keys c
  WHERE EXISTS (SELECT 1 FROM v4_keys k WHERE k.source_id = c.source_id AND k.ordinal = c.ordinal AND k.id < c.id);
DELETE FROM items WHERE id IN (SELECT id FROM v4_copies) AND export_seq IS NULL
  AND NOT EXISTS (SELECT 1 FROM insights s WHERE s.item_id = items.id)
  AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.item_id = items.id);
INSERT INTO items_v5 (id, ingest_id, source_id, ordinal, line, payload, export_seq)
  SELECT it.id, it.ingest_id, g.source_id,
         CASE WHEN it.id IN (SELECT id FROM v4_copies) THEN -it.id ELSE it.ordinal END,
         it.line, it.payload, it.export_seq
  FROM items it JOIN ingests g ON g.id = it.ingest_id ORDER BY it.id;
DROP TABLE v4_copies;
DROP TABLE v4_keys;
DROP TABLE items;
ALTER TABLE items_v5 RENAME TO items;
CREATE INDEX items_unexported ON items (id) WHERE export_seq IS NULL;

CREATE VIEW item_records AS
SELECT it.id, g.name AS source, s.digest || ':' || it.ordinal AS source_key, it.line, g.ingested_at,
       g.policy_digest, it.export_seq,
       CASE WHEN g.columns IS NULL THEN it.payload
            ELSE (SELECT json_group_object(c.value, json_extract(it.payload, '$[' || c.key || ']'))
                  FROM json_each(g.columns) AS c)
       END AS payload
FROM items it JOIN ingests g ON g.id = it.ingest_id JOIN sources s ON s.id = it.source_id;

-- An export is 'abandoned' only when the operator says its archive is lost ('edgectl exports
-- abandon'); until then a pending export whose archive may have reached its final name stays
-- pending. Its digest is recorded before that rename, so that the next run accepts only those bytes.
CREATE TABLE exports_v5 (
  seq                INTEGER PRIMARY KEY,
  name               TEXT NOT NULL,
  nonce              TEXT NOT NULL,
  target             TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'complete', 'abandoned')),
  max_insight_id     INTEGER NOT NULL,
  rows               INTEGER NOT NULL DEFAULT 0,
  bytes              INTEGER NOT NULL DEFAULT 0,
  digest             TEXT,
  tagmanifest_digest TEXT,
  started_at         TEXT NOT NULL,
  completed_at       TEXT,
  group_id           TEXT,
  volume             INTEGER NOT NULL DEFAULT 1,
  volumes            INTEGER NOT NULL DEFAULT 1,
  plan               TEXT,
  counts             TEXT,
  acked_at           TEXT,
  abandoned_at       TEXT
) STRICT;
INSERT INTO exports_v5 (seq, name, nonce, target, state, max_insight_id, rows, bytes, digest, tagmanifest_digest,
                        started_at, completed_at, group_id, volume, volumes, plan, counts, acked_at)
  SELECT seq, name, nonce, target, state, max_insight_id, rows, bytes, digest, tagmanifest_digest,
         started_at, completed_at, group_id, volume, volumes, plan, counts, acked_at FROM exports;
DROP TABLE exports;
ALTER TABLE exports_v5 RENAME TO exports;
-- A volume left pending by version 4 had its archive named before any digest was recorded: the next
-- run finishes it by that version's rule (a valid bag with its nonce), not by the digest.
UPDATE exports SET plan = json_set(coalesce(plan, '{}'), '$.legacy', json('true')) WHERE state = 'pending';

-- 'models remove' deletes a version's files but keeps its row: the lineage of its insights
-- (digest, spec, labels) still goes out with them in models.ndjson.
ALTER TABLE models ADD COLUMN removed_at TEXT;

-- Keyed hashes of personal data: a store made from this version on keys HMAC-SHA-256 with the 32
-- bytes that site.secret spells in hex. Older stores keyed it with the file's bytes, newline
-- included; they keep doing so, so that the pseudonyms they already shipped keep matching.
INSERT INTO meta (key, value) SELECT 'pii_key', 'secret-file-bytes' WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'site');
