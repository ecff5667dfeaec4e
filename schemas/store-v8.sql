-- Schema version 8: drift windows. Score counts, per model version, how the items it scores fall
-- into the bins of the training data's statistics (model.json's reference) and how its predictions
-- fall into the labels or score bins, a window of N items at a time. The open window (closed_at
-- NULL) is updated in the same transaction as the insights it counts. Once it holds the model's
-- window of items it is closed: written again as a new row, with its indices and flags, and the open
-- row deleted, so that closed windows get ids in the order they close (an export plans closed
-- windows by id range while score may close more).
CREATE TABLE drift_windows (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  model         TEXT NOT NULL,
  model_version TEXT NOT NULL,
  first_item_id INTEGER NOT NULL,
  last_item_id  INTEGER NOT NULL,
  items         INTEGER NOT NULL,   -- items counted: scored, or set aside for a missing value
  counts        TEXT NOT NULL,      -- JSON: per feature its bins and missing, labels or score bins
  opened_at     TEXT NOT NULL,
  closed_at     TEXT,               -- NULL while open
  psi_max       REAL,               -- closed: the largest population stability index of a feature
  labels_js     REAL,               -- closed: Jensen-Shannon distance of predicted labels (classification)
  scores_psi    REAL,               -- closed: PSI of the scores (regression, score)
  flagged       INTEGER,            -- closed: 1 when an index is above the model's threshold
  indices       TEXT,               -- closed: JSON {"psi": {name: psi}, "missing": {name: share}, ...}
  export_seq    INTEGER             -- closed: the export that carried it (data/drift.ndjson)
) STRICT;
CREATE UNIQUE INDEX drift_windows_open ON drift_windows (model, model_version) WHERE closed_at IS NULL;
CREATE INDEX drift_windows_unexported ON drift_windows (id) WHERE export_seq IS NULL AND closed_at IS NOT NULL;
