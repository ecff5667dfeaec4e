#!/usr/bin/python3
"""Train edgectl's sample model and write a sample site's inbox.

What it makes (all under scripts/sample-site/):

  model/model.pt        TorchScript MLP 13 -> 16 -> ReLU -> 3. It takes ALREADY STANDARDISED float32
                        features, shape [N, 13], and returns raw logits, shape [N, 3] (no softmax).
  model/model.json      the package manifest (validates against schemas/model.schema.json): input
                        fields with the train split's mean/std, labels, softmax, anomaly rule
                        "confidence_below" with a threshold chosen here, golden tolerances, drift reference.
  model/golden.ndjson   16 acceptance vectors from held-out samples: RAW feature values in, raw
                        logits out.
  inbox/lab-north-2026-11-20.csv     RFC 4180 CSV records (with planted defects)
  inbox/lab-south-2026-11-21.ndjson  NDJSON records (with planted defects)
  inbox-round2/lab-north-2026-11-27.csv, inbox-round2/lab-south-2026-11-28.ndjson
                        the same labs a week later, 20 records each, no defects (scripts/loop-demo.sh)
  wine-truth.csv        every record's sample_id, the wine it measured (its row in load_wine()) and
                        that wine's cultivar: the labels a reviewer would give (retraining uses them)

Data: scikit-learn's bundled copy of the UCI Wine data set (Forina et al.; 178 samples, 13 chemical
measurements, 3 cultivars), loaded with sklearn.datasets.load_wine(); no network needed.

It is deterministic (fixed seeds, one CPU thread, deterministic algorithms, a fixed created_at):
rerunning it rewrites byte-identical record files and golden.ndjson. Rerun it from the project root
with Debian's interpreter (python3-torch, python3-sklearn), not a pyenv/venv one:

    /usr/bin/python3 scripts/train-sample-model.py

Scoring contract the files assume (what edgectl's scorer does):
    x_std = (x - mean) / std          per field, in the order of input.fields
    logits = model(float32(x_std))
    p = softmax(logits); label = argmax p; confidence = max p
    anomaly when confidence < threshold
Here the standardisation is done in float64 and the result cast to float32 before the forward pass;
doing it in float32 instead changes the logits by ~1e-6, far inside the golden tolerance (1e-4).
"""

import csv
import io
import json
import math
import os
import re
import sys

import numpy as np
import torch
from torch import nn
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

SEED = 20261122
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SITE = os.path.join(HERE, "sample-site")
MODEL_DIR = os.path.join(SITE, "model")
INBOX_DIR = os.path.join(SITE, "inbox")
ROUND2_DIR = os.path.join(SITE, "inbox-round2")
TRUTH_CSV = os.path.join(SITE, "wine-truth.csv")
SCHEMA = os.path.join(ROOT, "schemas", "model.schema.json")

CREATED_AT = "2026-11-22T00:00:00Z"  # fixed, so reruns write identical files
LABELS = ["cultivar_1", "cultivar_2", "cultivar_3"]
N_GOLDEN = 16
N_NORTH_VALID = 40
N_SOUTH_VALID = 30
N_ROUND2 = 20  # records per lab in the second round of scripts/loop-demo.sh
TARGET_SHARE = 0.20  # aim for ~20% of valid records flagged as low confidence

# Decimals a lab instrument would report per feature (as in the source data, never more than 4).
DECIMALS = {
    "alcohol": 2, "malic_acid": 2, "ash": 2, "alcalinity_of_ash": 1, "magnesium": 0,
    "total_phenols": 2, "flavanoids": 2, "nonflavanoid_phenols": 2, "proanthocyanins": 2,
    "color_intensity": 2, "hue": 3, "od280/od315_of_diluted_wines": 2, "proline": 0,
}

META_COLUMNS = ["sample_id", "taken_at", "operator_email", "operator_phone", "notes"]


