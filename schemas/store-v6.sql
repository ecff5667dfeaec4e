-- edgectl store, migration 5 -> 6: camera frames.
--
-- A frame is one item. Its bytes, stripped of identifying metadata, are a file of the store named
-- by their SHA-256 (images/<first two hex digits>/<digest>), written and synced before the row that
-- names it commits: several items may share one file, and a file no row names (a run killed before
-- its commit, or rows purge deleted) is removed by the next ingest. The item's payload is a JSON
-- object describing the frame; `image` names its file, and is NULL for a record.
CREATE TABLE images (
  digest    TEXT PRIMARY KEY,                              -- SHA-256 of the stored bytes
  format    TEXT NOT NULL CHECK (format IN ('jpeg', 'png')),
  bytes     INTEGER NOT NULL,
  width     INTEGER NOT NULL,
  height    INTEGER NOT NULL,
  stored_at TEXT NOT NULL
) STRICT;

ALTER TABLE items ADD COLUMN image TEXT REFERENCES images(digest);
CREATE INDEX items_by_image ON items (image) WHERE image IS NOT NULL;
