#!/usr/bin/python3
"""How often a model's drift reference flags a window: false alarms without drift, detection of
shifted batches. It is how the reference's thresholds in scripts/train-sample-model.py were chosen.

It draws many windows of the reference's size from scripts/wine-records.py's records (all 178 wines
resampled, the sample site's sensor noise, rounded to instrument precision), unshifted and with
each of its shifts, scores them with the model, and computes per window what edgectl score
computes (core/score/drift.cpp):

  - per feature, the population stability index of the window's bin shares a against the
    reference's e, with missing values as one more bin (expected share: missing; the others scaled
    by 1 - missing): sum over bins of (a - e) ln(a / e), a and e each floored at 1e-4 first;
  - the Jensen-Shannon distance of the predicted labels' shares q from the reference's p: the
    square root of sum over labels of p/2 log2(p/m) + q/2 log2(q/m), m = (p + q)/2, 0 log 0 = 0;
  - flagged when any feature's PSI > thresholds.psi or the distance > thresholds.js.

Binning as edgectl's: value v falls in bin #(edges <= v). edgectl compares the standardised float32
input with standardised float32 edges; the sample references' edges sit half an instrument step
between the values a record can hold, so both ways put every value in the same bin.

    /usr/bin/python3 scripts/drift-false-alarms.py [--model DIR] [--windows N] [--seed S]

--model DIR reads DIR/model.json and DIR/model.pt (default: scripts/sample-site/model).
--window, --psi, --js and --bins override the reference's to try others (--bins recomputes the
feature bins from 1.0.0's training split, as the training script does).
"""

import argparse
import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FLOOR = 1e-4
BATCHES = ["none", "alcohol", "proline", "mix"]


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def population_stability_index(expected, observed):
    """As core/score/drift.cpp: observed counts against expected shares, both shares floored."""
    total = sum(observed)
    if total == 0:
        return 0.0
    psi = 0.0
    for e, c in zip(expected, observed):
        a, e = max(c / total, FLOOR), max(e, FLOOR)
        psi += (a - e) * math.log(a / e)
    return psi


def jensen_shannon_distance(expected, observed):
    """As core/score/drift.cpp: base 2, sqrt of the divergence, 0 log 0 = 0, no floor."""
    total = sum(observed)
    if total == 0:
        return 0.0
    divergence = 0.0
    for p, c in zip(expected, observed):
        q = c / total
        m = (p + q) / 2
        if p > 0:
            divergence += 0.5 * p * math.log2(p / m)
        if q > 0:
            divergence += 0.5 * q * math.log2(q / m)
    return math.sqrt(max(divergence, 0.0))


def window_indices(ref, fields, labels, x, predicted):
    """One window's feature PSIs and label distance: x its rows (raw), predicted its label indices."""
    psi = []
    for j, name in enumerate(fields):
        bins = ref["features"][name]
        missing = bins.get("missing", 0.0)
        expected = [f * (1 - missing) for f in bins["fractions"]] + [missing]
        counts = np.bincount(np.searchsorted(np.asarray(bins["edges"]), x[:, j], side="right"),
                             minlength=len(bins["fractions"]))
        psi.append(population_stability_index(expected, list(counts) + [0]))  # no value is missing
    expected = [ref["predictions"]["labels"][label] for label in labels]
    js = jensen_shannon_distance(expected, list(np.bincount(predicted, minlength=len(labels))))
    return psi, js


