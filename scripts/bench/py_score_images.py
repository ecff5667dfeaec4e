#!/usr/bin/python3
"""A straightforward Python pipeline scoring camera frames, the baseline `edgectl score` is compared with.

  /usr/bin/python3 scripts/bench/py_score_images.py STORE_DIR MODEL_NAME BATCH THREADS COMMIT_ROWS

Does the job `edgectl score` does for an image model, the plain way, one step after another in one
thread of Python: on a copy of the same store, with the same connection settings (WAL,
synchronous=NORMAL, foreign keys), the same batch (give it the one score uses: bench-limit batch),
thread count and commit size, for each frame after the cursor its stored file read and checked
against its SHA-256, opened by Pillow, turned upright by the orientation its item recorded,
converted to RGB and made into the model's input by torchvision's transforms (Resize(256),
CenterCrop(224), ToTensor, Normalize with model.json's mean and std: the recipe model.json
describes); one forward pass per batch with Debian's python3-torch under inference_mode; softmax in
float64; the same insight rows (label, winning probability, probabilities as JSON, anomaly by the
model's rules, scored_at, the model package's digest) and the score_progress cursor in the same
transaction.

Prints "seconds=S cpu_seconds=C items=N import_seconds=I" on stdout: S is the scoring loop alone,
C its CPU time (all threads), I the time to import torch and load the model (the process's wall
time is taken by the caller).
"""

import hashlib
import io
import json
import os
import sqlite3
import sys
import time

T0 = time.perf_counter()
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

# EXIF orientation -> the Pillow transposition that makes the frame upright.
UPRIGHT = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
           4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE], 6: [Image.Transpose.ROTATE_270],
           7: [Image.Transpose.TRANSVERSE], 8: [Image.Transpose.ROTATE_90]}


def rule_matches(rule, label, score):
    kind = rule["rule"]
    if kind == "label_in":
        return label in rule["labels"]
    if kind == "score_above":
        return score > rule["threshold"]
    return score < rule["threshold"]  # score_below, confidence_below


def frame_input(store, payload, digest, transform):
    with open(os.path.join(store, "images", digest[:2], digest), "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != digest:
        raise SystemExit(f"py_score_images.py: the stored frame {digest} no longer matches its digest")
    image = Image.open(io.BytesIO(data))
    for step in UPRIGHT.get(json.loads(payload).get("orientation", 1), []):
        image = image.transpose(step)
    return transform(image.convert("RGB"))


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
    image = spec["input"]
    transform = T.Compose([T.Resize(image["shorter_side"]), T.CenterCrop((image["height"], image["width"])),
                           T.ToTensor(), T.Normalize(image["mean"], image["std"])])
    labels = spec["output"]["labels"]
    rules = spec.get("anomaly", [])
    model = torch.jit.load(os.path.join(model_dir, "model.pt"), map_location="cpu")
    model.eval()
    import_seconds = time.perf_counter() - T0

    start = time.perf_counter()
    cpu = time.process_time()
    row = con.execute("SELECT last_item_id FROM score_progress WHERE model = ? AND model_version = ?",
                      (name, version)).fetchone()
    cursor = row[0] if row else 0
    scored = 0
    in_tx = 0
    while True:
        if in_tx == 0:
            con.execute("BEGIN IMMEDIATE")
        items = con.execute("SELECT id, payload, image FROM items WHERE id > ? AND image IS NOT NULL ORDER BY id "
                            "LIMIT ?", (cursor, batch)).fetchall()
        if not items:
            break
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        x = torch.stack([frame_input(store, payload, frame, transform) for _, payload, frame in items])
        with torch.inference_mode():
            probs = torch.softmax(model(x).double(), dim=1)
        best, index = probs.max(dim=1)
        rows = []
        for item, p, b, k in zip(items, probs.tolist(), best.tolist(), index.tolist()):
            label = labels[k]
            anomaly = any(rule_matches(r, label, b) for r in rules)
            rows.append((item[0], name, version, label, b, json.dumps(p, separators=(",", ":")), int(anomaly), now,
                         digest))
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