def split(y_all):
    """Indices into load_wine() of the training wines and of the held-out ones, the latter in the
    order the records and golden vectors take them; and the RNG the records go on with.
    scripts/retrain-sample-model.py calls it too, so that both see the same wines."""
    i_train, i_held = train_test_split(np.arange(len(y_all)), train_size=0.6, stratify=y_all,
                                       random_state=SEED % (2**31))
    rng = np.random.RandomState(SEED)
    return i_train, i_held[rng.permutation(len(i_held))], rng


# ---------------------------------------------------------------------------------------------
# Model

class WineMLP(nn.Module):
    """13 standardised features -> 16 hidden (ReLU) -> 3 logits.

    Plain parameters rather than nn.Linear submodules: scripting nn.Linear writes its Final
    constants in Python's (hash-randomised) set order, so model.pt would differ from run to run."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int):
        super().__init__()
        hidden, out = nn.Linear(n_in, n_hidden), nn.Linear(n_hidden, n_out)  # for their default init
        self.w1 = nn.Parameter(hidden.weight.detach().clone())
        self.b1 = nn.Parameter(hidden.bias.detach().clone())
        self.w2 = nn.Parameter(out.weight.detach().clone())
        self.b2 = nn.Parameter(out.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(nn.functional.linear(x, self.w1, self.b1))
        return nn.functional.linear(h, self.w2, self.b2)


def standardise(x, mean, std):
    """float64 standardisation, then float32: what the golden outputs and anomaly share assume."""
    return ((np.asarray(x, dtype=np.float64) - mean) / std).astype(np.float32)


def logits_of(model, x_raw, mean, std):
    with torch.no_grad():
        return model(torch.from_numpy(standardise(x_raw, mean, std))).numpy()


def softmax_confidence(logits):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p.argmax(axis=1), p.max(axis=1)


def train(x_train_std, y_train):
    torch.manual_seed(SEED)
    model = WineMLP(13, 16, 3)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=3e-2)
    xt = torch.from_numpy(x_train_std)
    yt = torch.from_numpy(y_train.astype(np.int64))
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
    model.eval()
    return model, float(loss)


# ---------------------------------------------------------------------------------------------
# Drift reference

# model.json's "reference": the statistics of the training split against which edgectl score
# measures drift, a window of items at a time: per feature, the shares of its raw values in quantile
# bins (a population stability index compares a window's shares with them); the shares of the
# labels the model predicts (a Jensen-Shannon distance compares). Window, bins and thresholds come
# from scripts/drift-false-alarms.py, which draws windows of records like the sites' (all 178 wines
# resampled, this script's sensor noise), scores them and counts the flagged ones: without drift
# about 0.8% of windows of 100 (quintiles would need PSI 0.3 for under 1%, and then miss more
# proline shifts); with alcohol +8% and colour intensity x1.3 every window, with proline -25% 99.8%.
REFERENCE_WINDOW = 100
REFERENCE_BINS = 4  # quartiles: up to 3 edges
REFERENCE_THRESHOLDS = {"psi": 0.25, "js": 0.15}


def bin_edges(values, decimals, bins=REFERENCE_BINS):
    """Edges of up to bins quantile bins of values (raw, on the instrument's grid of 10**-decimals).

    Each quantile (numpy's linear one) is moved to the half step of the grid just below the first
    grid value at or above it: every value on the grid falls in the same bin as with the quantile
    itself, but no value can sit on an edge, so a scorer that reads "12.37" as a float32 (or rounds
    it in any other way) bins it as a double would. Ties (integer magnesium, say) can make
    quantiles meet: the edges are deduplicated, so there may be fewer bins."""
    step = 10.0 ** -decimals
    edges = []
    for q in np.quantile(np.asarray(values, dtype=np.float64), np.arange(1, bins) / bins):
        k = q / step
        k = round(k) if abs(k - round(k)) < 1e-6 else math.ceil(k)  # the first grid value >= q
        edge = round((k - 0.5) * step, decimals + 1)
        if not edges or edge > edges[-1]:
            edges.append(edge)
    return edges


def bin_of(edges, values):
    """Bin per value: 0 below edges[0], i for edges[i-1] <= v < edges[i], len(edges) from the last
    edge up."""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")


def shares(counts):
    """Counts as shares rounded to 6 decimals, the largest fixed up so that they sum to 1."""
    counts = np.asarray(counts, dtype=np.float64)
    out = [round(float(c), 6) for c in counts / counts.sum()]
    big = int(np.argmax(counts))
    out[big] = round(1.0 - sum(v for i, v in enumerate(out) if i != big), 6)
    return out


def reference(x_raw, fields, predicted, labels):
    """model.json's "reference" for a classifier: x_raw the RAW training rows (columns in the order
    of fields), predicted the model's label index for each row (argmax, not the true labels)."""
    features = {}
    for j, name in enumerate(fields):
        edges = bin_edges(x_raw[:, j], DECIMALS[name])
        counts = np.bincount(bin_of(edges, x_raw[:, j]), minlength=len(edges) + 1)
        features[name] = {"edges": edges, "fractions": shares(counts), "missing": 0.0}
    predicted_shares = shares(np.bincount(predicted, minlength=len(labels)))
    return {"window": REFERENCE_WINDOW, "thresholds": dict(REFERENCE_THRESHOLDS), "features": features,
            "predictions": {"labels": dict(zip(labels, predicted_shares))}}


# ---------------------------------------------------------------------------------------------
# model.json check (a hand-written subset of schemas/model.schema.json; no jsonschema package)

def check_spec(spec, schema):
    def fail(msg):
        raise SystemExit(f"train-sample-model: model.json does not match the schema: {msg}")

    def keys_ok(obj, sch, where):
        if not isinstance(obj, dict):
            fail(f"{where} is not an object")
        for k in sch.get("required", []):
            if k not in obj:
                fail(f"{where} misses required key {k!r}")
        if sch.get("additionalProperties") is False:
            extra = set(obj) - set(sch["properties"])
            if extra:
                fail(f"{where} has keys the schema does not allow: {sorted(extra)}")

    props = schema["properties"]
    keys_ok(spec, schema, "model.json")
    if spec["schema_version"] != props["schema_version"]["const"]:
        fail("schema_version")
    if spec["framework"] != props["framework"]["const"]:
        fail("framework")
    if not re.fullmatch(props["name"]["pattern"], spec["name"]):
        fail("name pattern")
    if not re.fullmatch(props["version"]["pattern"], spec["version"]):
        fail("version pattern")

    inp, isch = spec["input"], props["input"]
    keys_ok(inp, isch, "input")
    if inp["kind"] != "features" or inp["dtype"] != "float32":
        fail("input kind/dtype")
    fields = inp["fields"]
    if not fields or len(set(fields)) != len(fields):
        fail("input.fields empty or not unique")
    for k in ("mean", "std"):
        if len(inp[k]) != len(fields) or not all(isinstance(v, float) and math.isfinite(v) for v in inp[k]):
            fail(f"input.{k} must be {len(fields)} finite numbers")
    if not all(v > 0 for v in inp["std"]):
        fail("input.std must be > 0")

    out, osch = spec["output"], props["output"]
    keys_ok(out, osch, "output")
    if out["kind"] not in osch["properties"]["kind"]["enum"]:
        fail("output.kind")
    if out["kind"] == "classification" and (len(out.get("labels", [])) < 2 or len(set(out["labels"])) != len(out["labels"])):
        fail("output.labels")
    if out.get("activation") not in osch["properties"]["activation"]["enum"]:
        fail("output.activation")

    asch = props["anomaly"]["items"]
    for i, rule in enumerate(spec["anomaly"]):
        keys_ok(rule, asch, f"anomaly[{i}]")
        if rule["rule"] not in asch["properties"]["rule"]["enum"]:
            fail(f"anomaly[{i}].rule")
        if rule["rule"] != "label_in" and not isinstance(rule.get("threshold"), float):
            fail(f"anomaly[{i}].threshold")

    keys_ok(spec["golden"], props["golden"], "golden")
    for k in ("atol", "rtol"):
        if not 0 <= spec["golden"][k] <= 1:
            fail(f"golden.{k}")

    if "reference" in spec:
        check_reference(spec["reference"], spec, schema, fail, keys_ok)


def check_reference(ref, spec, schema, fail, keys_ok):
    rsch = schema["properties"]["reference"]
    rprops, bsch = rsch["properties"], schema["definitions"]["bins"]
    keys_ok(ref, rsch, "reference")

    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    def share_list(values, where, n):
        if len(values) != n or not all(number(v) and 0 <= v <= 1 for v in values):
            fail(f"{where} must be {n} numbers in [0, 1]")
        if abs(sum(values) - 1) > 1e-9:
            fail(f"{where} must sum to 1 (they sum to {sum(values)!r})")

    w = ref["window"]
    if not isinstance(w, int) or isinstance(w, bool) or not rprops["window"]["minimum"] <= w <= rprops["window"]["maximum"]:
        fail("reference.window")
    keys_ok(ref["thresholds"], rprops["thresholds"], "reference.thresholds")
    for k, v in ref["thresholds"].items():
        if not number(v) or v <= 0 or (k == "js" and v > 1):
            fail(f"reference.thresholds.{k}")

    features = ref["features"]
    if not isinstance(features, dict) or set(features) != set(spec["input"]["fields"]):
        fail("reference.features must have one entry per input field")
    for name, bins in features.items():
        where = f"reference.features[{name!r}]"
        keys_ok(bins, bsch, where)
        edges = bins["edges"]
        if not 1 <= len(edges) <= bsch["properties"]["edges"]["maxItems"] or not all(number(v) for v in edges):
            fail(f"{where}.edges must be 1 to 100 numbers")
        if any(b <= a for a, b in zip(edges, edges[1:])):
            fail(f"{where}.edges must be strictly increasing")
        share_list(bins["fractions"], f"{where}.fractions", len(edges) + 1)
        if "missing" in bins and not (number(bins["missing"]) and 0 <= bins["missing"] <= 1):
            fail(f"{where}.missing")

    pred = ref["predictions"]
    keys_ok(pred, rprops["predictions"], "reference.predictions")
    if spec["output"]["kind"] == "classification":
        if set(pred) != {"labels"} or set(pred["labels"]) != set(spec["output"]["labels"]):
            fail("reference.predictions.labels must have one share per output label")
        share_list(list(pred["labels"].values()), "reference.predictions.labels", len(spec["output"]["labels"]))


# ---------------------------------------------------------------------------------------------
# Sample records

NORTH_OPERATORS = [
    ("ines.alvarez@example.org", "+44 7700 900123"),
    ("tom.okafor@example.org", "+44 7700 900457"),
    ("marta.lindqvist@example.org", "+44 7700 900781"),
    ("j.perrin@example.org", "+44 7700 900302"),
]
SOUTH_OPERATORS = [
    ("kofi.mensah@example.org", "+44 7700 900614"),
    ("lucia.romano@example.org", "+44 7700 900045"),
    ("h.nakamura@example.org", "+44 7700 900938"),
]
PLAIN_NOTES = [
    "", "", "", "", "routine", "routine", "duplicate vial kept", "sample from tank 3",
    "sample from tank 5", "cold room reading", "re-labelled before analysis",
]
# Placed at fixed record positions: commas and double quotes (need RFC 4180 quoting), an e-mail
# address inside free text (a PII regex target), non-ASCII text.
SPECIAL_NOTES_NORTH = {
    2: "vial cracked, re-sampled from the same barrel",
    6: 'operator says "slightly cloudy", filtered twice',
    11: "call back: results to anna.berg@example.org before Friday",
    15: 'label reads "Barbera?" - check, please',
    23: "stored at 4 °C overnight, analysed next morning",
    31: 'tank 2, 3 and 4 blended; "house" reference',
}
SPECIAL_NOTES_SOUTH = {
    3: 'probe recalibrated, see log entry "P-17"',
    9: "sample split, half sent to north lab",
    20: "stored at 4 °C, analysed next day",
}


def noisy(rng, x, sigma):
    """Multiplicative Gaussian sensor noise, clipped so values stay positive."""
    return x * np.clip(1.0 + rng.normal(0.0, sigma, size=x.shape), 0.5, 1.5)


def rounded(fields, x):
    """Feature dict with instrument precision: ints where 0 decimals, else floats rounded."""
    rec = {}
    for name, v in zip(fields, x):
        d = DECIMALS[name]
        rec[name] = int(round(float(v))) if d == 0 else round(float(v), d)
    return rec


def fmt_csv(name, v):
    d = DECIMALS[name]
    return str(v) if d == 0 else f"{v:.{d}f}"


def timestamps(rng, day, n):
    out, t = [], 6 * 3600 + int(rng.randint(0, 1800))
    for _ in range(n):
        out.append(f"{day}T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z")
        t += int(rng.randint(300, 1200))
    assert t < 24 * 3600
    return out


def make_records(rng, fields, x_all, pool, n, prefix, day, operators, special_notes, big_noise, first=1):
    """n records measuring the wines of pool (indices into x_all) in turn, numbered from first.
    Returns the records and the wine each one measures: the ground truth a reviewer would know."""
    recs, wines = [], []
    times = timestamps(rng, day, n)
    for i in range(n):
        sigma = 0.10 if i in big_noise else float(rng.choice([0.01, 0.02, 0.03]))
        email, phone = operators[int(rng.randint(len(operators)))]
        note = special_notes.get(i, PLAIN_NOTES[int(rng.randint(len(PLAIN_NOTES)))])
        wine = int(pool[i % len(pool)])
        rec = {"sample_id": f"{prefix}-{first + i:04d}", "taken_at": times[i],
               "operator_email": email, "operator_phone": phone, "notes": note}
        rec.update(rounded(fields, noisy(rng, x_all[wine], sigma)))
        recs.append(rec)
        wines.append(wine)
    return recs, wines


def write_csv(path, fields, recs, ragged_at, na_at):
    """RFC 4180: CRLF line ends, quoting only where needed. Defects: one truncated (ragged) row,
    one row whose magnesium is the string "n/a"."""
    header = META_COLUMNS + fields
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for i, r in enumerate(recs):
        row = [r[c] for c in META_COLUMNS] + [fmt_csv(f, r[f]) for f in fields]
        if i == na_at:
            row[header.index("magnesium")] = "n/a"
        if i == ragged_at:
            row = row[: len(META_COLUMNS) + 3]  # line cut short after "ash": 8 of 18 fields
        w.writerow(row)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


def write_ndjson(path, recs, broken_at, no_flavanoids_at, null_proline_at):
    """One object per line, LF line ends. Defects: one line that is not JSON (cut short), one
    object without "flavanoids", one object with "proline": null."""
    lines = []
    for i, r in enumerate(recs):
        r = dict(r)
        if i == no_flavanoids_at:
            del r["flavanoids"]
        if i == null_proline_at:
            r["proline"] = None
        line = json.dumps(r, ensure_ascii=False)
        if i == broken_at:
            line = line[: line.index('"malic_acid"')].rstrip()  # ends after '"alcohol": 13.1,'
        lines.append(line + "\n")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(lines))


