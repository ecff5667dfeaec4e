-- Schema version 7: receipts from the receiving side. One row per hub key: the newest receipt
-- applied, so that an older one (replayed) is refused.
CREATE TABLE receipts (
  hub_key    TEXT PRIMARY KEY,   -- the signing key's id, as minisign prints it
  hub        TEXT NOT NULL,
  serial     INTEGER NOT NULL,
  sha256     TEXT NOT NULL,      -- of the receipt file
  applied_at TEXT NOT NULL
) STRICT;
