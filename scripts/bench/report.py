#!/usr/bin/python3
"""Writes docs/benchmarks.md from the measurements scripts/bench.sh collected.

  report.py --results RESULTS.tsv --profiles DIR --edgectl BIN --out FILE --reps N --batch N --commit N

RESULTS.tsv has one measurement per line: metric, repetition, value. DIR holds perf_top.py's JSON
summaries (NAME.json). If FILE already holds the figures of an earlier run (the JSON in its last
HTML comment), this run's headline ratios are compared with them under "Reproducibility".
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "<!-- bench-results "
FLAT_GROWTH = 1.25  # "flat": peak RSS at 1M items within 1.25x of the one at 10k


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class Results:
    def __init__(self, path):
        self.values = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                metric, rep, value = line.rstrip("\n").split("\t")
                self.values.setdefault(metric, {})[int(rep)] = float(value)

    def has(self, metric):
        return metric in self.values

    def med(self, metric):
        return statistics.median(self.values[metric].values())

    def reps(self, metric):
        return self.values[metric]

    def one(self, metric):
        return next(iter(self.values[metric].values()))


def machine():
    cpu = {}
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            k, _, v = line.partition(":")
            cpu.setdefault(k.strip(), v.strip())
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    blas_alt = sh("update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu")
    blas_now = re.search(r"^Value: (.*)$", blas_alt, re.M)
    torch_libs = sh("sh", "-c", "ldd /usr/lib/x86_64-linux-gnu/libtorch_cpu.so | grep -E 'blas|dnnl|gomp'")
    openblas = ""
    m = re.search(r"libopenblas\.so\.0 => (\S+)", torch_libs)
    if m:
        openblas = os.path.realpath(m.group(1))
    flags = cpu.get("flags", "")
    isa = ", ".join(x for x in ("avx2", "fma", "avx512f", "avx512_bf16", "sha_ni") if re.search(rf"\b{x}\b", flags))
    fs = sh("df", "-T", "/tmp").splitlines()
    return {
        "nproc": sh("nproc"),
        "cpu": f"{cpu.get('model name', '?')} (family {cpu.get('cpu family', '?')}, model {cpu.get('model', '?')}; {isa})",
        "hypervisor": "yes (" + sh("sh", "-c", "lscpu | sed -n 's/^Hypervisor vendor: *//p'") + ")" if "hypervisor" in flags else "no",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "os": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "blas": (blas_now.group(1) if blas_now else "?") + (f"; LibTorch links {openblas}" if openblas else ""),
        "torch": sh("dpkg-query", "-W", "-f=${Version}", "libtorch-dev") + " (Debian libtorch-dev and python3-torch, oneDNN "
                 + sh("dpkg-query", "-W", "-f=${Version}", "libdnnl2") + ")",
        "sqlite": sh("sqlite3", "--version").split(" ")[0],
        "python": sh("/usr/bin/python3", "--version"),
        "compiler": sh("sh", "-c", "g++ --version | head -1"),
        "fs": " ".join(fs[-1].split()[:2]) if len(fs) > 1 else "?",
        "commit": sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD")
                  + (" with uncommitted changes" if sh("git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no") else ""),
    }


def fmt_s(x):
    return f"{x:.2f} s"


def rate(n, s):
    return f"{n / s / 1000:,.1f}k/s" if n / s < 1e6 else f"{n / s / 1e6:,.2f}M/s"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def load_profile(directory, name):
    path = os.path.join(directory, name + ".json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError:
        return None


# Shares computed from others (label: (plus, minus...)), for what inlining hides from the profile.
DERIVED = {
    "score": [("… … of which reading items (SELECT steps)", ["… SQLite steps, SELECT and INSERT (Statement::step)"],
               ["… … INSERT insight and progress rows (Statement::run)"], "… SQLite steps, SELECT and INSERT (Statement::step)")],
    "ingest": [("… building the record's JSON object (rest of the loop)", ["records loop (FileIngester::read_csv)"],
                ["… CSV parsing (CsvReader::next)", "… cell to JSON value (csv_cell_value)", "… store one record (FileIngester::add_item)"],
                "… store one record (FileIngester::add_item)")],
}


def add_derived(p, kind):
    """Inserts DERIVED rows (after the row they follow) into p['inclusive']."""
    if not p or not p.get("inclusive"):
        return p
    values = dict((k, v) for k, v in p["inclusive"])
    for label, plus, minus, after in DERIVED.get(kind, []):
        if not all(k in values for k in plus + minus):
            continue
        v = max(0.0, sum(values[k] for k in plus) - sum(values[k] for k in minus))
        keys = [k for k, _ in p["inclusive"]]
        at = keys.index(after) + 1 if after in keys else len(keys)
        p["inclusive"].insert(at, [label, round(v, 2)])
    return p


def profile_tables(p, top=10):
    if not p:
        return "_(no profile)_\n"
    out = [f"CPU time sampled: {p['cpu_seconds']:.2f} s in {p['threads']} thread(s).", "",
           "| category (self time) | share |", "| --- | ---: |"]
    out += [f"| {k} | {v:.1f}% |" for k, v in p["categories"] if v >= 0.5]
    if p.get("inclusive"):
        out += ["", "| function, with all it calls | share | ≈ CPU s |", "| --- | ---: | ---: |"]
        out += [f"| {k} | {v:.1f}% | {v * p['cpu_seconds'] / 100:.2f} |" for k, v in p["inclusive"]]
    out += ["", "| self | object | hottest functions |", "| ---: | --- | --- |"]
    out += [f"| {v:.1f}% | {dso} | `{sym}` |" for v, dso, sym in p["top"][:top]]
    return "\n".join(out) + "\n"


def share(p, label, kind="inclusive"):
    """A category's or an inclusive function's share in profile p (0 if absent)."""
    if not p:
        return 0.0
    for k, v in p.get(kind, []):
        if k == label:
            return v
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--run", help="JSON with the date and commit of the measurements")
    ap.add_argument("--profiles", required=True)
    ap.add_argument("--edgectl", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--commit", type=int, required=True)
    a = ap.parse_args()
    r = Results(a.results)
    m = machine()
    run = {}
    if a.run and os.path.exists(a.run):
        with open(a.run, encoding="utf-8") as f:
            run = json.load(f)
    if run.get("commit"):
        m["commit"] = run["commit"]
    prof = {name: load_profile(a.profiles, name) for name in
            ("score-sample", "score-big", "sqlite-sample", "sqlite-big", "python-sample", "ingest", "import", "startup")}
    for name in ("score-sample", "score-big"):
        add_derived(prof[name], "score")
    add_derived(prof["ingest"], "ingest")

    previous = None
    if os.path.exists(a.out):
        with open(a.out, encoding="utf-8") as f:
            text = f.read()
        at = text.rfind(MARK)
        if at >= 0:
            try:
                previous = json.loads(text[at + len(MARK):text.index("-->", at)])
            except ValueError:
                previous = None

    # ---- figures ------------------------------------------------------------------------------
    fig = {}
    score = {}
    for c in ("sample", "big", "big2", "big1b"):
        if not r.has(f"{c}.edgectl.wall"):
            continue
        n = r.one(f"{c}.items")
        e = r.med(f"{c}.edgectl.wall")
        st = r.med(f"{c}.startup.wall")
        f_ = r.med(f"{c}.forward.seconds")
        s_ = r.med(f"{c}.sqlite.seconds")
        limit = max(f_, s_)
        per_rep = [max(r.reps(f"{c}.forward.seconds")[k], r.reps(f"{c}.sqlite.seconds")[k]) / r.reps(f"{c}.edgectl.wall")[k]
                   for k in r.reps(f"{c}.edgectl.wall")]
        d = {"n": n, "e": e, "st": st, "f": f_, "s": s_, "limit": limit,
             "bound": "forward" if f_ >= s_ else "SQLite", "ratio": limit / e, "steady": limit / (e - st),
             "range": (min(per_rep), max(per_rep)), "cpu": r.med(f"{c}.edgectl.cpu"),
             "f_cpu": r.med(f"{c}.forward.cpu_seconds"), "s_cpu": r.med(f"{c}.sqlite.cpu_seconds"),
             "rss": r.med(f"{c}.edgectl.rss"), "threads": int(r.one(f"{c}.threads")), "width": int(r.one(f"{c}.width")),
             "blas1": r.has(f"{c}.blas1") and r.one(f"{c}.blas1") == 1, "reps": len(r.reps(f"{c}.edgectl.wall"))}
        if r.has(f"{c}.python.wall"):
            pw = r.med(f"{c}.python.wall")
            per_rep_py = [r.reps(f"{c}.python.wall")[k] / r.reps(f"{c}.edgectl.wall")[k] for k in r.reps(f"{c}.edgectl.wall")]
            d.update({"pw": pw, "pl": r.med(f"{c}.python.seconds"), "pimp": r.med(f"{c}.python.import_seconds"),
                      "pcpu": r.med(f"{c}.python.cpu_seconds"), "speedup": pw / e,
                      "speedup_loop": r.med(f"{c}.python.seconds") / (e - st),
                      "py_range": (min(per_rep_py), max(per_rep_py))})
        score[c] = d
        fig[f"score_{c}_limit_ratio"] = d["ratio"]
        fig[f"score_{c}_limit_range"] = d["range"]
        if "speedup" in d:
            fig[f"score_{c}_python_speedup"] = d["speedup"]
            fig[f"score_{c}_python_range"] = d["py_range"]
    n_ing = r.one("ingest.items")
    ie, ii = r.med("ingest.edgectl.wall"), r.med("ingest.import.wall")
    per_rep_ing = [r.reps("ingest.import.wall")[k] / r.reps("ingest.edgectl.wall")[k] for k in r.reps("ingest.edgectl.wall")]
    fig["ingest_import_ratio"] = ii / ie
    fig["ingest_import_range"] = (min(per_rep_ing), max(per_rep_ing))
    mem = {"small": int(r.one("mem.small")), "large": int(r.one("mem.large")),
           "ingest_small": r.one("mem.ingest.small.rss") / 1024, "ingest_large": r.med("ingest.edgectl.rss") / 1024,
           "score_small": r.one("mem.score.small.rss") / 1024, "score_large": r.one("mem.score.large.rss") / 1024,
           "startup": r.med("sample.startup.rss") / 1024, "score_large_wall": r.one("mem.score.large.wall"),
           "import": r.med("ingest.import.rss") / 1024}
    fig["mem_ingest_growth"] = mem["ingest_large"] / mem["ingest_small"]
    fig["mem_score_growth"] = mem["score_large"] / mem["score_small"]

    # ---- document -----------------------------------------------------------------------------
    now = run.get("date") or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = []
    w = L.append
    w("# Benchmarks\n")
    w(f"Written by `scripts/bench.sh` on {now} from commit {m['commit']}; the measuring took "
      f"{int(r.one('run.seconds'))} s (plus {int(r.one('run.build_seconds'))} s of build). Every figure is a median of "
      f"{a.reps} repetitions, the contenders of one figure interleaved in each repetition, because the "
      "machine is shared and noisy. Do not edit by hand: rerun the script.\n")
    others = r.one("run.others_cores")
    w(f"While it measured, other processes kept {others:.2f} of the {m['nproc']} cores busy on average "
      f"(load average {r.one('run.load_start'):.2f} at the start, {r.one('run.load_end'):.2f} at the end"
      + ("; another session's build or tests were running, so the figures carry that noise" if others > 0.25 else "")
      + ").\n")

    w("## Machine\n")
    w("| | |\n| --- | --- |")
    for k, label in (("nproc", "cores (nproc)"), ("cpu", "CPU"), ("hypervisor", "virtualised"), ("memory", "memory"),
                     ("kernel", "kernel"), ("os", "OS"), ("blas", "BLAS in use"), ("torch", "LibTorch"),
                     ("sqlite", "SQLite"), ("python", "Python"), ("compiler", "compiler (Release build)"),
                     ("fs", "filesystem of /tmp")):
        w(f"| {label} | {m[k]} |")
    w("")

    sample, big = score.get("sample"), score.get("big")
    w("## Results against the targets\n")
    w("| figure | measured (median; range over repetitions) | target | |")
    w("| --- | --- | --- | --- |")
    for c, title in (("sample", "sample model (13→16→3)"), ("big", "compute-bound model (256→1024→1024→10)")):
        d = score.get(c)
        if not d:
            continue
        w(f"| score ÷ its limit, {title} | **{d['ratio']:.2f}** ({d['range'][0]:.2f}–{d['range'][1]:.2f}); "
          f"limit is {d['bound']} | ≥ 0.85 | {verdict(d['ratio'] >= 0.85)} |")
    for c, title in (("sample", "sample model"), ("big", "compute-bound model")):
        d = score.get(c)
        if not d or "speedup" not in d:
            continue
        w(f"| score ÷ Python pipeline (speed-up), {title} | **{d['speedup']:.2f}×** "
          f"({d['py_range'][0]:.2f}–{d['py_range'][1]:.2f}) | ≥ 2× | {verdict(d['speedup'] >= 2)} |")
    w(f"| ingest records/s ÷ `sqlite3 .import`, {n_ing:,.0f}-row CSV | **{ii / ie:.2f}** "
      f"({fig['ingest_import_range'][0]:.2f}–{fig['ingest_import_range'][1]:.2f}) | ≥ 1.0 | {verdict(ii / ie >= 1.0)} |")
    w(f"| peak RSS of ingest, {mem['small']:,} → {mem['large']:,} items | {mem['ingest_small']:.0f} → "
      f"{mem['ingest_large']:.0f} MiB (×{fig['mem_ingest_growth']:.2f}) | flat (≤ ×{FLAT_GROWTH}) | "
      f"{verdict(fig['mem_ingest_growth'] <= FLAT_GROWTH)} |")
    w(f"| peak RSS of score, {mem['small']:,} → {mem['large']:,} items | {mem['score_small']:.0f} → "
      f"{mem['score_large']:.0f} MiB (×{fig['mem_score_growth']:.2f}) | flat (≤ ×{FLAT_GROWTH}) | "
      f"{verdict(fig['mem_score_growth'] <= FLAT_GROWTH)} |")
    w("")

    w("## How it is measured\n")
    w(f"- **Data**: `scripts/bench/gen_data.py`, deterministic. Sample-model records look like the sample site's "
      "(sample id, time, operator e-mail and phone, a free-text note, the 13 wine features: 18 CSV columns, ~144 bytes a "
      "row); the compute-bound model's have an id and 256 numeric fields (~1.9 kB a row). Both are ingested with "
      "`edgectl ingest` (the lab records with the PII policy), so score reads real payloads. The compute-bound model (`scripts/bench/make_big_model.py`, "
      "random weights) is packed with `edgectl pack-model` and imported with `--allow-unsigned`, like the sample model.")
    w(f"- **score, end to end**: wall time of the whole `edgectl score --threads T --batch {a.batch}` process on a "
      "fresh copy of a store holding the items (process start, LibTorch, model load and digest check, reading items, "
      f"parsing payloads, forward, insights, commits every {a.commit} items). *startup* is the same command run again "
      "when nothing is left to score: the fixed cost of a run.")
    w("- **limit (a), bare forward**: `scripts/bench/bench_forward.cpp`, C++ linking the same LibTorch: the model "
      "loaded once, random float32 batches of the same size already in memory, `at::set_num_threads(T)`, one inter-op "
      "thread, `eval()`, `c10::InferenceMode` — the settings of `core/torch_model.cpp`; the loop alone is timed.")
    w("- **limit (b), SQLite alone**: `scripts/bench/bench_sqlite.cpp insights` reads the insight rows `edgectl score` wrote (so they are "
      "the very same rows) into memory, then inserts them into a fresh copy of the unscored store with edgectl's "
      f"connection settings (WAL, `synchronous=FULL`, foreign keys), SQL and prepared statements, one `score_progress` "
      f"upsert per batch of {a.batch} and a `BEGIN IMMEDIATE … COMMIT` every {a.commit} rows; the loop alone is timed.")
    w("- **score ÷ limit** = limit time ÷ score time, with limit = the slower of (a) and (b); ≥ 0.85 means edgectl "
      "reaches 85% of the throughput of its slower part alone. *Steady state* leaves out the startup.")
    w("- **Python pipeline**: `scripts/bench/py_score.py` under Debian's `/usr/bin/python3` (python3-torch, sqlite3), "
      "on another copy of the same store: same queries, batch, threads, commit size and connection settings, "
      "`json.loads` per payload, numpy standardisation, forward under `inference_mode`, float64 softmax, the same "
      "insight rows (checked: same count and anomaly count). Compared by whole-process wall time like edgectl; its "
      "`import torch` and model load are also given apart.")
    w(f"- **ingest ÷ .import**: `edgectl ingest --policy scripts/bench/policy.json` of a {n_ing:,.0f}-row CSV into a new "
      "store (hashing the file, parsing, scrubbing with a PII policy as a site would — keyed hash of the e-mail, "
      "phone masked, e-mail and phone patterns redacted in every string —, a JSON payload per record, source keys, "
      "commits every 10,000) vs `sqlite3 new.db '.mode csv' '.import FILE t'` "
      "into a new table (the CLI's defaults: rollback journal, one transaction, all columns TEXT, no index); both "
      "whole-process wall time. For the analysis, `bench_sqlite.cpp items` also writes the very item rows ingest "
      "wrote into a new store with ingest's SQL, settings and commit size (*SQLite alone*), and again with source keys "
      "whose ordinal is zero-padded so that they sort in insertion order.")
    w("- **Memory**: peak RSS (`/usr/bin/time` %M) of ingest and score (sample model) at "
      f"{mem['small']:,} and {mem['large']:,} items.")
    w("- All files under `/tmp`, page cache warm (each store copy is fresh in memory); no other load of ours runs "
      "at the same time; the machine itself is shared.")
    w("")

    w("## Score in detail\n")
    w("| | sample model | compute-bound | compute-bound, `--threads 2` | compute-bound, OpenBLAS held to 1 thread |")
    w("| --- | ---: | ---: | ---: | ---: |")
    cols = [score.get(c) for c in ("sample", "big", "big2", "big1b")]

    def row(label, fn):
        w(f"| {label} | " + " | ".join(fn(d) if d else "–" for d in cols) + " |")
    row("items × input width", lambda d: f"{d['n']:,.0f} × {d['width']}")
    row("threads, batch", lambda d: f"{d['threads']}, {a.batch}" + (", `OPENBLAS_NUM_THREADS=1`" if d["blas1"] else ""))
    row("repetitions", lambda d: str(d["reps"]))
    row("**edgectl score**, whole process", lambda d: f"{fmt_s(d['e'])} ({rate(d['n'], d['e'])})")
    row("… of which startup (nothing to score)", lambda d: fmt_s(d["st"]))
    row("… its CPU time (all threads)", lambda d: fmt_s(d["cpu"]))
    row("(a) bare forward", lambda d: f"{fmt_s(d['f'])} ({rate(d['n'], d['f'])}; CPU {d['f_cpu']:.2f} s)")
    row("(b) SQLite alone", lambda d: f"{fmt_s(d['s'])} ({rate(d['n'], d['s'])}; CPU {d['s_cpu']:.2f} s)")
    row("limit = the slower", lambda d: d["bound"])
    row("**score ÷ limit**", lambda d: f"**{d['ratio']:.2f}** ({d['range'][0]:.2f}–{d['range'][1]:.2f})")
    row("score ÷ limit, steady state (startup left out)", lambda d: f"{d['steady']:.2f}")
    row("Python pipeline, whole process", lambda d: f"{fmt_s(d['pw'])} ({rate(d['n'], d['pw'])})" if "pw" in d else "–")
    row("… its import torch + model load", lambda d: fmt_s(d["pimp"]) if "pimp" in d else "–")
    row("… its scoring loop (CPU)", lambda d: f"{fmt_s(d['pl'])} ({d['pcpu']:.2f} s)" if "pl" in d else "–")
    row("**score ÷ Python** (speed-up)", lambda d: f"**{d['speedup']:.2f}×**" if "speedup" in d else "–")
    row("speed-up, loops only (startup / import left out)", lambda d: f"{d['speedup_loop']:.2f}×" if "speedup_loop" in d else "–")
    row("peak RSS of edgectl score", lambda d: f"{d['rss'] / 1024:.0f} MiB")
    w("")

    w("## Ingest in detail\n")
    mb = r.one("ingest.bytes") / 1e6
    w("| | edgectl ingest | sqlite3 .import |")
    w("| --- | ---: | ---: |")
    w(f"| wall time, {n_ing:,.0f} records ({mb:.0f} MB) | {fmt_s(ie)} | {fmt_s(ii)} |")
    w(f"| records/s | {rate(n_ing, ie)} | {rate(n_ing, ii)} |")
    w(f"| MB/s of CSV | {mb / ie:.0f} | {mb / ii:.0f} |")
    w(f"| CPU time | {fmt_s(r.med('ingest.edgectl.cpu'))} | {fmt_s(r.med('ingest.import.cpu'))} |")
    w(f"| peak RSS | {mem['ingest_large']:.0f} MiB | {mem['import']:.0f} MiB |")
    w(f"| **ingest ÷ .import** | **{ii / ie:.2f}** ({fig['ingest_import_range'][0]:.2f}–{fig['ingest_import_range'][1]:.2f}) | |")
    w("")
    if r.has("ingest.sqlite_plain.seconds"):
        isq, isq_cpu = r.med("ingest.sqlite_plain.seconds"), r.med("ingest.sqlite_plain.cpu_seconds")
        ipd = r.med("ingest.sqlite_padded.seconds")
        w("What SQLite alone needs to write the same item rows (same SQL, settings, 10,000 rows per commit; the rows "
          "already in memory):\n")
        w("| | wall | CPU | records/s | ÷ edgectl ingest time |")
        w("| --- | ---: | ---: | ---: | ---: |")
        w(f"| SQLite alone, item rows as ingest writes them | {fmt_s(isq)} | {fmt_s(isq_cpu)} | {rate(n_ing, isq)} | {isq / ie:.2f} |")
        w(f"| … with zero-padded ordinals in source keys | {fmt_s(ipd)} | {fmt_s(r.med('ingest.sqlite_padded.cpu_seconds'))} | "
          f"{rate(n_ing, ipd)} | {ipd / ie:.2f} |")
        w(f"| sqlite3 .import (above) | {fmt_s(ii)} | {fmt_s(r.med('ingest.import.cpu'))} | {rate(n_ing, ii)} | {ii / ie:.2f} |")
        w("")
        w(f"An item row holds a {r.one('ingest.payload_bytes'):.0f}-byte JSON payload (the CSV row is "
          f"{r.one('ingest.bytes') / n_ing:.0f} bytes: JSON repeats the 18 column names in every row), a "
          "71-byte unique source key and the source path and time as text.\n")

    w("## Memory in detail\n")
    w(f"| peak RSS | {mem['small']:,} items | {mem['large']:,} items | growth |")
    w("| --- | ---: | ---: | ---: |")
    w(f"| edgectl ingest | {mem['ingest_small']:.0f} MiB | {mem['ingest_large']:.0f} MiB | ×{fig['mem_ingest_growth']:.2f} |")
    w(f"| edgectl score (sample model) | {mem['score_small']:.0f} MiB | {mem['score_large']:.0f} MiB "
      f"(in {mem['score_large_wall']:.1f} s) | ×{fig['mem_score_growth']:.2f} |")
    w(f"| edgectl score with nothing to score (baseline) | {mem['startup']:.0f} MiB | | |")
    w("")

    w(analysis(r, score, mem, prof, ie, ii, n_ing))

    w("## Reproducibility\n")
    if previous:
        w(f"Compared with the previous run of this script ({previous.get('date', '?')}, commit "
          f"{previous.get('commit', '?')}):\n")
        w("| figure | previous (range) | this run (range) | change | within the other run's range? |")
        w("| --- | --- | --- | ---: | --- |")
        names = {"score_sample_limit_ratio": "score ÷ limit, sample", "score_big_limit_ratio": "score ÷ limit, compute-bound",
                 "score_sample_python_speedup": "score ÷ Python, sample", "score_big_python_speedup": "score ÷ Python, compute-bound",
                 "ingest_import_ratio": "ingest ÷ .import"}
        targets = {"score_sample_limit_ratio": 0.85, "score_big_limit_ratio": 0.85, "score_sample_python_speedup": 2.0,
                   "score_big_python_speedup": 2.0, "ingest_import_ratio": 1.0}
        ok_all = True
        same_verdicts = True
        for k, label in names.items():
            if k not in fig or k not in previous.get("figures", {}):
                continue
            pv, cv = previous["figures"][k], fig[k]
            pr = previous["figures"].get(k.replace("_ratio", "_range").replace("_speedup", "_range"))
            cr = fig.get(k.replace("_ratio", "_range").replace("_speedup", "_range"))
            inside = bool(pr and cr and (pr[0] <= cv <= pr[1] or cr[0] <= pv <= cr[1]))
            change = (cv - pv) / pv
            ok = inside or abs(change) <= 0.10
            ok_all &= ok
            same_verdicts &= (pv >= targets[k]) == (cv >= targets[k])
            w(f"| {label} | {pv:.2f} ({pr[0]:.2f}–{pr[1]:.2f}) | {cv:.2f} ({cr[0]:.2f}–{cr[1]:.2f}) | {change:+.0%} | "
              f"{'yes' if inside else 'no'} |")
        for k, label in (("mem_ingest_growth", "peak RSS growth, ingest"), ("mem_score_growth", "peak RSS growth, score")):
            if k in fig and k in previous.get("figures", {}):
                pv, cv = previous["figures"][k], fig[k]
                w(f"| {label} | ×{pv:.2f} | ×{cv:.2f} | {(cv - pv) / pv:+.0%} | |")
        w("")
        w("Verdict: " + ("every headline ratio reproduces within noise (inside the other run's range of repetitions, "
                         "or within ±10%)" if ok_all else "some figures moved by more than the noise between runs (see "
                                                          "the table); treat them with care")
          + ("; every target is met or missed the same way in both runs." if same_verdicts else
             "; some targets flip between met and missed from one run to the other (they sit within noise of the "
             "target).") + "\n")
    else:
        w("_First run: rerun `scripts/bench.sh` to compare a second run with this one here._\n")

    w(SUGGESTIONS)
    record = {"date": now, "commit": m["commit"], "figures": fig}
    w(MARK + json.dumps(record) + " -->")
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


def analysis(r, score, mem, prof, ie, ii, n_ing):
    """What limits each figure, with the profile evidence, then the profiles themselves."""
    L = []
    w = L.append

    def inc(pname, label):
        p = prof.get(pname)
        if not p:
            return 0.0, 0.0
        for k, v in p.get("inclusive", []):
            if k == label:
                return v, v * p["cpu_seconds"] / 100
        return 0.0, 0.0

    def cat(pname, label):
        p = prof.get(pname)
        return dict((k, v) for k, v in p["categories"]).get(label, 0.0) if p else 0.0

    def top(pname, needle):
        p = prof.get(pname)
        return sum(v for v, _, sym in p["top"] if needle in sym) if p else 0.0

    def pct_s(pname, label):
        pc, sec = inc(pname, label)
        return f"{sec:.2f} s ({pc:.0f}%)"

    w("## What limits each figure\n")
    w("Profiles are `perf record -e cpu-clock` (software timer sampling: this VM exposes no hardware counters, "
      "`perf stat -e instructions` says *not supported*, so callgrind-style instruction counts are replaced by "
      "sampled CPU time), one extra run of each command at the sizes above; score, ingest and the SQLite limit with "
      "DWARF call graphs, so that a function's share includes everything it calls (shares are of the CPU time "
      "sampled; seconds are CPU seconds). For score only the main thread is counted: OpenBLAS keeps a worker per "
      "extra core that spins in `sched_yield` between BLAS calls. The full tables follow this section.\n")

    S = "score-sample"
    X = "… payload JSON to feature row (FeatureExtractor::extract)"
    d = score.get("sample")
    if d:
        w(f"### score ÷ limit, sample model: {d['ratio']:.2f} (target 0.85)\n")
        w(f"The limit is SQLite (b): writing the {d['n']:,.0f} insight rows takes {d['s']:.2f} s alone "
          f"(CPU {d['s_cpu']:.2f} s; the rest is waiting for fsync), the bare forward only {d['f']:.2f} s. "
          f"edgectl takes {d['e']:.2f} s: it does the same SQLite work, and everything else one step after the "
          "other on the same thread. Its main thread:\n")
        w(f"- SQLite writes, the part the limit measures: inserting insight and progress rows (`Statement::run`) "
          f"{pct_s(S, '… … INSERT insight and progress rows (Statement::run)')}, `COMMIT` "
          f"{pct_s(S, '… COMMIT (Transaction::commit)')} (WAL checkpoint {inc(S, '… … WAL checkpoint')[1]:.2f} s, "
          f"fsync {inc(S, '… … fsync')[1]:.2f} s); inside them SQLite's allocator takes a global mutex on every "
          f"`malloc` (`pthread_mutex_lock`/`unlock`: {top(S, 'pthread_mutex'):.0f}% self time; Debian's SQLite keeps "
          "memory statistics) and every bound text is copied (`SQLITE_TRANSIENT`);")
        w(f"- process start: {d['st']:.2f} s of wall time (relocating LibTorch's symbols "
          f"{inc(S, 'start: relocating shared libraries')[1]:.2f} s CPU, its static initialisers "
          f"{inc(S, 'start: static initialisers (LibTorch operator registry)')[1]:.2f} s) — "
          f"{d['st'] / d['s']:.0%} of the limit by itself at this size;")
        w(f"- the rest, in series with the writes: reading items (`SELECT` steps) "
          f"{pct_s(S, '… … of which reading items (SELECT steps)')}, payload to feature row (simdjson, "
          f"`FeatureExtractor::extract`) {pct_s(S, X)}, forward {pct_s(S, '… forward (TorchScriptModel::forward)')}, "
          f"softmax and rules {pct_s(S, '… softmax and rules (interpret)')}, probabilities to JSON text "
          f"(`Json(...).dump()`, grisu2) {pct_s(S, '… probabilities to JSON text (serializer::dump)')}.\n")
        if d["e"] > d["cpu"]:
            w(f"Its wall time exceeds its CPU time ({d['e']:.2f} s vs {d['cpu']:.2f} s): fsync waits"
              + (", and the time the other processes on this machine took the cores." if r.one("run.others_cores") > 0.25
                 else "."))
        w(f"In steady state (startup left out) the ratio is {d['steady']:.2f}. To reach 0.85 at this size, what is "
          "not SQLite's (the startup and the last list item) must fit in ≲ 18% of the SQLite time or run beside it "
          "on the second core: suggestions 1, 2 and 4.\n")

    B = "score-big"
    d = score.get("big")
    if d:
        w(f"### score ÷ limit, compute-bound model: {d['ratio']:.2f} (target 0.85)\n")
        w(f"The limit is the forward (a): {d['f']:.2f} s for {d['n']:,.0f} items (SQLite alone {d['s']:.2f} s). "
          f"edgectl takes {d['e']:.2f} s, {d['e'] - d['f']:.2f} s more than the forward: startup {d['st']:.2f} s, "
          f"and in its main thread the 256-field payloads to feature rows {pct_s(B, X)}, the SQLite steps "
          f"{pct_s(B, '… SQLite steps, SELECT and INSERT (Statement::step)')} and commits "
          f"{pct_s(B, '… COMMIT (Transaction::commit)')}, all in series with the forward "
          f"({pct_s(B, '… forward (TorchScriptModel::forward)')} of the main thread; OpenBLAS does part of it on "
          "its worker). Nothing of it is large; it adds up because nothing overlaps.\n")
        d2, d1 = score.get("big2"), score.get("big1b")
        if d2 and d1:
            w(f"Threads. `--threads 1` does not mean one thread: OpenBLAS (Debian's openblas-pthread) runs its own pool "
              "of one thread per core whatever `at::set_num_threads` says (the score profiles sample "
              f"{prof[B]['threads'] if prof.get(B) else '?'} threads with `--threads 1`; the bare forward kept "
              f"{d['f_cpu'] / d['f']:.1f} cores busy on average, less when the other processes took the second "
              f"core). With `--threads 2`, the OpenMP team and the OpenBLAS pool oversubscribe the 2 cores: the bare "
              f"forward takes {d2['f']:.2f} s instead of {d['f']:.2f} s and edgectl {d2['e']:.2f} s instead of "
              f"{d['e']:.2f} s (its ratio, {d2['ratio']:.2f}, looks better only because its limit got worse). Holding "
              f"OpenBLAS to one thread (`OPENBLAS_NUM_THREADS=1`): bare forward {d1['f']:.2f} s, edgectl "
              f"{d1['e']:.2f} s, ratio {d1['ratio']:.2f}; the second core is then free for the reading and writing "
              "that suggestion 1 would move beside the forward (suggestion 3).\n")

    d, db_ = score.get("sample"), score.get("big")
    if d and "speedup" in d:
        P = "python-sample"
        w(f"### score ÷ Python: {d['speedup']:.2f}× (sample), "
          + (f"{db_['speedup']:.2f}× (compute-bound)" if db_ and "speedup" in db_ else "") + " (target 2×)\n")
        w(f"Whole processes: Python {d['pw']:.2f} s, of which {d['pimp']:.2f} s is `import torch` and the model load; "
          f"its scoring loop {d['pl']:.2f} s against edgectl's {d['e'] - d['st']:.2f} s after startup"
          + (f" (compute-bound: {db_['pl']:.2f} s against {db_['e'] - db_['st']:.2f} s)" if db_ and "pl" in db_ else "")
          + (". edgectl's loop is dominated by SQLite writes that Python pays just the same (same SQL, same "
             "library, no cheaper per row in C++); Python adds its interpreter on top, which is not enough to make "
             f"edgectl's loop more than {d['speedup_loop']:.1f}× faster"
             + (f" ({db_['speedup_loop']:.1f}× for the compute-bound model)" if db_ and "speedup_loop" in db_ else "")
             + "; the rest of the speed-up is Python's slower start-up" if d["speedup_loop"] < 2 else
             f". edgectl's loop is {d['speedup_loop']:.1f}× faster than the interpreted one")
          + f". Python's own profile: interpreter {cat(P, 'Python interpreter'):.0f}%, SQLite "
          f"{cat(P, 'SQLite'):.0f}%, kernel {cat(P, 'kernel (syscalls, page faults, I/O)'):.0f}%, LibTorch "
          f"{cat(P, 'LibTorch dispatch / interpreter'):.0f}%. What raises this ratio is what raises the limit ratio "
          "(overlap, suggestion 1) plus cheaper writes per row (suggestion 4), which Python's `executemany` would "
          "not get.\n")

    I = "ingest"
    w(f"### ingest ÷ sqlite3 .import: {ii / ie:.2f} (target 1.0)\n")
    if r.has("ingest.sqlite_plain.seconds"):
        isq = r.med("ingest.sqlite_plain.seconds")
        ipd = r.med("ingest.sqlite_padded.seconds")
        w(f"`.import` takes {ii:.2f} s, edgectl {ie:.2f} s. SQLite alone, writing the very rows ingest writes, already "
          f"takes {isq:.2f} s: even if parsing and formatting cost nothing, ingest would reach only "
          f"{ii / isq:.2f} of `.import` with today's rows and settings. Why SQLite alone is slower than `.import`: each "
          f"row is bigger ({r.one('ingest.payload_bytes'):.0f}-byte JSON payload vs a {r.one('ingest.bytes') / n_ing:.0f}-byte "
          "CSV row, plus key, source and time); every row also enters the unique index on the 71-byte `source_key`; "
          "WAL with `synchronous=FULL` fsyncs every 10,000-row commit and the WAL auto-checkpoint copies each page a "
          "second time into the database and fsyncs again — `.import` writes one transaction into a new table with a "
          "rollback journal (new pages need no journal), no index, and syncs once. Zero-padding the ordinal so keys "
          f"arrive in order changes little ({ipd:.2f} s vs {isq:.2f} s): the key's size, not its order, is what costs.\n")
    w(f"Inside edgectl ({prof[I]['cpu_seconds']:.2f} s CPU sampled, main thread):\n" if prof.get(I) else "")
    if prof.get(I):
        w(f"- SQLite: `INSERT` {pct_s(I, '… … INSERT item (Statement::run)')}, `COMMIT` "
          f"{pct_s(I, '… … COMMIT every 10,000 (Transaction::commit)')} (WAL checkpoint "
          f"{inc(I, '… … … WAL checkpoint')[1]:.2f} s, fsync {inc(I, '… … … fsync')[1]:.2f} s);")
        w(f"- the PII policy (`Policy::apply`: keyed hash, mask, regex redaction) "
          f"{pct_s(I, '… … PII policy (Policy::apply)')}, nearly all of it `std::regex` (its backtracking "
          f"executor `_Executor::_M_dfs` and the `std::function` matchers: {cat(I, 'std::regex (PII redaction)'):.0f}% "
          f"self time) and the per-record HMAC-SHA-256 ({cat(I, 'SHA-256'):.0f}%, with the file hash);")
        w(f"- edgectl's own per-record work: building the record's nlohmann object "
          f"{pct_s(I, '… building the record' + chr(39) + 's JSON object (rest of the loop)')}, turning it into text "
          f"(`dump_json`: grisu2 for every number, escaping) {pct_s(I, '… … payload JSON text (dump_json)')}, "
          f"`csv_cell_value` (`strtod`, a `Json` per cell) {pct_s(I, '… cell to JSON value (csv_cell_value)')}, CSV "
          f"parsing {pct_s(I, '… CSV parsing (CsvReader::next)')} — together "
          f"{sum(inc(I, k)[0] for k in ('… building the record' + chr(39) + 's JSON object (rest of the loop)', '… … payload JSON text (dump_json)', '… cell to JSON value (csv_cell_value)', '… CSV parsing (CsvReader::next)')):.0f}% of the CPU;")
        w(f"- hashing the file {pct_s(I, 'hash the file (sha256_file)')} and process start (LibTorch) "
          f"{inc(I, 'start: relocating shared libraries')[1] + inc(I, 'start: static initialisers (LibTorch operator registry)')[1]:.2f} s: small.\n")
    w("So three things bound this figure: the regex redaction of the PII policy and edgectl's own per-record work "
      "(both fixable, suggestions 5, 6 and 7), and the cost of the rows themselves in SQLite (a schema and "
      "durability question, suggestions 8 and 9). With the CPU work made cheap and overlapped with the writes on "
      "the two cores, the ceiling is SQLite alone, about "
      + (f"{ii / r.med('ingest.sqlite_plain.seconds'):.2f}" if r.has("ingest.sqlite_plain.seconds") else "?")
      + " of `.import`; 1.0 needs cheaper rows.\n")

    w(f"### Peak memory: flat\n")
    w(f"Ingest and score hold one batch at a time (bounded readers, commits every 10,000 / {4096:,} items), so peak RSS "
      f"does not move from {mem['small']:,} to {mem['large']:,} items. Its level is LibTorch's: a score run with "
      f"nothing to score peaks at {mem['startup']:.0f} MiB (libtorch_cpu and its dependencies mapped, the operator "
      f"registry built), and ingest — which never runs a model — pays the same {mem['ingest_large']:.0f} MiB, against "
      f"{mem['import']:.0f} MiB for `sqlite3 .import` (suggestion 2).\n")

    for name, title in (("score-sample", "edgectl score, sample model (main thread)"),
                        ("score-big", "edgectl score, compute-bound model (main thread)"),
                        ("sqlite-sample", "limit (b): SQLite alone writing the sample model's insight rows"),
                        ("python-sample", "Python pipeline, sample model"),
                        ("ingest", "edgectl ingest, 1M rows"),
                        ("import", "sqlite3 .import, 1M rows"),
                        ("startup", "edgectl score with nothing to score (startup)")):
        w(f"### Profile: {title}\n")
        w(profile_tables(prof.get(name)))
    return "\n".join(L)


SUGGESTIONS = """## Suggested changes in core/ (not made here)

