#!/usr/bin/python3
"""Summarises a `perf record` profile (cpu-clock sampling) as JSON for report.py.

  perf_top.py PERF.data [--top N] [--inclusive LABEL=REGEX ...] [--role LABEL=REGEX ...]

Reads the samples once with `perf script` (thread, period, call chain) and prints JSON with:
  cpu_seconds   CPU time sampled, all threads (cpu-clock counts nanoseconds);
  threads       per thread: its role, its CPU seconds and its hottest functions (self time). The role
                is the first --role LABEL whose REGEX matches a frame's symbol or library path in
                at least a fifth of the thread's samples, else "main" for the process's first
                thread, else "other";
  categories    share of self time per category (what a symbol belongs to: JSON, SQLite, LibTorch,
                BLAS, allocator, kernel, ...), of all threads;
  top           the N hottest functions by self time (C++ template arguments stripped);
  inclusive     for each LABEL, the share of all sampled CPU time spent in a frame matching REGEX
                and everything it calls (needs a profile recorded with --call-graph), and the role
                of the thread that spent most of it. REGEX may be "OUTER >> INNER" (>> repeatable):
                INNER counts only where it is called, directly or not, from OUTER.
Shares are of the CPU time sampled in all threads.
"""

import argparse
import json
import re
import subprocess
from collections import defaultdict

# First match wins: (category, dso regex, symbol regex), matched on the symbol without templates.
CATEGORIES = [
    ("JSON dump (nlohmann)", r"", r"serializer|dump_json|dtoa_impl|grisu"),
    ("JSON parse/build (nlohmann, strtod)", r"", r"nlohmann|parse_json|nesting_depth|lexer|strtod|str_to_mpn|round_and_return"),
    ("payload text (format_csv, classify, append_json_string)", r"", r"format_csv|classify|append_json_string|RecordReader"),
    ("CSV reader", r"", r"CsvReader|ByteReader|csv_cell_value|LineReader|File::read"),
    ("PII policy (scanners, masking)", r"", r"Policy|redact|find_email|find_phone|find_ipv4|replace_all|replace_preset|Hasher|has_digits|keyed_hash|masked"),
    ("feature extraction / interpret", r"", r"extract_features|FeatureExtractor|simdjson|interpret|rule_matches"),
    ("std::regex", r"", r"std::__detail::_Executor|std::__detail::_Compiler|std::__detail::_BracketMatcher|std::__detail::_AnyMatcher|std::__detail::_CharMatcher|std::regex|_State_base|_NFA|std::__detail::_Scanner"),
    ("SHA-256 / HMAC", r"libcrypto", r""),
    ("SQLite", r"libsqlite3", r""),
    ("dynamic linking / startup", r"ld-linux", r""),
    ("BLAS / oneDNN kernels", r"openblas|libblas|dnnl|gomp", r""),
    ("LibTorch dispatch / interpreter", r"libtorch|libc10", r""),
    ("thread hand-off (mutex, condition variable)", r"libc\.so", r"pthread_cond|pthread_mutex|futex|__lll_lock"),
    ("allocator (malloc/free)", r"libc\.so", r"malloc|free|_int_|realloc|calloc|tcache"),
    ("libc memcmp/memcpy/strlen", r"libc\.so", r"mem|str"),
    ("std::map / std::string", r"", r"_Rb_tree|basic_string|std::map"),
    ("kernel (syscalls, page faults, I/O)", r"kernel", r""),
    ("Python interpreter", r"python3|libpython", r""),
    ("Python json/sqlite3 modules", r"_json|_sqlite", r""),
]

# A sample's first line: pid/tid period, then (no call graph recorded) its one frame.
HEADER = re.compile(r"^\s*(\d+)/(\d+)\s+(\d+)\s*(?:[0-9a-f]+ (.*) \((.*)\))?\s*$")
FRAME = re.compile(r"^\s+[0-9a-f]+ (.*) \((.*)\)$")


def strip_templates(sym):
    prev = None
    while prev != sym:
        prev = sym
        sym = re.sub(r"<[^<>]*>", "", sym)
    return sym.replace("nlohmann::json_abi_v3_11_2::", "nlohmann::")


