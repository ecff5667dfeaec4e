#!/usr/bin/python3
"""Retrain the sample model from what a hub's lake holds: version 1.1.0 of wine-cultivar.

The cloud half of scripts/loop-demo.sh. It reads the scrubbed records the sites exported
(LAKE/items/site=*/date=*/*.ndjson.zst, decompressed with the zstd tool), labels each by its
sample_id from scripts/sample-site/wine-truth.csv (a stand-in for a human reviewer: the wine the
record measured, whose cultivar is load_wine()'s ground truth), and trains the same network as
scripts/train-sample-model.py on the original training wines plus these labelled site records.

What it writes, in OUT (created):

  model.pt        TorchScript MLP 13 -> 16 -> ReLU -> 3, the same contract as 1.0.0: standardised
                  float32 features in, raw logits out.
  model.json      1.0.0's manifest with version 1.1.0, the new training set's mean/std and drift
                  reference (its bins and 1.1.0's predicted label shares, computed as the training
                  script does, with the same window and thresholds); the same fields, labels,
                  softmax and anomaly rule.
  golden.ndjson   the 16 held-out wines 1.0.0's golden vectors use, with 1.1.0's logits.

Deterministic like the training script (fixed seed, one thread, records sorted by site and
sample_id, whatever the lake's file names and dates). Run it with Debian's interpreter
(python3-torch, python3-sklearn):

    /usr/bin/python3 scripts/retrain-sample-model.py HUB/lake OUT
"""

import csv
import glob
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import torch
from sklearn.datasets import load_wine

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = "1.1.0"
CREATED_AT = "2026-11-29T00:00:00Z"  # fixed, so reruns write identical files


def training_script():
    """scripts/train-sample-model.py as a module: its split, network, training, drift reference and
    spec check, so that 1.1.0 differs from 1.0.0 only by the data it learns from."""
    spec = importlib.util.spec_from_file_location("train_sample_model",
                                                  os.path.join(HERE, "train-sample-model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lake_items(lake):
    """Every item record in the lake, as (site, payload), sorted by site and sample_id."""
    paths = sorted(glob.glob(os.path.join(lake, "items", "site=*", "date=*", "*.ndjson.zst")))
    if not paths:
        raise SystemExit(f"retrain-sample-model: no items in '{lake}' (export them with --include items)")
    records = []
    for path in paths:
        text = subprocess.run(["zstd", "-dcq", path], check=True, capture_output=True).stdout
        records += [json.loads(line) for line in text.decode("utf-8").splitlines()]
    records.sort(key=lambda r: (r["site"], str(r["payload"].get("sample_id"))))
    return [(r["site"], r["payload"]) for r in records]


def features(payload, fields):
    """The record's feature row, or None when a field is missing or not a number (the sites
    quarantined those rather than scoring them)."""
    values = [payload.get(k) for k in fields]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return [float(v) for v in values]


def labelled(items, truth_csv, fields, y_all):
    """The lake's records joined with the truth by sample_id: features, labels, per-site counts."""
    with open(truth_csv, encoding="utf-8", newline="") as f:
        wine_of = {row["sample_id"]: int(row["wine"]) for row in csv.DictReader(f)}
    x, y, per_site, skipped = [], [], {}, 0
    for site, payload in items:
        row, wine = features(payload, fields), wine_of.get(payload.get("sample_id"))
        if row is None or wine is None:
            skipped += 1
            continue
        x.append(row)
        y.append(y_all[wine])
        per_site[site] = per_site.get(site, 0) + 1
    return np.array(x), np.array(y), per_site, skipped


def accuracy(model, x, y, mean, std, tsm):
    return float(np.mean(tsm.logits_of(model, x, mean, std).argmax(1) == y))


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: retrain-sample-model.py LAKE OUT")
    lake, out = sys.argv[1], sys.argv[2]
    tsm = training_script()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    # 1. the lake's records, labelled; the original training wines beside them
    wine = load_wine()
    fields, x_all, y_all = list(wine.feature_names), wine.data.astype(np.float64), wine.target
    i_train, i_held, _ = tsm.split(y_all)
    x_site, y_site, per_site, skipped = labelled(lake_items(lake), os.path.join(tsm.SITE, "wine-truth.csv"),
                                                 fields, y_all)
    if not len(x_site):
        raise SystemExit("retrain-sample-model: no record in the lake has a known sample_id")
    x_train = np.vstack([x_all[i_train], x_site])
    y_train = np.concatenate([y_all[i_train], y_site])

    # 2. the same standardisation and training as 1.0.0
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    model, loss = tsm.train(tsm.standardise(x_train, mean, std), y_train)
    os.makedirs(out, exist_ok=True)
    scripted = torch.jit.script(model.eval())
    scripted.save(os.path.join(out, "model.pt"))

    # 3. model.json: 1.0.0's, with the new version and statistics, and the drift reference of the
    # new training set (raw features, the labels 1.1.0 predicts for them)
    with open(os.path.join(tsm.MODEL_DIR, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    old_mean, old_std = np.array(spec["input"]["mean"]), np.array(spec["input"]["std"])
    spec.update(version=VERSION, torch_version=torch.__version__, created_at=CREATED_AT)
    spec["description"] += " Version 1.1.0 also learnt from the sites' records (scripts/retrain-sample-model.py)."
    spec["input"].update(mean=[float(v) for v in mean], std=[float(v) for v in std])
    spec["reference"] = tsm.reference(x_train, fields, tsm.logits_of(scripted, x_train, mean, std).argmax(1),
                                      spec["output"]["labels"])
    with open(tsm.SCHEMA, encoding="utf-8") as f:
        tsm.check_spec(spec, json.load(f))
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")

    # 4. golden vectors: 1.0.0's inputs, 1.1.0's outputs
    x_gold = x_all[i_held[:tsm.N_GOLDEN]]
    with open(os.path.join(out, "golden.ndjson"), "w", encoding="utf-8", newline="\n") as f:
        for x, logits in zip(x_gold, tsm.logits_of(scripted, x_gold, mean, std)):
            f.write(json.dumps({"input": {k: float(v) for k, v in zip(fields, x)},
                                "output": [float(v) for v in logits]}) + "\n")

    # 5. summary: how each version reads the sites' records (1.1.0 learnt from them)
    before = torch.jit.load(os.path.join(tsm.MODEL_DIR, "model.pt"))
    sites = ", ".join(f"{site} {n}" for site, n in sorted(per_site.items()))
    print(f"lake: {len(x_site)} labelled records ({sites}), {skipped} without features or truth")
    print(f"training: {len(i_train)} original wines + {len(x_site)} site records; final loss {loss:.4f}")
    print(f"site records read right: 1.0.0 {accuracy(before, x_site, y_site, old_mean, old_std, tsm):.1%}, "
          f"{VERSION} {accuracy(scripted, x_site, y_site, mean, std, tsm):.1%}")
    print(f"wrote {out}/model.pt, model.json, golden.ndjson ({tsm.N_GOLDEN} vectors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
