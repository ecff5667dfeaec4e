#!/usr/bin/env python3
"""Checks the fsync discipline of edgectl from its durability-point traces (EDGECTL_CRASH_TRACE).

A killed process loses nothing the kernel already holds, so killing the binary at every point
(the crash tests) cannot see a missing fsync; a power cut would. This checker can: it reads the
points in the order a command passed them and enforces

  R1  what a rename publishes was made durable first: the temporary it renames (the sibling
      '.NAME.tmp-*' of an AtomicFile, or '.NAME.partial' of an export archive) was fsynced, by this
      process or by an earlier one of the same history (a killed run whose archive a rerun names);
      a staged directory published whole (import.version) was fsynced after its last entry; the
      database a new store renames into place (init.db) was committed (SQLite, synchronous=FULL)
      first. Moving a file edgectl only read (ingest.move) publishes nothing it wrote. A file a hub
      lands (receive.lake) was staged under ROOT/staging/land-*/ and made durable by a syncfs
      (receive.stage:syncfs) before the landing row that names it was committed (receive.landing).
  R2  a rename, unlink or mkdir changes its directory; that directory is fsynced (an ':fsync-dir'
      point) before the next commit, and before a process that finishes ends.
  R3  a rename between two directories (ingest.move, import.version) fsyncs both: the two points
      after it are ':fsync-dir' of two directories (unless ingest.move fell back to a copy across
      filesystems, whose own points then follow).
  R4  a file published for a later syncfs (a frame's image file, ingest.image, which no row names
      until its batch commits) may be renamed before it, or its directory, is fsynced; a ':syncfs'
      point, which makes every file and directory of the filesystem durable, must then come before
      the commit that names it (ingest.frames) and before a process that finishes ends. Other
      commits (a records file's, between two frames) name nothing of it. A syncfs also counts as the
      fsync-dir of R2.

  fsync_check.py TRACE...   one file per process, in the order they ran (a history: a killed run,
                            then its rerun); a last line '#exit RC' says how each ended. Exit 1 with
                            the violations on stderr; 0 when there are none.
  fsync_check.py --self-test
"""
import os
import sys

# R1 exceptions: steps whose rename publishes something other than a fsynced temporary.
MOVES = {"ingest.move"}                                  # the operator's file, moved as it is
COMMITTED_DB = {"init.db": "init.meta:commit",          # a database file: its commit made it durable
                "init.hub-db": "init.hub-meta:commit"}
STAGED_DIR = {"import.version": "import.stage"}          # a directory of files staged by that step
STAGED_FILES = {"receive.lake"}                          # files staged under ROOT/staging/land-*/
# R4: steps whose renames are made durable by a later syncfs, before anything refers to them.
SYNCED_LATER = {"ingest.image": "ingest.frames"}
# R3: renames from one directory to another.
# The copy of an ingest.move across filesystems starts by removing what a killed copy left
# ('-stale'), then writes and fsyncs its own temporary.
CROSS_DIR = {"ingest.move": ("ingest.move-copy-stale:unlink", "ingest.move-copy:fsync"), "import.version": None}


def parent(path):
    p = os.path.dirname(os.path.normpath(path))
    return p if p else "."


def norm(path):
    return os.path.normpath(path) if path else path


