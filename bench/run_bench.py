#!/usr/bin/env python3
"""The `mapc run` benchmark (docs/performance.md, "mapc run").

For 100k (and, with --1m, 1M) records of ../shared/bench/gen.py: `mapc preview` of
bench/run.mapc.yaml to /dev/null, a first `mapc run` file -> file into an empty
scratch folder (target and state created), and a second run with nothing changed.
Wall time (best of RUNS) and peak RSS (GNU time) for each; prints a markdown table and
the goals: first run >= 0.7x preview's throughput, unchanged rerun >= 2x faster than
the first, peak memory 1M/100k <= 1.2.

  python3 bench/run_bench.py [--1m] [--runs N] [--mapc target/release/mapc]
"""
import argparse, os, shutil, subprocess, sys, time, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "..", "shared", "bench", "gen.py")
SPEC = os.path.join(ROOT, "bench", "run.mapc.yaml")


def timed(cmd, env):
    """(wall seconds, peak RSS KiB, exit code) of one run."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    rss = int(p.stderr.strip().splitlines()[-1])
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return wall, rss


def data(n, folder):
    path = os.path.join(folder, f"bench-{n}.ndjson")
    if not os.path.exists(path):
        with open(path + ".part", "w") as f:
            subprocess.run([sys.executable, GEN, str(n)], stdout=f, check=True)
        os.rename(path + ".part", path)
    return path


def measure(mapc, n, folder, runs):
    src = data(n, folder)
    out = os.path.join(folder, f"run-{n}")
    env = dict(os.environ, MAPC_BENCH_DATA=src, MAPC_BENCH_OUT=out)
    common = ["--as-of", "2026-11-22"]
    res = {"preview": [], "first": [], "second": []}
    for _ in range(runs):
        res["preview"].append(timed([mapc, "preview", SPEC, "--input", src, "--format", "ndjson"] + common, env))
        shutil.rmtree(out, ignore_errors=True)
        state = ["--state", os.path.join(out, "state.db")]
        res["first"].append(timed([mapc, "run", SPEC] + state + common, env))
        res["second"].append(timed([mapc, "run", SPEC] + state + common, env))
    best = {k: (min(w for w, _ in v), max(r for _, r in v)) for k, v in res.items()}
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--1m", dest="m1", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mapc", default=os.path.join(ROOT, "target", "release", "mapc"))
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "mapc-run-bench"))
    a = ap.parse_args()
    os.makedirs(a.data, exist_ok=True)
    sizes = [100_000] + ([1_000_000] if a.m1 else [])
    rows = {n: measure(a.mapc, n, a.data, a.runs) for n in sizes}
    print("| records | command | wall s (best of %d) | records/s | peak RSS MiB |" % a.runs)
    print("|---|---|---|---|---|")
    for n, best in rows.items():
        for k, label in [("preview", "mapc preview"), ("first", "mapc run (first)"), ("second", "mapc run (unchanged)")]:
            w, r = best[k]
            print(f"| {n:,} | {label} | {w:.3f} | {n / w:,.0f} | {r / 1024:.1f} |")
    b = rows[100_000]
    print()
    print(f"first run / preview throughput: {b['preview'][0] / b['first'][0]:.2f}x (goal >= 0.7)")
    print(f"unchanged rerun speed-up over the first: {b['first'][0] / b['second'][0]:.2f}x (goal >= 2)")
    if a.m1:
        m = rows[1_000_000]
        for k in ["first", "second"]:
            print(f"peak memory 1M / 100k, {k} run: {m[k][1] / b[k][1]:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
