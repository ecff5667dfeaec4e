-- Schema version 9: shadow scoring. A model may have one shadow: an installed version that scores
-- every item its active version scores, in the same run and from the same input, to be compared
-- with it on the site's own data before it is made active. Its predictions are kept apart from the
-- insights: they never raise anomalies and are exported in their own file.
CREATE TABLE shadow_models (
  name       TEXT PRIMARY KEY,
  version    TEXT NOT NULL,
  started_at TEXT NOT NULL,
  FOREIGN KEY (name, version) REFERENCES models(name, version)
) STRICT;

-- One answer of a shadow version for one item, beside the active version's insight for it. An item
-- the shadow answered with NaN or infinity has no label and no score, and the reason in `error`.
-- Score writes a batch's answers in the transaction that moves the active version's cursor past
-- its items, so each item gets one answer per shadow and active version. The table has one index,
-- on the item (purge asks whether an item is still named): every further index costs each answer
-- a B-tree insert, and score's writer is its bottleneck. Export selects by id range, models
-- compare reads the newest rows backwards.
CREATE TABLE shadow_insights (
  id             INTEGER PRIMARY KEY,
  item_id        INTEGER NOT NULL REFERENCES items(id),
  model          TEXT NOT NULL,
  model_version  TEXT NOT NULL,
  active_version TEXT NOT NULL,    -- the active version it scored beside
  label          TEXT,
  score          REAL,
  probabilities  TEXT,
  anomaly        INTEGER,          -- what its own rules would have said; never an anomaly raised
  error          TEXT,
  scored_at      TEXT NOT NULL,
  model_digest   TEXT NOT NULL,
  export_seq     INTEGER
) STRICT;
CREATE INDEX shadow_insights_by_item ON shadow_insights (item_id);

-- Shadow answers get ids that never come back, like insights (purge raises the floor first).
CREATE TABLE id_floors_v9 (
  name  TEXT PRIMARY KEY CHECK (name IN ('items', 'insights', 'quarantine', 'shadow_insights')),
  floor INTEGER NOT NULL
) STRICT;
INSERT INTO id_floors_v9 (name, floor) SELECT name, floor FROM id_floors;
DROP TABLE id_floors;
ALTER TABLE id_floors_v9 RENAME TO id_floors;