In order of expected gain for the ratios that miss; each names the figures of this script it should
move. (Payload parsing, the largest item in earlier profiles, already moved to simdjson in
`core/features.cpp`.)

1. **Overlap the model side with the SQLite side of score** — `core/score.cpp` `ModelScorer::run` /
   `score_batch`. Two threads: a producer with its own read-only connection (WAL lets it read while
   the main connection writes) that selects the next batch after the cursor, extracts features, runs
   the forward and `interpret`, and formats the rows (probabilities text included); and the main
   thread, which only binds, steps and commits, and alone advances `score_progress` in the same
   transaction, so the crash-safety argument is unchanged (quarantine rows travel with their batch
   and are written in order by the main thread). A queue of one or two batches. Expected: wall ≈
   startup + max(model side, SQLite side), i.e. limit + startup: steady-state ratio ≥ 0.9 for the
   sample model (SQLite side is the limit) and ≈ 0.85–0.9 for the compute-bound one (forward +
   extraction on one side), ratio with startup as given by the *startup* line. Moves: both score ÷
   limit figures and score ÷ Python.
2. **Do not wait for LibTorch** — `core/torch_model.cpp` into its own shared module (the `Model`
   interface in `core/model.hpp` is already the seam; its link line moves from `edgectl_core` to the
   module in `core/CMakeLists.txt`), `dlopen`ed on first use. Score starts the `dlopen` on a thread at
   once and meanwhile opens the store, selects and extracts the first batches; ingest, status and
   export never load it. The *startup* profile is what this saves: symbol relocation and LibTorch's
   operator registration, ~0.4 s per run (the whole startup row of the score table), and ~160 MiB of
   resident memory for ingest (see *Peak memory*). Matters most for cron, where a run scores or
   ingests a few thousand items and is mostly start-up. Moves: score ÷ limit, ingest ÷ .import, RSS.
