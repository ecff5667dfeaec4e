-- Schema version 10: a shadow's answers are stored a run of items to a row. Writing a row per
-- answer cost score's writer, its bottleneck, more than the shadow's forward pass cost its own
-- thread (docs/benchmarks-shadow.md); a row of up to 64 answers costs it one insert.
--
-- A row holds the answers of one shadow version beside one active version for consecutive items of
-- one batch. Its answers have ids `id`, `id` + 1, ... `id` + `answers` - 1, never given again (the
-- floor named 'shadow_insights' in id_floors is the highest answer id given). `body` is a JSON
-- array with one element per answer, in item order:
--   [item_id, label, score, anomaly, probabilities]   an answer (label and probabilities may be null)
--   [item_id, null, null, null, null, error]          an answer of NaN or infinity, and why
-- Every item from first_item_id to last_item_id is kept while the row is (purge asks by range).
ALTER TABLE shadow_insights RENAME TO shadow_insights_v9;

CREATE TABLE shadow_answers (
  id             INTEGER PRIMARY KEY,
  answers        INTEGER NOT NULL CHECK (answers >= 1),
  first_item_id  INTEGER NOT NULL REFERENCES items(id),
  last_item_id   INTEGER NOT NULL REFERENCES items(id),
  model          TEXT NOT NULL,
  model_version  TEXT NOT NULL,
  active_version TEXT NOT NULL,    -- the active version it scored beside
  scored_at      TEXT NOT NULL,
  model_digest   TEXT NOT NULL,
  export_seq     INTEGER,
  body           TEXT NOT NULL     -- score writes it valid; checking it here cost a parse an insert
) STRICT;

-- Each answer as the row it was before, for reading (models compare, status, tests): an answer's
-- anomaly is what its own rules would have said, never an anomaly raised.
CREATE VIEW shadow_insights AS
  SELECT b.id + a.key AS id, b.id AS row_id, json_extract(a.value, '$[0]') AS item_id, b.model,
         b.model_version, b.active_version, json_extract(a.value, '$[1]') AS label,
         json_extract(a.value, '$[2]') AS score, json_extract(a.value, '$[4]') AS probabilities,
         json_extract(a.value, '$[3]') AS anomaly, json_extract(a.value, '$[5]') AS error, b.scored_at,
         b.model_digest, b.export_seq
  FROM shadow_answers b, json_each(b.body) a;

-- The answers so far, each a row of one (ids kept, so exports already made keep naming them).
INSERT INTO shadow_answers (id, answers, first_item_id, last_item_id, model, model_version, active_version,
                            scored_at, model_digest, export_seq, body)
  SELECT id, 1, item_id, item_id, model, model_version, active_version, scored_at, model_digest, export_seq,
         json_array(CASE WHEN error IS NULL
                         THEN json_array(item_id, label, score, anomaly, json(probabilities))
                         ELSE json_array(item_id, NULL, NULL, NULL, NULL, error) END)
  FROM shadow_insights_v9;
DROP TABLE shadow_insights_v9;