def check(histories):
    """histories: list of (name, lines). Returns the violations."""
    problems = []
    synced_files = set()      # files fsynced by any process of the history so far
    landing = {"staged_synced": False, "ok": False}  # receive: a syncfs since the last landing commit
    for trace_name, lines in histories:
        points = []
        exit_code = None
        for line in lines:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("#exit "):
                exit_code = int(line.split()[1])
                continue
            if line.startswith("#"):
                continue
            name, _, path = line.partition("\t")
            step, _, op = name.rpartition(":")
            points.append((name, step, op, norm(path)))
        dirty = {}            # directory -> the point that changed it
        staged = {}           # directory -> True once fsynced after its last change
        unsynced = []         # R4 renames waiting for a syncfs
        where = lambda i: f"{trace_name}:{i + 1} {points[i][0]} {points[i][3]}"
        for i, (name, step, op, path) in enumerate(points):
            if op == "fsync":
                synced_files.add(path)
            elif op == "fsync-dir":
                dirty.pop(path, None)
                staged[path] = True
            elif op == "syncfs":
                if step == "receive.stage":
                    landing["staged_synced"] = True
                dirty.clear()
                staged = {d: True for d in staged}
                unsynced.clear()
            elif op in ("rename", "unlink", "mkdir"):
                if op == "rename" and step in SYNCED_LATER:
                    unsynced.append((SYNCED_LATER[step], where(i)))
                    continue  # its directory too waits for the syncfs
                if op == "rename" and step in STAGED_FILES:
                    if not landing["ok"]:
                        problems.append(f"{where(i)}: lands a file no syncfs made durable before its landing row")
                elif op == "rename":
                    problems += check_publish(i, points, synced_files, staged, where)
                    problems += check_cross_dir(i, points, where)
                d = parent(path)
                dirty[d] = where(i)
                staged[d] = False
            elif op == "commit":
                if step == "receive.landing":
                    landing["ok"], landing["staged_synced"] = landing["staged_synced"], False
                for d, what in dirty.items():
                    problems.append(f"{where(i)}: commit while directory '{d}' is not fsynced after {what}")
                dirty.clear()
                for committer, what in unsynced:
                    if committer == step:
                        problems.append(f"{where(i)}: commit before a syncfs made {what} durable")
                unsynced = [u for u in unsynced if u[0] != step]
        if exit_code is not None and exit_code != 137:
            for d, what in dirty.items():
                problems.append(f"{trace_name}: the process ended (exit {exit_code}) with directory '{d}' "
                                f"not fsynced after {what}")
            for _, what in unsynced:
                problems.append(f"{trace_name}: the process ended (exit {exit_code}) before a syncfs made {what} durable")
    return problems


def check_publish(i, points, synced_files, staged, where):
    name, step, op, target = points[i]
    if step in MOVES:
        return []
    if step in COMMITTED_DB:
        if any(p[0] == COMMITTED_DB[step] for p in points[:i]):
            return []
        return [f"{where(i)}: renamed into place before {COMMITTED_DB[step]}"]
    if step in STAGED_DIR:
        renames = [p for p in points[:i] if p[1] == STAGED_DIR[step] and p[2] == "rename"]
        if not renames:
            return [f"{where(i)}: publishes a directory no {STAGED_DIR[step]} point filled"]
        d = parent(renames[-1][3])
        if not staged.get(d):
            return [f"{where(i)}: publishes '{d}' before it was fsynced after its last entry"]
        return []
    base, d = os.path.basename(target), parent(target)
    temp_prefix, partial = os.path.join(d, "." + base + ".tmp-"), os.path.join(d, "." + base + ".partial")
    if any(f.startswith(temp_prefix) or f == partial for f in synced_files):
        return []
    return [f"{where(i)}: renamed into place, but no fsync of its temporary ('.{base}.tmp-*' or '.{base}.partial') came first"]


def check_cross_dir(i, points, where):
    name, step, op, target = points[i]
    if step not in CROSS_DIR:
        return []
    after = points[i + 1:i + 3]
    fallback = CROSS_DIR[step]
    if fallback and after and after[0][0] in fallback:
        return []
    dirs = {p[3] for p in after if p[2] == "fsync-dir"}
    if len(after) == 2 and all(p[2] == "fsync-dir" for p in after) and len(dirs) == 2:
        return []
    if len(after) < 2 and all(p[2] == "fsync-dir" for p in after):
        return []  # the process was killed before it got there
    return [f"{where(i)}: a rename between directories must fsync both; next came {[p[0] + ' ' + p[3] for p in after]}"]


