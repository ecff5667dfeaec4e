#!/usr/bin/env python3
"""Prints the end state of an edgectl store, and of the directories a command writes, as text that
is equal for two runs exactly when they left the same state (times, nonces and archive bytes aside).

The crash tests (tests/cli/lib_crash.sh) compare this text after "killed at a durability point,
then run again" with the text after one uninterrupted run. Lines starting with 'PROBLEM:' break a
guarantee whatever the reference says (a torn model, a leftover temporary file, a row exported
twice, an archive without its ledger row, ...); the tests fail on any of them.

  crash_state.py [--store DIR [--fresh-store]] [--target DIR]... [--dir DIR]... [--names DIR]...
                 [--keys DIR]... [--package FILE]...

--store: the store (database contents, files, models, staging). With --fresh-store, the site's
  secret and key pair, random in every run, are checked (64 hex digits; a matching key pair)
  rather than compared.
--target: an export target (every archive complete, verified, ledgered; nothing else on it).
--dir: any other directory the command writes (listing with contents; no temporary files).
--names: the same, by names and modes only (for contents that differ in every run).
--keys: a directory of minisign key pairs, PREFIX.key beside PREFIX.pub: each pair complete and
  matching (keys are random, so not compared); nothing else in it.
--hub DIR: a hub (the receiving side): its ledger (times aside), every file of its lake and
  evidence, its receipts (their date aside; each must verify with minisign against hub.pub), and
  nothing left in staging or half-landed.
--package FILE: a model package (its bytes carry a time): 'edgectl verify' passes, and its
  SHA256SUMS, which names every file's digest, is shown.
The edgectl binary is $EDGECTL (for 'edgectl verify').
"""
import base64
import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

out = []


def say(line=""):
    out.append(line)


def problem(text):
    out.append("PROBLEM: " + text)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def file_sha(path):
    with open(path, "rb") as f:
        return sha(f.read())


def digest_rows(rows):
    """A short digest of a list of rows (already in a canonical order)."""
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return h.hexdigest()[:16]


def is_temporary(name):
    """Names that only a killed writer leaves: AtomicFile temporaries, partial archives, a half-made init."""
    return ".tmp-" in name or name.endswith(".partial") or name.startswith(".edgectl.db.init")


