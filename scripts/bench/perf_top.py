#!/usr/bin/python3
"""Summarises a `perf record` profile (cpu-clock sampling) as JSON for report.py.

  perf_top.py PERF.data [--top N] [--main] [--inclusive LABEL=REGEX ...]

Prints JSON with:
  cpu_seconds   CPU time sampled (cpu-clock counts nanoseconds), of the main thread with --main;
  threads       how many threads were sampled;
  categories    share of self time per category (what a symbol belongs to: JSON, SQLite, LibTorch,
                BLAS, allocator, kernel, ...);
  top           the N hottest functions by self time (C++ template arguments stripped);
  inclusive     for each LABEL, the share of time spent in a function matching REGEX and everything
                it calls (needs a profile recorded with --call-graph; the largest match counts).
With --main only the main thread counts: OpenBLAS's idle worker threads spin in sched_yield, which
would otherwise drown what the main thread does. Shares are of the CPU time counted.
"""

import argparse
import json
import re
import subprocess

# First match wins: (category, dso regex, symbol regex), matched on the symbol without templates.
CATEGORIES = [
    ("JSON dump (nlohmann)", r"", r"serializer|dump_json|dtoa_impl|grisu"),
    ("JSON parse/build (nlohmann, strtod)", r"", r"nlohmann|parse_json|nesting_depth|lexer|strtod|str_to_mpn|round_and_return"),
    ("CSV reader", r"", r"CsvReader|ByteReader|csv_cell_value|LineReader|File::read"),
    ("feature extraction / interpret", r"", r"extract_features|FeatureExtractor|simdjson|interpret|rule_matches"),
    ("std::regex (PII redaction)", r"", r"std::__detail::_Executor|std::__detail::_Compiler|std::__detail::_BracketMatcher|std::__detail::_AnyMatcher|std::__detail::_CharMatcher|std::regex|std::_Function_handler|_State_base|_NFA|std::__detail::_Scanner"),
    ("SHA-256", r"libcrypto", r""),
    ("SQLite", r"libsqlite3", r""),
    ("dynamic linking / startup", r"ld-linux", r""),
    ("BLAS / oneDNN kernels", r"openblas|libblas|dnnl|gomp", r""),
    ("LibTorch dispatch / interpreter", r"libtorch|libc10", r""),
    ("allocator (malloc/free)", r"libc\.so", r"malloc|free|_int_|realloc|calloc|tcache"),
    ("libc memcmp/memcpy/strlen", r"libc\.so", r"mem|str"),
    ("std::map / std::string", r"", r"_Rb_tree|basic_string|std::map"),
    ("kernel (syscalls, page faults, I/O)", r"kernel", r""),
    ("Python interpreter", r"python3|libpython", r""),
    ("Python json/sqlite3 modules", r"_json|_sqlite", r""),
]


def strip_templates(sym):
    prev = None
    while prev != sym:
        prev = sym
        sym = re.sub(r"<[^<>]*>", "", sym)
    return sym.replace("nlohmann::json_abi_v3_11_2::", "nlohmann::")


def perf_report(data, *args):
    return subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none", *args],
                          capture_output=True, text=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--main", action="store_true")
    ap.add_argument("--inclusive", nargs="*", default=[])
    a = ap.parse_args()

    threads = []
    by_pid = perf_report(a.data, "--no-children", "--sort", "pid", "-n")
    for line in by_pid.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(\d+):", line)
        if m:
            threads.append((int(m.group(3)), float(m.group(1))))
    events = re.search(r"Event count \(approx\.\): (\d+)", by_pid)
    cpu_seconds = int(events.group(1)) / 1e9 if events else 0.0
    extra, share = [], 100.0
    if a.main and threads:
        tid = min(t for t, _ in threads)
        share = dict(threads)[tid]
        extra = ["--tid", str(tid)]
    scale = 100.0 / share if share else 1.0

    rows = []
    for line in perf_report(a.data, "--no-children", "--sort", "dso,sym", "--percent-limit", "0", *extra).splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*?)\s*$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3)))
    cats = {}
    for pct, dso, sym in rows:
        plain = strip_templates(sym)
        for name, dre, sre in CATEGORIES:
            if (not dre or re.search(dre, dso)) and (not sre or re.search(sre, plain)):
                break
        else:
            name = "other"
        cats[name] = cats.get(name, 0.0) + pct

    inclusive = []
    if a.inclusive:
        children = []
        for line in perf_report(a.data, "--children", "--sort", "sym", "--percent-limit", "0.05", *extra).splitlines():
            m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(.*?)\s*$", line)
            if m:
                children.append((float(m.group(1)), m.group(3)))
        for spec in a.inclusive:
            label, regex = spec.split("=", 1)
            best = max((p for p, sym in children if re.search(regex, sym)), default=0.0)
            inclusive.append([label, round(best * scale, 2)])

    print(json.dumps({
        "cpu_seconds": round(cpu_seconds * share / 100.0, 3),
        "threads": len(threads),
        "categories": sorted(([k, round(v * scale, 2)] for k, v in cats.items()), key=lambda kv: -kv[1]),
        "top": [[round(p * scale, 2), dso, strip_templates(sym)[:90]] for p, dso, sym in rows[:a.top]],
        "inclusive": inclusive,
    }, indent=1))


if __name__ == "__main__":
    main()
