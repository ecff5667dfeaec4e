-- The receiving side's ledger (hub.db, docs/hub.md): the sites a hub receives from, every archive
-- it landed, and every archive it refused and why. The lake's files are named by what is here.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- A site the hub takes archives from: its archives must be signed by this key.
CREATE TABLE sites (
  id         TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,            -- minisign public key file text
  key_id     TEXT NOT NULL,
  added_at   TEXT NOT NULL,
  version    INTEGER NOT NULL DEFAULT 0,  -- grows with every landing or refusal: the receipt's serial
  changed_at TEXT                         -- when it last grew: the receipt's date
) STRICT;

-- One row per landed archive, 'landing' from the commit that fixes its lake files until they all
-- have their names, then 'landed'. (site, seq) is landed once; a second archive of the same
-- sequence lands only if it is the same bag (same tag manifest).
CREATE TABLE archives (
  site         TEXT NOT NULL REFERENCES sites (id),
  seq          INTEGER NOT NULL,
  name         TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('landing', 'landed')),
  sha256       TEXT NOT NULL,            -- of the archive file
  tagmanifest  TEXT NOT NULL,            -- SHA-256 of its tagmanifest-sha256.txt: the bag's identity
  previous     TEXT NOT NULL,            -- Edgectl-Previous-Tagmanifest-SHA256: the chain link
  group_id     TEXT NOT NULL,
  volume       INTEGER NOT NULL,
  volumes      INTEGER NOT NULL,
  bagging_date TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  records      TEXT NOT NULL,            -- JSON: rows landed per kind, frames
  files        TEXT NOT NULL,            -- JSON: [[staged, final], ...] relative to the hub
  source       TEXT NOT NULL,            -- the path it was received from
  received_at  TEXT NOT NULL,
  landed_at    TEXT,
  PRIMARY KEY (site, seq)
) STRICT;

-- An archive that was not landed, once per distinct file and reason.
CREATE TABLE refusals (
  id     INTEGER PRIMARY KEY,
  site   TEXT,                           -- the site its name gives, if any
  seq    INTEGER,
  name   TEXT NOT NULL,                  -- its file name
  sha256 TEXT NOT NULL,
  kind   TEXT NOT NULL,                  -- corrupt, signature, checksum, unknown-site, fork, chain, abandoned, name
  reason TEXT NOT NULL,
  source TEXT NOT NULL,
  at     TEXT NOT NULL,
  UNIQUE (sha256, reason)
) STRICT;
CREATE INDEX refusals_by_site ON refusals (site, id);