def samples(data):
    """Yields (pid, tid, period, [(symbol, dso), ...] leaf first) for each sample."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "pid,tid,period,ip,sym,dso", "--no-inline"],
                         capture_output=True, text=True, check=True).stdout
    head, frames = None, []
    for line in out.splitlines():
        m = HEADER.match(line)
        if m:
            if head:
                yield (*head, frames)
            head, frames = (int(m.group(1)), int(m.group(2)), int(m.group(3))), []
            if m.group(4) is not None:
                frames.append((m.group(4), m.group(5)))
            continue
        f = FRAME.match(line)
        if f and head:
            frames.append((f.group(1), f.group(2)))
    if head:
        yield (*head, frames)


def chain_matches(chain, frames):
    """True if the regexes of chain match frames in caller-to-callee order (frames are leaf first)."""
    at = len(frames)
    for regex in chain:
        at = next((i for i in range(at - 1, -1, -1) if regex.search(frames[i][0])), -1)
        if at < 0:
            return False
    return True


def category(sym, dso):
    plain = strip_templates(sym)
    for name, dre, sre in CATEGORIES:
        if (not dre or re.search(dre, dso)) and (not sre or re.search(sre, plain)):
            return name
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--inclusive", nargs="*", default=[])
    ap.add_argument("--role", nargs="*", default=[])
    a = ap.parse_args()
    labels = [(s.split("=", 1)[0], [re.compile(x) for x in s.split("=", 1)[1].split(" >> ")]) for s in a.inclusive]
    roles = [(s.split("=", 1)[0], re.compile(s.split("=", 1)[1])) for s in a.role]

    total = 0
    by_thread = defaultdict(int)
    first_thread = {}
    self_time = defaultdict(int)                    # (dso, sym) -> period
    thread_self = defaultdict(lambda: defaultdict(int))
    role_hits = defaultdict(lambda: defaultdict(int))
    incl = defaultdict(lambda: defaultdict(int))    # label -> tid -> period
    for pid, tid, period, frames in samples(a.data):
        total += period
        by_thread[tid] += period
        first_thread.setdefault(pid, tid)
        first_thread[pid] = min(first_thread[pid], tid)
        leaf = frames[0] if frames else ("[unknown]", "[unknown]")
        self_time[(leaf[1], leaf[0])] += period
        thread_self[tid][(leaf[1], leaf[0])] += period
        for label, regex in roles:
            if any(regex.search(sym) or regex.search(dso) for sym, dso in frames):
                role_hits[tid][label] += period
        for label, chain in labels:
            if chain_matches(chain, frames):
                incl[label][tid] += period
    if total == 0:
        raise SystemExit("no samples")

    mains = set(first_thread.values())
    role_of = {}
    for tid, cpu in by_thread.items():
        role = next((label for label, _ in roles if role_hits[tid][label] >= 0.2 * cpu), None)
        role_of[tid] = role or ("main" if tid in mains else "other")

    cats = defaultdict(int)
    for (dso, sym), period in self_time.items():
        cats[category(sym, dso)] += period
    pct = lambda p: round(100.0 * p / total, 2)  # noqa: E731
    hottest = sorted(self_time.items(), key=lambda kv: -kv[1])[:a.top]
    threads = []
    for tid, cpu in sorted(by_thread.items(), key=lambda kv: -kv[1]):
        top3 = sorted(thread_self[tid].items(), key=lambda kv: -kv[1])[:3]
        top3 = [(s if s != "[unknown]" else f"[unknown] in {d.rsplit('/', 1)[-1]}", p) for (d, s), p in top3]
        threads.append({"tid": tid, "role": role_of[tid], "cpu_seconds": round(cpu / 1e9, 3), "share": pct(cpu),
                        "top": [[round(100.0 * p / cpu, 1), strip_templates(s)[:70]] for s, p in top3]})
    inclusive = []
    for label, _ in labels:
        per = incl[label]
        where = max(per, key=per.get) if per else None
        inclusive.append([label, pct(sum(per.values())), role_of.get(where, "")])
    print(json.dumps({
        "cpu_seconds": round(total / 1e9, 3),
        "threads": threads,
        "categories": sorted(([k, pct(v)] for k, v in cats.items()), key=lambda kv: -kv[1]),
        "top": [[pct(p), dso.rsplit("/", 1)[-1], strip_templates(sym)[:90]] for (dso, sym), p in hottest],
        "inclusive": inclusive,
    }, indent=1))


if __name__ == "__main__":
    main()
