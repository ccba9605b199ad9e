#!/usr/bin/env python3
"""Markdown tables for bench/run.sh (Python 3 stdlib only).

    python3 bench/report.py --results R100K.jsonl [--results-1m R1M.jsonl]
        [--check CHECK_1K.txt] [--check-100k CHECK_100K.txt] [--machine MACHINE.txt]

The results files hold one bench.py row per tool per round (bench.py --runs 1), in
round order: the k-th row of a tool belongs to round k. Per tool: min / median / max
wall seconds, median CPU seconds, the highest peak RSS, records/s and MB/s from the
median wall (input records and bytes, as bench.py counts them), peak RSS as the median
(and max) over rounds, and "x identity":
the median over rounds of identity's wall / the tool's wall in the same round (> 1 =
faster than the serde_json identity). The exact column is canon.py's tally against
ref.py on the 1k check.
"""
import argparse
import collections
import json
import re
import statistics

LABELS = {
    "mapc": "**mapc** (default: worker threads)",
    "mapc-1core": "**mapc, 1 core** (`taskset -c 0`)",
    "native-map": "native-map (hand-written Rust, rust_decimal)",
    "identity": "identity (serde_json Value, f64)",
    "identity-exact": "identity-exact (serde_json arbitrary_precision)",
    "cat": "cat (pipe floor)",
    "jq": "jq",
    "jaq": "jaq",
    "jsonata": "JSONata (node)",
    "vrl": "VRL (vrl-harness)",
}


def load(path):
    by = collections.OrderedDict()
    for line in open(path):
        r = json.loads(line)
        by.setdefault(r["name"], []).append(r)
    return by


def tally(path):
    """name -> (same, total, lines) from canon.py output."""
    out = {}
    if not path:
        return out
    for line in open(path):
        m = re.match(r"(\S+)\s+(\d+)/(\d+) records identical to reference \((\d+) lines\)", line)
        if m:
            name = re.sub(r"^out-(1k|100k)-", "", m.group(1).rsplit("/", 1)[-1]).removesuffix(".ndjson")
            out[name] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
    return out


def exact_text(t):
    if t is None:
        return "-"
    same, total, lines = t
    s = "%d/%d" % (same, total)
    if same == total and lines == total:
        return s + " (100 %)"
    return s + " (%.1f %%)" % (100.0 * same / total if total else 0)


def summarize(by):
    base = by.get("identity", [])
    rows = []
    for name, rs in by.items():
        walls = [r["wall_med"] for r in rs]
        med = statistics.median(walls)
        paired = [b["wall_med"] / r["wall_med"] for b, r in zip(base, rs)]
        rows.append({
            "name": name, "rounds": len(rs), "records": rs[0]["records"], "bytes": rs[0]["bytes"],
            "wall_min": min(walls), "wall_med": med, "wall_max": max(walls),
            "cpu_med": statistics.median(r["cpu_med"] for r in rs),
            "peak": max(r["peak_mib_max"] for r in rs),
            "peak_med": statistics.median(r["peak_mib_max"] for r in rs),
            "rps": rs[0]["records"] / med, "mbs": rs[0]["bytes"] / 1e6 / med,
            "x_paired": statistics.median(paired) if paired else None,
            "x_spread": (min(paired), max(paired)) if paired else None,
            "bad": sum(len(r["exit_codes_nonzero"]) for r in rs),
        })
    rows.sort(key=lambda r: -r["rps"])
    return rows


def table(rows, exact):
    print("| tool | records/s (median) | MB/s | wall s min / med / max | CPU s (median) | peak RSS MiB med (max) "
          "| x identity (paired, median [min-max]) | exact vs ref.py (1k) |")
    print("|---|---:|---:|---|---:|---:|---:|---|")
    for r in rows:
        x = "n/a" if r["x_paired"] is None else "%.2f [%.2f-%.2f]" % (r["x_paired"], *r["x_spread"])
        ex = exact_text(exact.get(r["name"])) if r["name"] in exact else (
            "n/a (no mapping)" if r["name"].startswith("identity") or r["name"] == "cat" else "-")
        print("| %s | %s | %.1f | %.3f / %.3f / %.3f | %.2f | %.1f (%.1f) | %s | %s |%s" % (
            LABELS.get(r["name"], r["name"]), format(int(round(r["rps"])), ","), r["mbs"],
            r["wall_min"], r["wall_med"], r["wall_max"], r["cpu_med"], r["peak_med"], r["peak"], x, ex,
            "  <!-- %d non-zero exits -->" % r["bad"] if r["bad"] else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--results-1m")
    ap.add_argument("--check")
    ap.add_argument("--check-100k")
    ap.add_argument("--machine")
    a = ap.parse_args()
    exact = tally(a.check)
    if a.machine:
        print("Machine and versions:\n")
        for line in open(a.machine):
            print("    " + line.rstrip())
        print()
    r100 = summarize(load(a.results))
    if r100:
        print("**%s records (%s bytes), %d measured rounds**\n" % (
            format(r100[0]["records"], ","), format(r100[0]["bytes"], ","), max(r["rounds"] for r in r100)))
        table(r100, exact)
        print()
    r1m = summarize(load(a.results_1m)) if a.results_1m else []
    if r1m:
        print("**%s records (%s bytes), %d measured rounds**\n" % (
            format(r1m[0]["records"], ","), format(r1m[0]["bytes"], ","), max(r["rounds"] for r in r1m)))
        table(r1m, exact)
        print()
        p100 = {r["name"]: r for r in r100}
        for r in r1m:
            b = p100.get(r["name"])
            if b and b["peak_med"] > 0 and r["name"].startswith("mapc"):
                print("- peak RSS %s, 1M vs 100k: median %.1f vs %.1f MiB (x %.2f), max %.1f vs %.1f MiB (x %.2f)" % (
                    r["name"], r["peak_med"], b["peak_med"], r["peak_med"] / b["peak_med"],
                    r["peak"], b["peak"], r["peak"] / b["peak"]))
        print()
    if a.check_100k:
        t = tally(a.check_100k)
        for name, v in t.items():
            print("- 100k check, %s vs ref.py: %s" % (name, exact_text(v)))
        print()
    if a.check:
        print("1k check (canon.py against ref.py):\n")
        for line in open(a.check):
            print("    " + line.rstrip())


if __name__ == "__main__":
    main()
