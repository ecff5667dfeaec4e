-- edgectl store, migration 2 -> 3: compact item rows.
--
-- An item row used to repeat, for every record, the source file's digest (in a 71-byte unique text
-- key), its path, the ingest time, the policy digest and, in a JSON object, every column name. What
-- is the same for every record of one file in one run now lives once in `ingests`; an item keeps
-- only its ordinal, line and values. A CSV record's payload is a JSON array of its values in the
-- order of `ingests.columns`; an NDJSON record's payload stays a JSON object (columns NULL).
-- `item_records` shows every item as before, payload as an object, for queries and exports.
--
-- Ingest is idempotent without a unique index on items: `sources.done` is the last record ordinal
-- of the file committed, advanced in the same transaction as the records it covers, so a rerun
-- after a kill resumes after it and a finished file (complete = 1) is skipped.
--
-- Applied with foreign keys off (tables are rebuilt) and checked with foreign_key_check.

CREATE TABLE sources_v3 (
  id          INTEGER PRIMARY KEY,
  digest      TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  path        TEXT NOT NULL,
  format      TEXT NOT NULL,
  records     INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  complete    INTEGER NOT NULL DEFAULT 0,
  done        INTEGER NOT NULL DEFAULT 0,
  ingested_at TEXT NOT NULL
) STRICT;
INSERT INTO sources_v3 (digest, name, path, format, records, quarantined, complete, ingested_at)
  SELECT digest, name, path, format, records, quarantined, complete, ingested_at FROM sources ORDER BY rowid;

-- One row per source file and ingest run that added items from it: what the items share.
CREATE TABLE ingests (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources_v3(id),
  name          TEXT NOT NULL,              -- the source name of its items (--source, else the path)
  columns       TEXT,                       -- JSON array of names: payloads are arrays in this order
  policy_digest TEXT NOT NULL DEFAULT '',   -- SHA-256 of the PII policy ('' when none)
  ingested_at   TEXT NOT NULL
) STRICT;

CREATE TABLE items_v3 (
  id         INTEGER PRIMARY KEY,
  ingest_id  INTEGER NOT NULL REFERENCES ingests(id),
  ordinal    INTEGER NOT NULL,             -- the record's ordinal in its source file
  line       INTEGER NOT NULL,
  payload    TEXT NOT NULL,
  export_seq INTEGER
) STRICT;

-- Every item came with its source row; should one be missing, the item keeps a source of its own.
INSERT INTO sources_v3 (digest, name, path, format, complete, ingested_at)
  SELECT substr(source_key, 1, instr(source_key, ':') - 1), min(source), min(source), '', 1, min(ingested_at)
  FROM items WHERE substr(source_key, 1, instr(source_key, ':') - 1) NOT IN (SELECT digest FROM sources_v3)
  GROUP BY 1;

-- Version 2 items: one ingests row per (file, source name, time, policy) they share.
CREATE TEMP TABLE v2_items AS
  SELECT i.id, s.id AS source_id, i.source, i.ingested_at, i.policy_digest, i.line, i.payload, i.export_seq,
         CAST(substr(i.source_key, instr(i.source_key, ':') + 1) AS INTEGER) AS ordinal
  FROM items i JOIN sources_v3 s ON s.digest = substr(i.source_key, 1, instr(i.source_key, ':') - 1);
INSERT INTO ingests (source_id, name, policy_digest, ingested_at)
  SELECT source_id, source, policy_digest, ingested_at FROM v2_items
  GROUP BY source_id, source, policy_digest, ingested_at ORDER BY min(id);
INSERT INTO items_v3 (id, ingest_id, ordinal, line, payload, export_seq)
  SELECT v.id, g.id, v.ordinal, v.line, v.payload, v.export_seq FROM v2_items v
  JOIN ingests g ON g.source_id = v.source_id AND g.name = v.source AND g.policy_digest = v.policy_digest
                AND g.ingested_at = v.ingested_at
  ORDER BY v.id;
DROP TABLE v2_items;

-- A file left incomplete by a killed version 2 run resumes after its last committed record.
UPDATE sources_v3 SET done = max(
  coalesce((SELECT max(i.ordinal) FROM items_v3 i JOIN ingests g ON g.id = i.ingest_id
            WHERE g.source_id = sources_v3.id), 0),
  coalesce((SELECT max(CAST(substr(q.source_key, 66) AS INTEGER)) FROM quarantine q
            WHERE q.stage = 'ingest' AND substr(q.source_key, 1, 64) = sources_v3.digest), 0));

DROP TABLE items;
DROP TABLE sources;
ALTER TABLE sources_v3 RENAME TO sources;
ALTER TABLE items_v3 RENAME TO items;
CREATE INDEX items_unexported ON items (id) WHERE export_seq IS NULL;

CREATE VIEW item_records AS
SELECT it.id, g.name AS source, s.digest || ':' || it.ordinal AS source_key, it.line, g.ingested_at,
       g.policy_digest, it.export_seq,
       CASE WHEN g.columns IS NULL THEN it.payload
            ELSE (SELECT json_group_object(c.value, json_extract(it.payload, '$[' || c.key || ']'))
                  FROM json_each(g.columns) AS c)
       END AS payload
FROM items it JOIN ingests g ON g.id = it.ingest_id JOIN sources s ON s.id = g.source_id;