3. **Make `--threads N` bound OpenBLAS too** — `core/torch_model.cpp` `set_inference_threads`: look
   up `openblas_set_num_threads` with `dlsym(RTLD_DEFAULT, ...)` (present only when the BLAS is
   OpenBLAS) and call it with N. Today OpenBLAS runs a thread per core whatever `--threads` says, and
   `--threads 2` is several times slower than 1 on this 2-core machine (see the `--threads 2` column).
   Expected: `--threads 1` really single-threaded (the bare forward gets slower: see the *OpenBLAS held
   to 1 thread* column, so the limit moves too) and a core left for 1; `--threads 2` no longer slower.
4. **Cheaper SQLite writes per row** — `core/db.cpp`. (a) `sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)`
   once, before the first connection: Debian's SQLite keeps allocator statistics under a global mutex,
   taken on every `sqlite3_malloc` (the `pthread_mutex_lock`/`unlock` lines in the score and ingest
   profiles). (b) A `Statement::bind` variant with `SQLITE_STATIC` for text that outlives the step (model
   name, version, digest, `scored_at`, source, `ingested_at`): today every bound string is copied
   (`SQLITE_TRANSIENT`). (c) Raise `PRAGMA wal_autocheckpoint` (e.g. 16,384 pages) and checkpoint once
   at the end of a run: every commit today also triggers a checkpoint that copies the pages into
   `edgectl.db` and fsyncs again (the *WAL checkpoint* lines). Expected: 5–15% of the SQLite side of
   both commands. Moves: score ÷ limit (edgectl's writes get cheaper than the limit's), ingest.
