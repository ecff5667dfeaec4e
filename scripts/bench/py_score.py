#!/usr/bin/python3
"""A straightforward Python scoring pipeline, the baseline `edgectl score` is compared with.

  /usr/bin/python3 scripts/bench/py_score.py STORE_DIR MODEL_NAME BATCH THREADS COMMIT_ROWS

Does the job `edgectl score` does, the plain way: Debian's python3-torch and the standard sqlite3
module on a copy of the same store, the same connection settings (WAL, synchronous=NORMAL, foreign
keys), the same queries, batch, thread count and commit size; per item json.loads of the payload
(store v3: a CSV record's payload is a JSON array in the order of its ingest's columns, read once
per ingest; an NDJSON record's an object), standardisation with the model.json mean/std, one forward pass per batch under inference_mode,
softmax in float64, the same insight rows (label, winning probability, probabilities as JSON,
anomaly by the model's rules, scored_at, the model package's digest) and the score_progress
cursor in the same transaction.

Prints "seconds=S cpu_seconds=C items=N import_seconds=I" on stdout: S is the scoring loop alone,
C its CPU time (all threads), I the time to import torch and load the model (the process's wall time is taken by the caller).
"""

import json
import os
import sqlite3
import sys
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402


def rule_matches(rule, label, score):
    kind = rule["rule"]
    if kind == "label_in":
        return label in rule["labels"]
    if kind == "score_above":
        return score > rule["threshold"]
    return score < rule["threshold"]  # score_below, confidence_below


def main():
    store, name, batch, threads, commit_rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)

    con = sqlite3.connect(os.path.join(store, "edgectl.db"), isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA foreign_keys = ON")
    (version,) = con.execute("SELECT version FROM active_models WHERE name = ?", (name,)).fetchone()
    (digest,) = con.execute("SELECT digest FROM models WHERE name = ? AND version = ?", (name, version)).fetchone()
    model_dir = os.path.join(store, "models", name, version)
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    fields = spec["input"]["fields"]
    mean = np.array(spec["input"].get("mean") or [0.0] * len(fields))
    std = np.array(spec["input"].get("std") or [1.0] * len(fields))
    output = spec["output"]
    labels = output.get("labels")
    softmax = output.get("activation", "softmax") == "softmax"
    rules = spec.get("anomaly", [])
    model = torch.jit.load(os.path.join(model_dir, "model.pt"), map_location="cpu")
    model.eval()
    import_seconds = time.perf_counter() - T0

    start = time.perf_counter()
    cpu = time.process_time()
    row = con.execute("SELECT last_item_id FROM score_progress WHERE model = ? AND model_version = ?",
                      (name, version)).fetchone()
    cursor = row[0] if row else 0
    positions = {}  # ingest id -> position of each model field in its payload arrays (None: objects)

    def fields_of(ingest_id):
        if ingest_id not in positions:
            (columns,) = con.execute("SELECT columns FROM ingests WHERE id = ?", (ingest_id,)).fetchone()
            if columns is None:
                positions[ingest_id] = None
            else:
                index = {c: i for i, c in enumerate(json.loads(columns))}
                positions[ingest_id] = [index[f] for f in fields]
        return positions[ingest_id]

    scored = 0
    in_tx = 0
    while True:
        if in_tx == 0:
            con.execute("BEGIN IMMEDIATE")
        items = con.execute("SELECT id, ingest_id, payload FROM items WHERE id > ? ORDER BY id LIMIT ?",
                            (cursor, batch)).fetchall()
        if not items:
            break
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        raw = []
        for item in items:
            payload = json.loads(item[2])
            at = fields_of(item[1])
            if at is None:
                raw.append([float(payload[f]) for f in fields])
            else:
                raw.append([float(payload[i]) for i in at])
        x = torch.from_numpy(((np.array(raw) - mean) / std).astype(np.float32))
        with torch.inference_mode():
            out = model(x).double()
        rows = []
        if labels:
            probs = torch.softmax(out, dim=1) if softmax else out
            best, index = probs.max(dim=1)
            for item, p, b, k in zip(items, probs.tolist(), best.tolist(), index.tolist()):
                label = labels[k]
                anomaly = any(rule_matches(r, label, b) for r in rules)
                rows.append((item[0], name, version, label, b, json.dumps(p, separators=(",", ":")), int(anomaly), now,
                             digest))
        else:
            for item, s in zip(items, out[:, 0].tolist()):
                anomaly = any(rule_matches(r, None, s) for r in rules)
                rows.append((item[0], name, version, None, s, None, int(anomaly), now, digest))
        con.executemany("INSERT INTO insights (item_id, model, model_version, label, score, probabilities, anomaly, "
                        "scored_at, model_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
        cursor = items[-1][0]
        con.execute("INSERT INTO score_progress (model, model_version, last_item_id) VALUES (?, ?, ?) "
                    "ON CONFLICT (model, model_version) DO UPDATE SET last_item_id = excluded.last_item_id",
                    (name, version, cursor))
        scored += len(rows)
        in_tx += len(items)
        if in_tx >= commit_rows:
            con.execute("COMMIT")
            in_tx = 0
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(f"seconds={seconds:.6f} cpu_seconds={cpu:.6f} items={scored} import_seconds={import_seconds:.6f}")


if __name__ == "__main__":
    main()
