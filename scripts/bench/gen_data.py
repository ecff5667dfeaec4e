#!/usr/bin/python3
"""Deterministic input data for scripts/bench.sh.

  gen_data.py wine N OUT.csv   N lab records shaped like the sample site's (sample_id, taken_at,
                               operator_email, operator_phone, notes and the 13 wine features the
                               sample model reads), values drawn around the sample model's means.
  gen_data.py wide N OUT.csv   N records with an id and 256 numeric fields f000..f255 (the input of
                               the compute-bound model made by make_big_model.py).

Same arguments, same bytes: a fixed seed per kind, no clock, no hash randomisation. The values are
formatted with the precision an instrument would report (as the sample site's inbox is).
"""

import json
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_SPEC = os.path.join(HERE, "..", "sample-site", "model", "model.json")

# Decimals per wine feature, as in scripts/train-sample-model.py.
DECIMALS = {
    "alcohol": 2, "malic_acid": 2, "ash": 2, "alcalinity_of_ash": 1, "magnesium": 0,
    "total_phenols": 2, "flavanoids": 2, "nonflavanoid_phenols": 2, "proanthocyanins": 2,
    "color_intensity": 2, "hue": 3, "od280/od315_of_diluted_wines": 2, "proline": 0,
}
NOTES = ["", "", "", "routine", "routine", "duplicate vial kept", "sample from tank 3",
         "cold room reading", "re-labelled before analysis", 'vial cracked, "re-sampled"',
         "stored at 4 °C overnight"]
WIDE_FIELDS = 256


def wine(n, out):
    with open(SAMPLE_SPEC, encoding="utf-8") as f:
        spec = json.load(f)
    fields = spec["input"]["fields"]
    mean = np.array(spec["input"]["mean"])
    std = np.array(spec["input"]["std"])
    rng = np.random.RandomState(20261122)
    pick = random.Random(20261122)
    chunk = 50_000
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(["sample_id", "taken_at", "operator_email", "operator_phone", "notes"] +
                         ['"%s"' % x if "/" in x else x for x in fields]) + "\r\n")
        done = 0
        while done < n:
            m = min(chunk, n - done)
            x = np.abs(mean + std * rng.standard_normal((m, len(fields))))
            cols = [[("%.*f" % (DECIMALS[name], v)) for v in x[:, j]] for j, name in enumerate(fields)]
            lines = []
            for i in range(m):
                k = done + i
                t = 6 * 3600 + (k * 7) % 60000
                note = NOTES[pick.randrange(len(NOTES))]
                if "," in note or '"' in note:
                    note = '"' + note.replace('"', '""') + '"'
                lines.append(f"B-{k + 1:07d},2026-11-{20 + k % 9:02d}T{t // 3600:02d}:{t // 60 % 60:02d}:"
                             f"{t % 60:02d}Z,op{k % 97}@example.org,+44 7700 900{k % 1000:03d},{note},"
                             + ",".join(col[i] for col in cols) + "\r\n")
            f.write("".join(lines))
            done += m


def wide(n, out):
    rng = np.random.RandomState(256)
    # A pool of formatted values, indexed at random: formatting 256 values per row in Python would
    # make generating the file slower than the benchmark it feeds.
    pool = np.array(["%.4f" % v for v in rng.standard_normal(1 << 16)], dtype=object)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(["id"] + [f"f{j:03d}" for j in range(WIDE_FIELDS)]) + "\n")
        chunk = 10_000
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            idx = rng.randint(0, 1 << 16, size=(m, WIDE_FIELDS))
            f.write("".join(f"w{start + i + 1}," + ",".join(pool[idx[i]]) + "\n" for i in range(m)))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("wine", "wide"):
        sys.exit(__doc__)
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    (wine if kind == "wine" else wide)(n, out)


if __name__ == "__main__":
    main()