5. **Scrub without `std::regex`** — `core/policy.cpp` `Policy::redact_string` / `keyed_hash`. The
   presets (e-mail, phone, IPv4) become hand-written single-pass scanners (with a cheap pre-test: no
   `@`, no redaction; no run of digits, no phone), and custom patterns go to a linear-time engine
   (RE2, `libre2-dev` in Debian) instead of libstdc++'s backtracking `std::regex`; keyed hashes are
   cached per distinct value within a run (the same e-mail address recurs on every record of an
   operator: a small map from value to token). Expected: most of the policy line of the ingest profile,
   the largest single item — ingest CPU roughly −35%. Moves: ingest ÷ .import. (Not speed: the phone
   preset also redacts ISO dates — the benchmark's `taken_at` values `2026-11-20T…` are stored as
   `[phone]T…` — which a scanner with explicit rules would avoid; worth a test.)
6. **Write the ingest payload without building a JSON object** — `core/ingest.cpp`
   `FileIngester::read_csv` / `add_item` / `csv_cell_value`, and `core/policy.cpp` so the policy can act
   on cells. Precompute from the header, once per file, each column's escaped `"name":` in the order
   nlohmann's `std::map` gives today (sorted), and append each cell as a number token (after the
   strict-number check `csv_cell_value` already does, formatted as today; a test checks byte-identity
   with today's payloads) or as an escaped, scrubbed string, into one reused `std::string`. No `Json`
   object, no `dump`. Expected: the object-building, `dump_json` and most of the `csv_cell_value`
   lines of the ingest profile, about a third of ingest's CPU. Moves: ingest ÷ .import.
