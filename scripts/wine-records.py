#!/usr/bin/python3
"""Write wine lab records like the sample site's, drawn from the training distribution, optionally
shifted: test data for the drift windows of edgectl score.

Each record measures a wine drawn at random from all 178 of scikit-learn's UCI Wine data set (with
replacement), through scripts/train-sample-model.py's sensor: multiplicative Gaussian noise of 1, 2
or 3 % (10 % for about one record in ten), rounded to instrument precision (its DECIMALS). The
columns and their format are the sample inbox's: sample_id, taken_at, operator_email,
operator_phone, notes and the 13 features; CSV (RFC 4180, CRLF, header row) or NDJSON. The
operators are the sample labs' fake ones, so an ingest policy scrubs them the same way.

A shift changes the wines before the sensor measures them:

  none      the training distribution
  alcohol   alcohol +8 % and colour intensity x1.3 (a riper harvest, say)
  proline   proline -25 %
  mix       the same wines, but cultivar_3's three times as often as the others'

sample_id is PREFIX-NNNN, numbered from --start-id: calls whose ranges [start-id, start-id + count)
do not overlap never repeat an id (the sample inbox uses N-0001..N-0062 and S-0001..S-0053).
Deterministic: the same arguments write the same bytes. Run it with Debian's interpreter (it needs
python3-sklearn and, through the training script, python3-torch), e.g.

    /usr/bin/python3 scripts/wine-records.py --count 200 --seed 7 --shift alcohol \\
        --prefix N --start-id 1001 > lab-north-shifted.csv
"""

import argparse
import csv
import datetime
import importlib.util
import io
import json
import os
import sys

import numpy as np
from sklearn.datasets import load_wine

HERE = os.path.dirname(os.path.abspath(__file__))

SIGMAS = [0.01, 0.02, 0.03]  # the training script's per-record sensor noise
BIG_SIGMA, BIG_SHARE = 0.10, 0.10  # ... and its noisier records, about one in ten here

SHIFTS = {
    "none": {"scale": {}, "weights": None},
    "alcohol": {"scale": {"alcohol": 1.08, "color_intensity": 1.3}, "weights": None},
    "proline": {"scale": {"proline": 0.75}, "weights": None},
    "mix": {"scale": {}, "weights": [1.0, 1.0, 3.0]},  # per cultivar
}


def training_script():
    """scripts/train-sample-model.py as a module: its DECIMALS, sensor noise, rounding, operators."""
    spec = importlib.util.spec_from_file_location("train_sample_model",
                                                  os.path.join(HERE, "train-sample-model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wines():
    """All 178 wines: feature names, raw features, cultivar index."""
    data = load_wine()
    return list(data.feature_names), data.data.astype(np.float64), data.target


def draw(rng, tsm, fields, x_all, y_all, n, shift="none"):
    """n measurements as a site's records hold them: (rows of rounded feature values, the wine of
    each row). drift-false-alarms.py draws its windows with this too."""
    sh = SHIFTS[shift]
    if sh["weights"] is None:
        which = rng.randint(len(x_all), size=n)
    else:
        p = np.asarray(sh["weights"], dtype=np.float64)[y_all]
        which = rng.choice(len(x_all), size=n, p=p / p.sum())
    x = x_all[which].copy()
    for name, factor in sh["scale"].items():
        x[:, fields.index(name)] *= factor
    sigma = np.where(rng.rand(n) < BIG_SHARE, BIG_SIGMA, rng.choice(SIGMAS, size=n))
    x = x * np.clip(1.0 + rng.normal(0.0, 1.0, size=x.shape) * sigma[:, None], 0.5, 1.5)
    # The training script's rounding (Python's round), value by value, so that these are exactly
    # the values the records carry.
    rows = [[float(v) for v in tsm.rounded(fields, row).values()] for row in x]
    return np.array(rows, dtype=np.float64).reshape(n, len(fields)), which


def records(rng, tsm, fields, x, prefix, start_id, day, lab):
    """The records of rows x: ids from start_id, times from 06:00 on day on, the lab's operators."""
    operators = {"north": tsm.NORTH_OPERATORS, "south": tsm.SOUTH_OPERATORS}[lab]
    t = datetime.datetime.strptime(day, "%Y-%m-%d") + datetime.timedelta(seconds=6 * 3600 + int(rng.randint(0, 1800)))
    out = []
    for i, row in enumerate(x):
        email, phone = operators[int(rng.randint(len(operators)))]
        note = tsm.PLAIN_NOTES[int(rng.randint(len(tsm.PLAIN_NOTES)))]
        rec = {"sample_id": f"{prefix}-{start_id + i:04d}", "taken_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "operator_email": email, "operator_phone": phone, "notes": note}
        rec.update(tsm.rounded(fields, row))
        out.append(rec)
        t += datetime.timedelta(seconds=int(rng.randint(60, 400)))
    return out


def as_csv(tsm, fields, recs):
    """The sample inbox's CSV: RFC 4180, CRLF line ends, quoting only where needed, header row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(tsm.META_COLUMNS + fields)
    for r in recs:
        w.writerow([r[c] for c in tsm.META_COLUMNS] + [tsm.fmt_csv(f, r[f]) for f in fields])
    return buf.getvalue()


def as_ndjson(recs):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)


def main():
    ap = argparse.ArgumentParser(description="Write wine lab records drawn from the sample model's training "
                                             "distribution, optionally shifted.")
    ap.add_argument("--count", type=int, default=100, help="records to write (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--format", choices=["csv", "ndjson"],
                    help="default: ndjson when --output ends in .ndjson, else csv")
    ap.add_argument("--shift", choices=sorted(SHIFTS), default="none", help="default none")
    ap.add_argument("--start-id", type=int, default=1, help="number of the first sample_id (default 1)")
    ap.add_argument("--prefix", default="W", help="sample_id prefix (default W; the sample labs use N and S)")
    ap.add_argument("--lab", choices=["north", "south"], default="north", help="whose operators (default north)")
    ap.add_argument("--date", default="2026-12-01", help="day of the first record, YYYY-MM-DD (default 2026-12-01)")
    ap.add_argument("--output", "-o", help="file to write (default: standard output)")
    args = ap.parse_args()
    if args.count < 0 or args.start_id < 0 or args.seed < 0:
        ap.error("--count, --start-id and --seed must not be negative")
    try:
        datetime.datetime.strptime(args.date, "%Y-%m-%d")
    except ValueError:
        ap.error("--date must be YYYY-MM-DD")
    fmt = args.format or ("ndjson" if args.output and args.output.endswith(".ndjson") else "csv")

    tsm = training_script()
    fields, x_all, y_all = wines()
    rng = np.random.RandomState(args.seed)
    x, _ = draw(rng, tsm, fields, x_all, y_all, args.count, args.shift)
    recs = records(rng, tsm, fields, x, args.prefix, args.start_id, args.date, args.lab)
    text = as_csv(tsm, fields, recs) if fmt == "csv" else as_ndjson(recs)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
