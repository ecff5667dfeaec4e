-- edgectl store, schema version 1. Applied in one transaction by `edgectl init` (or by the forward
-- migration from version 0); PRAGMA user_version records it.

-- Facts about this store: site id, creation time.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- One row per distinct source file content ever ingested (by SHA-256 of its bytes).
-- complete = 1 once every record of the file is committed: re-ingesting it is then a no-op.
CREATE TABLE sources (
  digest      TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  path        TEXT NOT NULL,
  format      TEXT NOT NULL,
  records     INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  complete    INTEGER NOT NULL DEFAULT 0,
  ingested_at TEXT NOT NULL
) STRICT;

-- One unit to score. source_key = '<sha256 of source file>:<record ordinal>' makes ingest idempotent.
-- payload is the scrubbed record as a JSON object.
CREATE TABLE items (
  id          INTEGER PRIMARY KEY,
  source_key  TEXT NOT NULL UNIQUE,
  source      TEXT NOT NULL,
  line        INTEGER NOT NULL,
  ingested_at TEXT NOT NULL,
  payload     TEXT NOT NULL
) STRICT;

-- What could not be taken: at ingest (stage 'ingest', model '') or for one model at score time.
CREATE TABLE quarantine (
  id            INTEGER PRIMARY KEY,
  stage         TEXT NOT NULL CHECK (stage IN ('ingest', 'score')),
  source        TEXT NOT NULL,
  line          INTEGER NOT NULL,
  source_key    TEXT NOT NULL,
  item_id       INTEGER REFERENCES items(id),
  model         TEXT NOT NULL DEFAULT '',
  model_version TEXT NOT NULL DEFAULT '',
  reason        TEXT NOT NULL,
  raw           TEXT,
  created_at    TEXT NOT NULL,
  export_seq    INTEGER,
  UNIQUE (source_key, model, model_version)
) STRICT;

-- Imported model versions (immutable; files under models/<name>/<version>/).
CREATE TABLE models (
  name        TEXT NOT NULL,
  version     TEXT NOT NULL,
  digest      TEXT NOT NULL,
  signer      TEXT,
  spec        TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (name, version)
) STRICT;

-- The active version of each model, and the one active before it (for rollback).
CREATE TABLE active_models (
  name             TEXT PRIMARY KEY,
  version          TEXT NOT NULL,
  previous_version TEXT,
  activated_at     TEXT NOT NULL,
  FOREIGN KEY (name, version) REFERENCES models(name, version)
) STRICT;

-- Scoring high-water mark per model version: every item with id <= last_item_id has an insight or a
-- quarantine row for that version. Advanced in the same transaction as the rows it covers.
CREATE TABLE score_progress (
  model         TEXT NOT NULL,
  model_version TEXT NOT NULL,
  last_item_id  INTEGER NOT NULL,
  PRIMARY KEY (model, model_version)
) STRICT;

-- One prediction of one model version for one item.
CREATE TABLE insights (
  id            INTEGER PRIMARY KEY,
  item_id       INTEGER NOT NULL REFERENCES items(id),
  model         TEXT NOT NULL,
  model_version TEXT NOT NULL,
  label         TEXT,
  score         REAL NOT NULL,
  probabilities TEXT,
  anomaly       INTEGER NOT NULL,
  scored_at     TEXT NOT NULL,
  export_seq    INTEGER,
  UNIQUE (item_id, model, model_version)
) STRICT;
CREATE INDEX insights_unexported ON insights (id) WHERE export_seq IS NULL;

-- The export ledger. state 'pending' is written before the archive is built and records the
-- high-water mark of the rows it holds, and a random nonce that the archive's bag-info.txt repeats
-- (so an archive found on the target is known to be this very export); 'complete' only after the archive is under its final name.
CREATE TABLE exports (
  seq                INTEGER PRIMARY KEY,
  name               TEXT NOT NULL,
  nonce              TEXT NOT NULL,
  target             TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('pending', 'complete')),
  max_insight_id     INTEGER NOT NULL,
  rows               INTEGER NOT NULL DEFAULT 0,
  bytes              INTEGER NOT NULL DEFAULT 0,
  digest             TEXT,
  tagmanifest_digest TEXT,
  started_at         TEXT NOT NULL,
  completed_at       TEXT
) STRICT;