7. **Parse on one core, write on the other, in ingest** — `core/ingest.cpp`. A producer thread reads,
   parses, scrubs and formats (5, 6); the main thread binds and steps. Expected: ingest wall ≈ the
   *SQLite alone, item rows* line: the ceiling with today's rows.
8. **Cheaper item rows (schema change, a store migration)** — `schemas/`, `core/ingest.cpp`,
   `core/score.cpp`. SQLite alone needs longer for ingest's rows than `.import` for the whole job: a
   JSON object per row that repeats every column name, a 71-byte unique text key, source path and time
   as text per row. E.g. key items by `(source_id INTEGER, ordinal INTEGER)` with the digest, path and
   time once in `sources`. Needed for ingest ÷ .import ≥ 1.0; the padded-key line shows that key order
   alone does not help.
9. **Durability with fewer fsyncs** — `core/db.cpp` `Db::open`: `synchronous=NORMAL` in WAL mode
   skips the fsync per commit; what `--move-to` needs (records durable before the file moves) can be
   kept with one WAL fsync or `PRAGMA wal_checkpoint(FULL)` per file before the move. Expected: the
   off-CPU part (wall − CPU) of ingest and of the score limit. A design decision, not a free change.
10. Small, in `core/score.cpp`: `score_batch` copies `source` and `source_key` into a `Pending` for
   every item though only quarantine needs them; `write_insights` builds a `Json` array per row to
   print the probabilities (`grisu2` in the profile): `std::to_chars` into a reused buffer does it.
   In `core/features.cpp`, the per-key `std::unordered_map` lookup (`_Hashtable::find`, `_Hash_bytes`
   in the compute-bound profile) can become a walk in step: ingest writes keys in sorted order, so
   keep the model's fields sorted with their columns and compare each payload key with the next
   expected field, falling back to the map when the order breaks.
"""


if __name__ == "__main__":
    main()