def listing(root, skip=lambda rel: False, what="file", content=lambda rel, path: file_sha(path)[:16]):
    """Every entry under root: relative path, type, mode and (for files) what content() says."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if skip(rel):
                continue
            st = os.lstat(path)
            mode = oct(st.st_mode & 0o7777)
            if os.path.isdir(path) and not os.path.islink(path):
                entries.append(f"{rel}/ {mode}")
            else:
                entries.append(f"{rel} {mode} {content(rel, path)}")
            if is_temporary(name):
                problem(f"{what} '{path}' is a temporary that a killed run left behind")
    return entries


# ---- the database ---------------------------------------------------------------------------------

def rows(db, sql, *args):
    return [tuple(r) for r in db.execute(sql, args).fetchall()]


def show(db, title, sql):
    say(f"== {title}")
    for r in rows(db, sql):
        say("  " + "|".join("NULL" if v is None else str(v) for v in r))


def rounded(value):
    return None if value is None else f"{value:.6f}"


def store_state(store):
    db_path = os.path.join(store, "edgectl.db")
    if not os.path.exists(db_path):
        say("== no database")
        return None
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    say("== integrity")
    integrity = rows(db, "PRAGMA integrity_check")
    say("  " + " ".join(str(r[0]) for r in integrity))
    if integrity != [("ok",)]:
        problem(f"PRAGMA integrity_check: {integrity}")
    fk = rows(db, "PRAGMA foreign_key_check")
    if fk:
        problem(f"foreign_key_check: {fk[:5]}")
    say(f"== schema version {rows(db, 'PRAGMA user_version')[0][0]}")
    show(db, "meta", "SELECT key, value FROM meta WHERE key <> 'created_at' ORDER BY key")

    # Doubles, whatever the schema's keys say.
    for what, sql in [
        ("items by source key", "SELECT s.digest || ':' || it.ordinal, count(*) FROM items it "
                                "JOIN sources s ON s.id = it.source_id GROUP BY 1 HAVING count(*) > 1"),
        ("insights by (item, model, version)", "SELECT item_id, model, model_version, count(*) FROM insights "
                                               "GROUP BY 1, 2, 3 HAVING count(*) > 1"),
        ("quarantine by (source key, model, version)", "SELECT source_key, model, model_version, count(*) "
                                                        "FROM quarantine GROUP BY 1, 2, 3 HAVING count(*) > 1"),
        ("sources by digest", "SELECT digest, count(*) FROM sources GROUP BY 1 HAVING count(*) > 1"),
    ]:
        doubles = rows(db, sql)
        if doubles:
            problem(f"{len(doubles)} {what} stored twice, e.g. {doubles[0]}")
    empty = rows(db, "SELECT count(*) FROM ingests g WHERE NOT EXISTS (SELECT 1 FROM items WHERE ingest_id = g.id)")[0][0]
    if empty:
        problem(f"{empty} ingests rows without items")

    check_images(db, store)

    say("== counts")
    for table in ("items", "insights", "quarantine", "sources", "exports", "models", "images"):
        if rows(db, "SELECT 1 FROM sqlite_master WHERE name = ?", table):
            say(f"  {table} {rows(db, f'SELECT count(*) FROM {table}')[0][0]}")
    show(db, "quarantine by stage", "SELECT stage, model, model_version, count(*) FROM quarantine GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    show(db, "sources", "SELECT digest, name, path, format, records, quarantined, complete, done FROM sources ORDER BY digest")

    items = rows(db, "SELECT s.digest, it.ordinal, it.line, g.name, g.columns, g.policy_digest, it.payload, it.export_seq "
                     "FROM items it JOIN sources s ON s.id = it.source_id JOIN ingests g ON g.id = it.ingest_id "
                     "ORDER BY s.digest, it.ordinal")
    say(f"== items {len(items)} {digest_rows(items)}")
    insights = [(r[0], r[1], r[2], r[3], rounded(r[4]),
                 None if r[5] is None else [rounded(p) for p in json.loads(r[5])], r[6], r[7], r[8])
                for r in rows(db, "SELECT s.digest || ':' || it.ordinal, i.model, i.model_version, i.label, i.score, "
                                  "i.probabilities, i.anomaly, i.model_digest, i.export_seq FROM insights i "
                                  "JOIN items it ON it.id = i.item_id JOIN sources s ON s.id = it.source_id "
                                  "ORDER BY 1, 2, 3")]
    say(f"== insights {len(insights)} {digest_rows(insights)}")
    if rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'shadow_insights'")[0][0]:
        # Written in score's transactions beside the insights: one answer per item and shadow version.
        shadow = [(r[0], r[1], r[2], r[3], r[4], rounded(r[5]),
                   None if r[6] is None else [rounded(p) for p in json.loads(r[6])], r[7], r[8], r[9], r[10])
                  for r in rows(db, "SELECT s.digest || ':' || it.ordinal, a.model, a.model_version, a.active_version, "
                                    "a.label, a.score, a.probabilities, a.anomaly, a.error, a.model_digest, a.export_seq "
                                    "FROM shadow_insights a JOIN items it ON it.id = a.item_id "
                                    "JOIN sources s ON s.id = it.source_id ORDER BY 1, 2, 3")]
        say(f"== shadow answers {len(shadow)} {digest_rows(shadow)}")
        doubles = rows(db, "SELECT item_id, model, model_version, active_version FROM shadow_insights "
                           "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
        if doubles:
            problem(f"{len(doubles)} shadow answers stored twice, e.g. {doubles[0]}")
        show(db, "shadow_models", "SELECT name, version FROM shadow_models ORDER BY 1")
    quarantine = rows(db, "SELECT q.stage, q.source, q.line, q.source_key, q.model, q.model_version, q.reason, q.raw, "
                          "s.digest || ':' || it.ordinal, q.export_seq FROM quarantine q LEFT JOIN items it ON it.id = q.item_id "
                          "LEFT JOIN sources s ON s.id = it.source_id ORDER BY q.source_key, q.model, q.model_version")
    say(f"== quarantine {len(quarantine)} {digest_rows(quarantine)}")
    show(db, "score_progress", "SELECT model, model_version, last_item_id FROM score_progress ORDER BY 1, 2")
    show(db, "id_floors", "SELECT name, floor FROM id_floors ORDER BY 1")

    show(db, "exports", "SELECT seq, name, state, rows, json(counts), target, digest IS NOT NULL, acked_at IS NOT NULL, "
                        "abandoned_at IS NOT NULL FROM exports ORDER BY seq")
    show(db, "marked rows per export", "SELECT 'insights', export_seq, count(*) FROM insights WHERE export_seq IS NOT NULL GROUP BY 2 "
                                       "UNION ALL SELECT 'items', export_seq, count(*) FROM items WHERE export_seq IS NOT NULL GROUP BY 2 "
                                       "UNION ALL SELECT 'quarantine', export_seq, count(*) FROM quarantine "
                                       "WHERE export_seq IS NOT NULL GROUP BY 2 ORDER BY 1, 2")
    # Purge deletes exported rows (and first raises the id floors above them): then fewer rows than
    # the ledger counted are left marked, never more.
    purged = rows(db, "SELECT count(*) FROM id_floors WHERE floor > 0")[0][0] > 0
    for seq, name, state, row_count in rows(db, "SELECT seq, name, state, rows FROM exports"):
        marked = sum(rows(db, f"SELECT count(*) FROM {t} WHERE export_seq = ?", seq)[0][0]
                     for t in ("insights", "items", "quarantine", "drift_windows", "shadow_insights")
                     if rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = ?", t)[0][0])
        if state == "complete" and (marked > row_count or (marked < row_count and not purged)):
            problem(f"export {name} is complete with {row_count} rows in the ledger but {marked} rows marked")
        if state != "complete" and marked:
            problem(f"export {name} is {state} but {marked} rows are marked with it")

    if rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'drift_windows'")[0][0]:
        # Counted in score's transactions: a rerun after a kill counts every item exactly once.
        show(db, "drift_windows", "SELECT model, model_version, first_item_id, last_item_id, items, counts, "
                                  "closed_at IS NOT NULL, flagged, indices FROM drift_windows ORDER BY 1, 2, 3")
    if rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'receipts'")[0][0]:
        show(db, "receipts", "SELECT hub_key, hub, serial, sha256 FROM receipts ORDER BY 1")
    show(db, "models", "SELECT name, version, digest, signer, removed_at IS NOT NULL FROM models ORDER BY 1, 2")
    show(db, "active_models", "SELECT name, version, previous_version FROM active_models ORDER BY 1")
    check_models(db, store)
    return db


def check_images(db, store):
    """Every frame a row names is a file holding exactly the bytes of its digest, and every image
    file is named by a row (a file a killed run left is removed by the next ingest)."""
    if not rows(db, "SELECT 1 FROM sqlite_master WHERE name = 'images'"):
        return  # a store older than frames
    named = {r[0]: r[1] for r in rows(db, "SELECT digest, bytes FROM images")}
    for (digest,) in rows(db, "SELECT DISTINCT image FROM items WHERE image IS NOT NULL"):
        if digest not in named:
            problem(f"an item names image {digest[:16]}, which has no images row")
    on_disk = set()
    images = os.path.join(store, "images")
    for dirpath, _, filenames in os.walk(images):
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, store)
            if name not in named or os.path.basename(dirpath) != name[:2]:
                problem(f"{rel} is an image file no row names")
                continue
            on_disk.add(name)
            if file_sha(path) != name or os.path.getsize(path) != named[name]:
                problem(f"{rel} does not hold the bytes its name says")
    for digest in sorted(set(named) - on_disk):
        problem(f"image {digest[:16]} has a row but no file")


def check_models(db, store):
    """Every version directory complete and registered; every registered version present."""
    registered = {(n, v): (d, spec, signer) for n, v, d, spec, signer in
                  rows(db, "SELECT name, version, digest, spec, signer FROM models WHERE removed_at IS NULL")}
    models_dir = os.path.join(store, "models")
    present = set()
    for name in sorted(os.listdir(models_dir)) if os.path.isdir(models_dir) else []:
        for version in sorted(os.listdir(os.path.join(models_dir, name))):
            present.add((name, version))
            where = f"models/{name}/{version}"
            d = os.path.join(models_dir, name, version)
            if (name, version) not in registered:
                problem(f"{where} is on disk without a registry row (or its row says removed)")
                continue
            digest, spec, signer = registered[(name, version)]
            sums_path = os.path.join(d, "SHA256SUMS")
            if not os.path.isfile(sums_path):
                problem(f"{where} has no SHA256SUMS: half-installed")
                continue
            with open(sums_path, "rb") as f:
                sums = f.read()
            if sha(sums) != digest:
                problem(f"{where}/SHA256SUMS is not the one registered")
            expected = {"SHA256SUMS"} | ({"SHA256SUMS.minisig"} if signer else set())
            for line in sums.decode().splitlines():
                want, file = line.split(None, 1)
                file = file.lstrip("*")
                expected.add(file)
                p = os.path.join(d, file)
                if not os.path.isfile(p) or file_sha(p) != want:
                    problem(f"{where}/{file} is missing or differs from SHA256SUMS: half-installed")
            held = {os.path.relpath(os.path.join(root, f), d) for root, _, files in os.walk(d) for f in files}
            if held != expected:
                problem(f"{where} holds {sorted(held)}, expected {sorted(expected)}")
            with open(os.path.join(d, "model.json"), encoding="utf-8") as f:
                if f.read() != spec:
                    problem(f"{where}/model.json is not the registered spec")
    for key in sorted(set(registered) - present):
        problem(f"models/{key[0]}/{key[1]} is registered but not on disk")


def minisign_key(path, secret):
    """(key id, public key) of a minisign key file; secret keys must be unencrypted (edgectl's)."""
    with open(path, encoding="ascii") as f:
        lines = f.read().splitlines()
    raw = base64.b64decode(lines[1])
    if secret:
        if raw[:2] != b"Ed" or raw[2:4] != b"\0\0" or len(raw) != 158:
            raise ValueError("not an unencrypted Ed25519 minisign secret key")
        return raw[54:62], raw[62 + 32:62 + 64]
    if raw[:2] != b"Ed" or len(raw) != 42:
        raise ValueError("not an Ed25519 minisign public key")
    return raw[2:10], raw[10:42]


def key_pair(prefix):
    """'a matching key pair', or a PROBLEM."""
    try:
        if minisign_key(prefix + ".key", True) == minisign_key(prefix + ".pub", False):
            return "a matching key pair"
        problem(f"{prefix}.key and {prefix}.pub are not one key pair")
    except (OSError, ValueError, IndexError) as e:
        problem(f"{prefix}.key / {prefix}.pub: {e}")
    return "not a key pair"


def random_content(rel, path):
    """For a fresh store: what the random files must be, instead of their digests."""
    if rel == "site.secret":
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.read()
        ok = len(text) == 65 and text.endswith("\n") and all(c in "0123456789abcdef" for c in text[:64])
        if not ok:
            problem(f"{path} is not 64 hex digits and a newline")
        return "64 hex digits" if ok else "damaged"
    if rel in ("site.key", "site.pub"):
        return key_pair(os.path.join(os.path.dirname(path), "site"))
    return file_sha(path)[:16]


def store_files(store, fresh):
    # The database is compared by its contents above; lock files are the kernel's business.
    def skip(rel):
        return rel in ("edgectl.db", "edgectl.db-wal", "edgectl.db-shm") or rel.startswith("locks" + os.sep)
    say("== store files")
    for e in listing(store, skip, "store file", random_content if fresh else lambda rel, path: file_sha(path)[:16]):
        say("  " + e)
    staging = os.path.join(store, "staging")
    if os.path.isdir(staging) and os.listdir(staging):
        problem(f"staging is not empty: {sorted(os.listdir(staging))}")


# ---- export targets -------------------------------------------------------------------------------

def unpack(archive):
    """The files of a .tar.zst, unpacked with GNU tar (no edgectl code) into a temporary directory."""
    d = tempfile.mkdtemp(prefix="crash-state-")
    subprocess.run(["tar", "--zstd", "-xf", archive, "-C", d], capture_output=True)
    return d


def member(unpacked, name):
    """The bytes of one unpacked member (empty when absent)."""
    path = os.path.join(unpacked, name)
    if not os.path.isfile(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def records(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def target_state(target, db, edgectl):
    say(f"== target {target}")
    names = sorted(os.listdir(target)) if os.path.isdir(target) else []
    archives = [n for n in names if n.endswith(".tar.zst")]
    expected = {a + s for a in archives for s in ("", ".sha256", ".minisig")}
    for n in names:
        if n not in expected:
            problem(f"'{n}' on the target is not a complete archive's file (a leftover, or a sidecar without its archive)")
    seen = {}
    for a in archives:
        path = os.path.join(target, a)
        bag = a[: -len(".tar.zst")]
        v = subprocess.run([edgectl, "verify", path], capture_output=True, text=True)
        if v.returncode != 0:
            problem(f"edgectl verify {a}: exit {v.returncode}: {v.stdout.strip()} {v.stderr.strip()}")
        if os.path.exists(path + ".sha256"):
            c = subprocess.run(["sha256sum", "--quiet", "-c", a + ".sha256"], cwd=target, capture_output=True, text=True)
            if c.returncode != 0:
                problem(f"sha256sum -c {a}.sha256: {c.stdout.strip()} {c.stderr.strip()}")
        else:
            problem(f"{a} has no .sha256")
        if not os.path.exists(path + ".minisig"):
            problem(f"{a} has no .minisig")
        unpacked = unpack(path)
        info = dict(line.split(": ", 1) for line in member(unpacked, f"{bag}/bag-info.txt").decode().splitlines() if ": " in line)
        seq = int(info.get("Edgectl-Export-Sequence", "0"))
        ledger = rows(db, "SELECT state FROM exports WHERE name = ? AND seq = ?", bag, seq) if db else []
        if ledger != [("complete",)]:
            problem(f"{a} is on the target but its ledger row is {ledger or 'missing'}")
        contents = {}
        for kind, field, table, extra in [("insights", "insight_id", "insights", ""),
                                          ("anomalies", "insight_id", "insights", " AND anomaly = 1"),
                                          ("items", "item_id", "items", ""),
                                          ("quarantine", "quarantine_id", "quarantine", "")]:
            ids = [r[field] for r in records(member(unpacked, f"{bag}/data/{kind}.ndjson"))]
            contents[kind] = sorted(ids)
            for i in ids:
                if (kind, i) in seen:
                    problem(f"{kind} id {i} is in both {seen[(kind, i)]} and {a}")
                seen[(kind, i)] = a
            if db:
                marked = [r[0] for r in rows(db, f"SELECT id FROM {table} WHERE export_seq = ?{extra} ORDER BY id", seq)]
                # Rows purged since are no longer in the store; every row still there is marked.
                kept = [i for i in sorted(ids) if rows(db, f"SELECT 1 FROM {table} WHERE id = ?", i)]
                if marked != kept:
                    problem(f"{a} holds {len(ids)} {kind} records ({len(kept)} still in the store); the store marks "
                            f"{len(marked)} rows with its sequence {seq}")
        shutil.rmtree(unpacked)
        # Bag-Count and the group say which run wrote a volume, not what the store holds: shown, not compared.
        say(f"  {a} seq {seq} " + " ".join(f"{k} {len(v)} {digest_rows(v)[:8]}" for k, v in contents.items()))
    if db:
        for name, target_of in rows(db, "SELECT name, target FROM exports WHERE state = 'complete'"):
            if os.path.realpath(target_of) == os.path.realpath(target) and name + ".tar.zst" not in archives:
                problem(f"the ledger holds export {name} as complete on {target}, but its archive is not there")


def dir_state(d):
    say(f"== dir {d}")
    if not os.path.isdir(d):
        say("  (absent)")
        return
    for e in listing(d, what="file"):
        say("  " + e)


def names_state(d):
    say(f"== names {d}")
    for e in listing(d, what="file", content=lambda rel, path: "") if os.path.isdir(d) else ["(absent)"]:
        say("  " + e)


def keys_state(d):
    say(f"== keys {d}")
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    for n in names:
        path = os.path.join(d, n)
        mode = oct(os.lstat(path).st_mode & 0o7777)
        prefix, ext = os.path.splitext(path)
        if ext in (".key", ".pub"):
            say(f"  {n} {mode} {key_pair(prefix)}")
        else:
            say(f"  {n} {mode}")
            problem(f"'{path}' is not a key file (a leftover temporary?)")


def package_state(path, edgectl):
    say(f"== package {path}")
    if not os.path.exists(path):
        say("  (absent)")
        return
    v = subprocess.run([edgectl, "verify", path], capture_output=True, text=True)
    if v.returncode != 0:
        problem(f"edgectl verify {path}: exit {v.returncode}: {v.stdout.strip()} {v.stderr.strip()}")
    unpacked = unpack(path)
    say(f"  SHA256SUMS {sha(member(unpacked, 'SHA256SUMS'))[:16]}, signed: {os.path.exists(os.path.join(unpacked, 'SHA256SUMS.minisig'))}")
    shutil.rmtree(unpacked)


def hub_state(hub):
    say(f"== hub {hub}")
    db = sqlite3.connect(f"file:{os.path.join(hub, 'hub.db')}?mode=ro", uri=True)
    say("  integrity " + rows(db, "PRAGMA integrity_check")[0][0])
    show(db, "hub sites", "SELECT id, key_id, version FROM sites ORDER BY id")
    show(db, "hub archives", "SELECT site, seq, name, state, sha256, tagmanifest, previous, group_id, volume, volumes, "
                             "bagging_date, bytes, records, files, source FROM archives ORDER BY site, seq")
    for site, seq, state in rows(db, "SELECT site, seq, state FROM archives WHERE state != 'landed'"):
        problem(f"archive {site} {seq} is {state}: a landing left unfinished")
    show(db, "hub refusals", "SELECT site, seq, name, sha256, kind, reason, source FROM refusals ORDER BY id")
    for sub in ("lake", "evidence"):
        say(f"== hub {sub}")
        for e in listing(os.path.join(hub, sub), what=f"hub {sub} file"):
            say("  " + e)
    staged = sorted(os.listdir(os.path.join(hub, "staging")))
    if staged:
        problem(f"the hub's staging holds {staged}")
    say("== hub receipts")
    receipts = os.path.join(hub, "receipts")
    for name in sorted(os.listdir(receipts)):
        path = os.path.join(receipts, name)
        if is_temporary(name):
            problem(f"receipt '{path}' is a temporary that a killed run left behind")
        if not name.endswith(".receipt"):
            continue
        doc = json.load(open(path))
        doc.pop("issued_at", None)
        for f in doc.get("refused", []):
            f.pop("at", None)
        say(f"  {name} {json.dumps(doc, sort_keys=True)}")
        v = subprocess.run(["minisign", "-Vqm", path, "-p", os.path.join(hub, "hub.pub")], capture_output=True, text=True)
        if v.returncode != 0:
            problem(f"receipt '{path}' does not verify: {v.stderr.strip()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store")
    ap.add_argument("--target", action="append", default=[])
    ap.add_argument("--dir", action="append", default=[])
    ap.add_argument("--names", action="append", default=[])
    ap.add_argument("--keys", action="append", default=[])
    ap.add_argument("--package", action="append", default=[])
    ap.add_argument("--hub", action="append", default=[])
    ap.add_argument("--fresh-store", action="store_true")
    a = ap.parse_args()
    edgectl = os.environ.get("EDGECTL", "edgectl")
    db = None
    if a.store:
        db = store_state(a.store)
        store_files(a.store, a.fresh_store)
    for t in a.target:
        target_state(t, db, edgectl)
    for d in a.dir:
        dir_state(d)
    for d in a.names:
        names_state(d)
    for d in a.keys:
        keys_state(d)
    for p in a.package:
        package_state(p, edgectl)
    for h in a.hub:
        hub_state(h)
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