def edgectl_bins_differ(ref, fields, x, mean, std):
    """How many values edgectl bins otherwise: it compares the standardised float32 input with the
    edges standardised and cast to float32 the same way."""
    differ = 0
    for j, name in enumerate(fields):
        edges = np.asarray(ref["features"][name]["edges"], dtype=np.float64)
        as_input = ((x[:, j] - mean[j]) / std[j]).astype(np.float32)
        edges_as_input = ((edges - mean[j]) / std[j]).astype(np.float32)
        differ += int(np.sum(np.searchsorted(edges_as_input, as_input, side="right")
                             != np.searchsorted(edges, x[:, j], side="right")))
    return differ


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(HERE, "sample-site", "model"))
    ap.add_argument("--windows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--window", type=int)
    ap.add_argument("--psi", type=float)
    ap.add_argument("--js", type=float)
    ap.add_argument("--bins", type=int)
    args = ap.parse_args()

    torch.set_num_threads(1)
    tsm = load("train_sample_model", "train-sample-model.py")
    wr = load("wine_records", "wine-records.py")
    with open(os.path.join(args.model, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    if "reference" not in spec:
        raise SystemExit(f"drift-false-alarms: {args.model}/model.json has no reference")
    ref = spec["reference"]
    fields, labels = spec["input"]["fields"], spec["output"]["labels"]
    mean, std = np.array(spec["input"]["mean"]), np.array(spec["input"]["std"])
    model = torch.jit.load(os.path.join(args.model, "model.pt"))
    window = args.window or ref["window"]
    psi_max, js_max = args.psi or ref["thresholds"]["psi"], args.js or ref["thresholds"]["js"]

    names, x_all, y_all = wr.wines()
    assert names == fields, "the model's fields are not load_wine()'s"
    if args.bins:
        i_train, _, _ = tsm.split(y_all)
        x_train = x_all[i_train]
        for j, name in enumerate(fields):
            edges = tsm.bin_edges(x_train[:, j], tsm.DECIMALS[name], args.bins)
            counts = np.bincount(tsm.bin_of(edges, x_train[:, j]), minlength=len(edges) + 1)
            ref["features"][name] = {"edges": edges, "fractions": tsm.shares(counts), "missing": 0.0}
    n_bins = sorted({len(b["fractions"]) for b in ref["features"].values()})

    print(f"model {spec['name']} {spec['version']} ({args.model}); windows of {window} records, "
          f"{'-'.join(map(str, (n_bins[0], n_bins[-1]))) if len(n_bins) > 1 else n_bins[0]} bins per feature, "
          f"thresholds psi {psi_max}, js {js_max}")
    print(f"records: all {len(x_all)} wines resampled, sensor noise {wr.SIGMAS} ({wr.BIG_SIGMA} for "
          f"{wr.BIG_SHARE:.0%}), rounded to instrument precision; seed {args.seed}")
    print()
    header = (f"{'batch':<8} {'windows':>7} {'flagged':>8} {'by PSI':>7} {'by JS':>7} "
              f"{'PSI max: median':>15} {'p99':>6} {'JS: median':>10} {'p99':>6}  most often over the PSI threshold")
    print(header)
    for b, shift in enumerate(BATCHES):
        rng = np.random.RandomState(args.seed + b)
        x, _ = wr.draw(rng, tsm, fields, x_all, y_all, args.windows * window, shift)
        predicted = tsm.logits_of(model, x, mean, std).argmax(1)
        differ = edgectl_bins_differ(ref, fields, x, mean, std)
        if differ:
            print(f"warning: {differ} values fall in another bin when binned as edgectl does (standardised float32)")
        worst, js_all, by_psi, by_js, flagged = [], [], 0, 0, 0
        over = np.zeros(len(fields), dtype=int)
        for w in range(args.windows):
            rows = slice(w * window, (w + 1) * window)
            psi, js = window_indices(ref, fields, labels, x[rows], predicted[rows])
            hot = np.array(psi) > psi_max
            over += hot
            by_psi += bool(hot.any())
            by_js += js > js_max
            flagged += bool(hot.any()) or js > js_max
            worst.append(max(psi))
            js_all.append(js)
        top = ", ".join(f"{fields[j]} {over[j] / args.windows:.2%}" for j in np.argsort(-over, kind="stable")[:2]
                        if over[j])
        print(f"{shift:<8} {args.windows:>7} {flagged / args.windows:>8.2%} {by_psi / args.windows:>7.2%} "
              f"{by_js / args.windows:>7.2%} {np.median(worst):>15.3f} {np.quantile(worst, 0.99):>6.3f} "
              f"{np.median(js_all):>10.3f} {np.quantile(js_all, 0.99):>6.3f}  {top or '-'}")
    print()
    print("none: false-alarm rate (no drift); alcohol: alcohol +8% and color_intensity x1.3; "
          "proline: proline -25%; mix: cultivar_3 three times as often")
    return 0


if __name__ == "__main__":
    sys.exit(main())
