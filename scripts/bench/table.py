#!/usr/bin/python3
"""Prints the tables of a benchmark run: each contender's times, then each ratio beside its target.

  table.py RESULTS.tsv < ROWS

RESULTS.tsv: "metric<TAB>repetition<TAB>value" lines (bench/common.sh's `timed` writes NAME.wall in
seconds and NAME.rss in KiB); a metric recorded only at repetition 0 is the same in every one.

ROWS: one ratio a line, "label<TAB>numerator<TAB>denominator<TAB>target<TAB>check". Numerator and
denominator are metrics joined by + or - (or several such, comma-separated: the largest), evaluated
per repetition; the ratio's median and range are printed. target: ">=X", "<=X" or "-". check:
  upper  the denominator is a limit, an upper bound: the run fails when the ratio exceeds 1 by more
         than the noise (half the ratio's range over the repetitions, at least 10%)
  equal  the two must agree within 1% (a baseline doing the same work as the product)
  -      none
Exits 1 when a check fails.
"""

import re
import statistics
import sys

NOISE_FLOOR = 0.10


def load(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            metric, rep, value = line.rstrip("\n").split("\t")
            values.setdefault(metric, {})[int(rep)] = float(value)
    return values


def per_rep(values, expr):
    """{rep: value} of an expression like 'a.wall+b.wall-c.wall' or 'a.wall,b.wall' (the larger)."""
    if "," in expr:
        parts = [per_rep(values, e) for e in expr.split(",")]
        return {k: max(p[k] for p in parts) for k in parts[0] if all(k in p for p in parts)}
    terms = [(sign, name) for sign, name in re.findall(r"([+-]?)([^+-]+)", expr)]
    reps = None
    for _, name in terms:
        if name not in values:
            raise SystemExit(f"table.py: no measurement '{name}'")
        own = set(values[name]) - {0}
        if own:
            reps = own if reps is None else reps & own
    out = {}
    for rep in sorted(reps or {0}):
        out[rep] = sum((-1 if sign == "-" else 1) * values[name].get(rep, values[name].get(0, 0.0))
                       for sign, name in terms)
    return out


def fmt(x):
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.2f}" if abs(x) < 1000 else f"{x:,.0f}"


def show(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()


def contenders(values):
    rows = [("contender", "wall s (median)", "range", "peak RSS MiB", "reps")]
    for metric in values:
        if not metric.endswith(".wall"):
            continue
        name = metric[:-5]
        walls = list(values[metric].values())
        rss = max(values.get(name + ".rss", {0: 0}).values()) / 1024
        rows.append((name, fmt(statistics.median(walls)), f"{fmt(min(walls))}-{fmt(max(walls))}", f"{rss:.0f}",
                     str(len(walls))))
    show(rows)


def met(median, target):
    if target == "-":
        return ""
    bound = float(target[2:])
    return "met" if (median >= bound if target.startswith(">=") else median <= bound) else "MISSED"


def ratios(values, lines):
    rows = [("ratio", "median", "range", "target", "", "check")]
    failures = []
    for line in lines:
        label, num, den, target, check = line.rstrip("\n").split("\t")
        n, d = per_rep(values, num), per_rep(values, den)
        n, d = ({k: x[0] for k in y} if list(x) == [0] else x for x, y in ((n, d), (d, n)))
        r = [n[k] / d[k] for k in n if k in d and d[k] > 0]
        if not r:
            raise SystemExit(f"table.py: no repetition measured both {num} and {den}")
        median, lo, hi = statistics.median(r), min(r), max(r)
        verdict = ""
        if check == "upper":
            noise = max(NOISE_FLOOR, (hi - lo) / 2 / median)
            ok = median <= 1 + noise
            verdict = f"{'ok' if ok else 'FAILED'}: <= {1 + noise:.2f}"
        elif check == "equal":
            ok = abs(median - 1) <= 0.01
            verdict = f"{'ok' if ok else 'FAILED'}: 0.99-1.01"
        if verdict and not ok:
            failures.append(label)
        rows.append((label, f"{median:.2f}", f"{lo:.2f}-{hi:.2f}", target.replace(">=", ">= ").replace("<=", "<= "),
                     met(median, target), verdict))
    show(rows)
    for label in failures:
        print(f"check failed: {label}", file=sys.stderr)
    return 1 if failures else 0


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    values = load(sys.argv[1])
    contenders(values)
    sys.exit(ratios(values, [line for line in sys.stdin if line.strip()]))


if __name__ == "__main__":
    main()