def read_valid_csv(path, fields):
    """Read the CSV back as a scorer would; return the feature rows that are fully valid."""
    good, bad = [], 0
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        for row in rd:
            try:
                if len(row) != len(header):
                    raise ValueError("ragged")
                rec = dict(zip(header, row))
                good.append([float(rec[k]) for k in fields])
            except ValueError:
                bad += 1
    return np.array(good), bad


def read_valid_ndjson(path, fields):
    good, bad = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
                vals = [rec[k] for k in fields]
                if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                    raise ValueError("non-numeric")
                good.append([float(v) for v in vals])
            except (ValueError, KeyError):
                bad += 1
    return np.array(good), bad


def choose_threshold(conf):
    """Round threshold (2 decimals) whose flagged share is closest to TARGET_SHARE, within 10-30%,
    and at least 0.002 away from every confidence so float noise in C++ cannot flip a record."""
    best = None
    for t in np.arange(0.50, 0.995, 0.01):
        t = round(float(t), 2)
        share = float(np.mean(conf < t))
        if not 0.10 <= share <= 0.30 or np.min(np.abs(conf - t)) < 0.002:
            continue
        if best is None or abs(share - TARGET_SHARE) < abs(best[1] - TARGET_SHARE):
            best = (t, share)
    if best is None:
        raise SystemExit("train-sample-model: no threshold flags 10-30% of the valid records")
    return best