def self_test():
    """The checker catches what it is meant to (and passes what it must)."""
    good = ["x.add:fsync\t/s/trust/.k.pub.tmp-1", "x.add:rename\t/s/trust/k.pub", "x.add:fsync-dir\t/s/trust", "x.tx:commit\t",
            "#exit 0"]
    cases = {
        "good": (good, 0),
        "rename without fsync": (["x.add:rename\t/s/trust/k.pub", "x.add:fsync-dir\t/s/trust", "#exit 0"], 1),
        "fsync of another file": (["x.add:fsync\t/s/trust/.j.pub.tmp-1", "x.add:rename\t/s/trust/k.pub",
                                   "x.add:fsync-dir\t/s/trust", "#exit 0"], 1),
        "no fsync-dir before commit": (["x.add:fsync\t/s/.k.tmp-1", "x.add:rename\t/s/k", "x.tx:commit\t",
                                        "x.add:fsync-dir\t/s", "#exit 0"], 1),
        "no fsync-dir before the end": (["x.rm:unlink\t/s/k", "#exit 0"], 1),
        "killed before its fsync-dir": (["x.rm:unlink\t/s/k", "#exit 137"], 0),
        "mkdir without fsync-dir": (["x.mk:mkdir\t/s/m", "x.tx:commit\t", "#exit 0"], 1),
        "move syncing one directory": (["ingest.move:rename\tout/a.csv", "ingest.move:fsync-dir\tout", "x.tx:commit\t",
                                        "#exit 0"], 1),
        "move syncing both": (["ingest.move:rename\tout/a.csv", "ingest.move:fsync-dir\tout",
                               "ingest.move:fsync-dir\tin", "#exit 0"], 0),
        "staged dir not synced": (["import.stage:fsync\t/s/st/i/.m.tmp-1", "import.stage:rename\t/s/st/i/m",
                                   "import.version:rename\t/s/models/n/1", "import.version:fsync-dir\t/s/models/n",
                                   "import.version:fsync-dir\t/s/st", "#exit 0"], 2),
        "landed file staged and synced": (["receive.stage:syncfs\t/h/staging", "receive.landing:commit\t",
                                           "receive.lake:mkdir\t/h/lake/k", "receive.lake:rename\t/h/lake/k/f",
                                           "receive.lake:syncfs\t/h", "receive.landed:commit\t", "#exit 0"], 0),
        "landed file never synced": (["receive.landing:commit\t", "receive.lake:rename\t/h/lake/k/f",
                                      "receive.lake:syncfs\t/h", "#exit 0"], 1),
        "landed before its names were synced": (["receive.stage:syncfs\t/h/staging", "receive.landing:commit\t",
                                                 "receive.lake:mkdir\t/h/lake/k", "receive.lake:rename\t/h/lake/k/f",
                                                 "receive.landed:commit\t", "#exit 0"], 2),
        "db renamed before commit": (["init.db:rename\t/s/edgectl.db", "init.db:fsync-dir\t/s", "#exit 0"], 1),
        "frames made durable by syncfs": (["ingest.image-dir:mkdir\t/s/images/ab", "ingest.image-dir:fsync-dir\t/s/images",
                                           "ingest.image:rename\t/s/images/ab/abc", "ingest.frames:syncfs\t/s/images",
                                           "ingest.frames:commit\t", "#exit 0"], 0),
        "frames committed before syncfs": (["ingest.image:rename\t/s/images/ab/abc", "ingest.frames:commit\t",
                                            "#exit 0"], 1),
        "a records commit between frames": (["ingest.image:rename\t/s/images/ab/abc", "ingest.records:commit\t",
                                             "ingest.frames:syncfs\t/s/images", "ingest.frames:commit\t",
                                             "#exit 0"], 0),
        "frames never synced": (["ingest.image:rename\t/s/images/ab/abc", "#exit 0"], 1),
        "another step's rename is no frame": (["x.add:rename\t/s/k", "x.sync:syncfs\t/s", "x.tx:commit\t", "#exit 0"], 1),
    }
    failed = 0
    for label, (lines, want) in cases.items():
        got = len(check([(label, [l + "\n" for l in lines])]))
        if (got == 0) != (want == 0):
            print(f"self-test '{label}': {got} violations, expected {want}", file=sys.stderr)
            failed += 1
    # A partial archive fsynced by a killed run, named by its rerun.
    history = [("killed", ["export.archive:fsync\t/t/.a.tar.zst.partial\n", "#exit 137\n"]),
               ("rerun", ["export.archive:rename\t/t/a.tar.zst\n", "export.archive:fsync-dir\t/t\n", "#exit 0\n"])]
    if check(history):
        print("self-test 'history': a rerun naming a partial fsynced before the kill was refused", file=sys.stderr)
        failed += 1
    return 1 if failed else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    histories = []
    for path in argv:
        with open(path, encoding="utf-8", errors="replace") as f:
            histories.append((os.path.basename(path), f.readlines()))
    problems = check(histories)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