# ---------------------------------------------------------------------------------------------

def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(MODEL_DIR, exist_ok=True)
    os.makedirs(INBOX_DIR, exist_ok=True)

    # 1. data and split
    wine = load_wine()
    fields = list(wine.feature_names)
    x_all, y_all = wine.data.astype(np.float64), wine.target
    i_train, i_held, rng = split(y_all)
    x_train, x_held, y_train, y_held = x_all[i_train], x_all[i_held], y_all[i_train], y_all[i_held]

    # 2. standardisation and training
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    model, loss = train(standardise(x_train, mean, std), y_train)
    acc_train = float(np.mean(logits_of(model, x_train, mean, std).argmax(1) == y_train))
    acc_held = float(np.mean(logits_of(model, x_held, mean, std).argmax(1) == y_held))
    print(f"split: {len(x_train)} train, {len(x_held)} held-out; final train loss {loss:.4f}")
    print(f"accuracy: train {acc_train:.4f}, held-out {acc_held:.4f}")

    # 3. TorchScript
    scripted = torch.jit.script(model.eval())
    model_pt = os.path.join(MODEL_DIR, "model.pt")
    scripted.save(model_pt)

    # 6. sample records (before model.json: the anomaly threshold depends on them)
    # Each lab measures its own share of the held-out wines (south's last three records repeat wines).
    north_pool, south_pool = i_held[:N_NORTH_VALID + 2], i_held[N_NORTH_VALID + 2:]
    north, north_wines = make_records(rng, fields, x_all, north_pool, N_NORTH_VALID + 2, "N", "2026-11-20",
                                      NORTH_OPERATORS, SPECIAL_NOTES_NORTH, big_noise={4, 13, 19, 27, 36})
    south, south_wines = make_records(rng, fields, x_all, south_pool, N_SOUTH_VALID + 3, "S", "2026-11-21",
                                      SOUTH_OPERATORS, SPECIAL_NOTES_SOUTH, big_noise={5, 14, 24, 29})
    north_csv = os.path.join(INBOX_DIR, "lab-north-2026-11-20.csv")
    south_ndjson = os.path.join(INBOX_DIR, "lab-south-2026-11-21.ndjson")
    write_csv(north_csv, fields, north, ragged_at=17, na_at=28)
    write_ndjson(south_ndjson, south, broken_at=16, no_flavanoids_at=7, null_proline_at=25)

    # Read the files back (rounded values, defective records skipped), score, pick the threshold.
    xn, bad_n = read_valid_csv(north_csv, fields)
    xs, bad_s = read_valid_ndjson(south_ndjson, fields)
    assert (len(xn), bad_n, len(xs), bad_s) == (N_NORTH_VALID, 2, N_SOUTH_VALID, 3), (len(xn), bad_n, len(xs), bad_s)
    x_valid = np.vstack([xn, xs])
    _, conf = softmax_confidence(logits_of(model, x_valid, mean, std))
    threshold, share = choose_threshold(conf)

    # 4. model.json, with the drift reference: the training split's raw features and the labels
    # the model predicts for them
    drift_reference = reference(x_train, fields, logits_of(model, x_train, mean, std).argmax(1), LABELS)
    spec = {
        "schema_version": 1,
        "name": "wine-cultivar",
        "version": "1.0.0",
        "description": ("Sample model for edgectl: classifies a wine sample into one of three "
                        "cultivars from 13 chemical measurements (UCI Wine data, Forina et al., as "
                        "bundled with scikit-learn). MLP 13-16-3 on standardised features; outputs "
                        "logits. Trained by scripts/train-sample-model.py."),
        "framework": "torchscript",
        "torch_version": torch.__version__,
        "created_at": CREATED_AT,
        "input": {"kind": "features", "dtype": "float32", "fields": fields,
                  "mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        "output": {"kind": "classification", "labels": LABELS, "activation": "softmax"},
        "anomaly": [{"rule": "confidence_below", "threshold": threshold}],
        "reference": drift_reference,
        "golden": {"atol": 1e-4, "rtol": 1e-4},
    }
    with open(SCHEMA, encoding="utf-8") as f:
        check_spec(spec, json.load(f))
    with open(os.path.join(MODEL_DIR, "model.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")

    # 5. golden vectors: raw held-out inputs, logits of the float32 forward pass.
    x_gold = x_held[:N_GOLDEN]
    gold_logits = logits_of(scripted, x_gold, mean, std)
    with open(os.path.join(MODEL_DIR, "golden.ndjson"), "w", encoding="utf-8", newline="\n") as f:
        for x, out in zip(x_gold, gold_logits):
            f.write(json.dumps({"input": {k: float(v) for k, v in zip(fields, x)},
                                "output": [float(v) for v in out]}) + "\n")

    # 7. the loop's second round (scripts/loop-demo.sh): a week later each lab measures its wines
    # again, with no planted defects. An RNG of its own leaves the first round's files as they were.
    rng2 = np.random.RandomState(SEED + 1)
    north2, north2_wines = make_records(rng2, fields, x_all, north_pool, N_ROUND2, "N", "2026-11-27",
                                        NORTH_OPERATORS, {}, big_noise={3, 9, 16}, first=len(north) + 1)
    south2, south2_wines = make_records(rng2, fields, x_all, south_pool, N_ROUND2, "S", "2026-11-28",
                                        SOUTH_OPERATORS, {}, big_noise={2, 8, 15}, first=len(south) + 1)
    os.makedirs(ROUND2_DIR, exist_ok=True)
    write_csv(os.path.join(ROUND2_DIR, "lab-north-2026-11-27.csv"), fields, north2, ragged_at=None, na_at=None)
    write_ndjson(os.path.join(ROUND2_DIR, "lab-south-2026-11-28.ndjson"), south2, broken_at=None,
                 no_flavanoids_at=None, null_proline_at=None)
    # The truth a human reviewer would give each record: the wine it measured (its row in
    # load_wine()) and that wine's cultivar. The retraining labels the lake's records with it.
    with open(TRUTH_CSV, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["sample_id", "wine", "label"])
        for recs, wines in ((north, north_wines), (south, south_wines), (north2, north2_wines),
                            (south2, south2_wines)):
            w.writerows([r["sample_id"], wine, LABELS[y_all[wine]]] for r, wine in zip(recs, wines))

    # 8. summary
    n_flag = int(np.sum(conf < threshold))
    print(f"model: {model_pt} ({os.path.getsize(model_pt)} bytes), torch {torch.__version__}")
    print(f"golden.ndjson: {N_GOLDEN} vectors")
    print(f"records: {os.path.basename(north_csv)}: {len(xn)} valid + {bad_n} defective; "
          f"{os.path.basename(south_ndjson)}: {len(xs)} valid + {bad_s} defective")
    print(f"anomaly rule: confidence_below {threshold}: {n_flag} of {len(conf)} valid records "
          f"flagged ({share:.1%}); min confidence {conf.min():.4f}, median {np.median(conf):.4f}")
    n_bins = [len(b["edges"]) + 1 for b in drift_reference["features"].values()]
    print(f"drift reference: windows of {REFERENCE_WINDOW}, {min(n_bins)}-{max(n_bins)} bins per feature, "
          f"thresholds {REFERENCE_THRESHOLDS}; predicted label shares {drift_reference['predictions']['labels']}")
    print(f"round 2: {len(north2)} + {len(south2)} records; wine-truth.csv: "
          f"{len(north) + len(south) + len(north2) + len(south2)} sample ids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
