#!/usr/bin/env python3
"""The tool's own overhead over bare uv, measured in alternating pairs (issue #8: < 5%).

hyperfine times each command in one block of runs, so drift on a shared machine (another
process waking up, a CPU frequency change) lands on one side. Here every round runs bare uv and
the same release-tool command back to back, in alternating order, and the overhead is taken per
pair: the median of `tool - uv` over all pairs, with its 95% range from a bootstrap of the pairs.
Also reported: the tool's own CPU time (its process alone, `perf stat --no-inherit`), the part
of the overhead that is its work rather than a second process start.

    scripts/bench/overhead.py --workdir /tmp/bench -n 50,200,1000   # lock/sync, no-op and fresh
    scripts/bench/overhead.py --workdir /tmp/bench -n 200 --pairs 200

Workspaces come from make-workspace.sh (reused under --workdir, as run.py does); uv runs offline
from a warm cache (a first lock and sync are done, untimed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
REPO = SCRIPT_DIR.parent.parent
sys.path.insert(0, str(SCRIPT_DIR))
import run as bench  # noqa: E402  (the suite's helpers: workspace, environment, perf)

# name: (uv arguments, release-tool arguments, what to undo before every run, untimed)
CASES = {
    "lock": (["lock"], ["lock", "dev"], None),
    "sync": (["sync"], ["sync", "dev"], None),
    # Real work for uv: a full resolution, a new venv with every package installed. The file
    # system's state after deleting and recreating thousands of files drifts over a series of
    # runs (hyperfine, which runs one command's series after the other, showed whichever ran
    # second up to 1.5x slower, in either order); pairs in alternating order cancel that out.
    "lock-fresh": (["lock"], ["lock", "dev"], ["rm", "-f", "uv.lock"]),
    "sync-fresh": (["sync"], ["sync", "dev"], ["rm", "-rf", ".venv"]),
}


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    code = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode
    elapsed = time.perf_counter() - t0
    if code != 0:
        sys.exit(f"`{' '.join(argv)}` exited {code} in {cwd}")
    return elapsed


def bootstrap(diffs: list[float], rounds: int = 2000) -> tuple[float, float]:
    rng = random.Random(8)
    medians = sorted(statistics.median(rng.choices(diffs, k=len(diffs))) for _ in range(rounds))
    return medians[int(rounds * 0.025)], medians[int(rounds * 0.975)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--sizes", default="50,200,1000")
    p.add_argument("--pairs", type=int, default=100)
    p.add_argument("--fresh-pairs", type=int, default=30,
                   help="pairs for lock-fresh and sync-fresh (slower runs)")
    p.add_argument("--only", default=",".join(CASES),
                   help=f"comma-separated cases (default all: {','.join(CASES)})")
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--release-tool", default=str(REPO / "target/release/release-tool"))
    p.add_argument("--uv", default=None)
    p.add_argument("--out", type=Path, default=REPO / "target/bench/overhead.json")
    args = p.parse_args()
    args.only = [c for c in args.only.split(",") if c]
    uv = args.uv or str(REPO / ".cache/uv-0.13.9/bin/uv")
    if not os.access(uv, os.X_OK):
        uv = shutil.which("uv") or sys.exit("uv not found (pass --uv)")
    rt = str(Path(args.release_tool).resolve())
    base = args.workdir.resolve()
    base.mkdir(parents=True, exist_ok=True)
    env = bench.hermetic_env({"UV_CACHE_DIR": str(base / "uv-cache"), "UV_NO_PROGRESS": "1"})
    run_env = dict(env, UV_OFFLINE="1", RELEASE_TOOL_UV=uv)
    rows = []
    print("| N | case | bare uv (median) | release-tool (median) | overhead (median of pairs, 95% range) | overhead % | tool's own CPU |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in [int(s) for s in args.sizes.split(",") if s]:
        ws = bench.Workspace(base / f"n{n}", n, env)
        bench.build_workspace(ws.dir, n, env)
        ws.set_state("clean")
        bench.prepare_uv(ws.ws, uv, env)
        for name, (uv_args, rt_args, undo) in CASES.items():
            if name not in args.only:
                continue
            a, b = [uv, *uv_args], [rt, *rt_args]

            def run(argv: list[str]) -> float:
                if undo:
                    subprocess.run(undo, cwd=ws.ws, check=True)
                return timed(argv, ws.ws, run_env)

            for _ in range(3):  # warm up both
                run(a)
                run(b)
            pairs = args.fresh_pairs if undo else args.pairs
            bare, tool, diffs = [], [], []
            for i in range(pairs):
                if i % 2:
                    tb, ta = run(b), run(a)
                else:
                    ta, tb = run(a), run(b)
                bare.append(ta)
                tool.append(tb)
                diffs.append(tb - ta)
            own = bench.own_cpu_s(b, ws.ws, run_env, 20 if not undo else 5, undo)
            med_uv, med_tool, med_diff = (statistics.median(x) for x in (bare, tool, diffs))
            lo, hi = bootstrap(diffs)
            row = {
                "n": n, "case": name, "command": " ".join(rt_args), "pairs": pairs,
                "uv_median_s": med_uv, "tool_median_s": med_tool,
                "overhead_median_s": med_diff, "overhead_ci95_s": [lo, hi],
                "overhead_pct": 100 * med_diff / med_uv, "own_cpu_s": own,
                "load": bench.loadavg(),
            }
            rows.append(row)
            own_s = f"{own * 1000:.1f} ms ({100 * own / med_uv:.1f}%)" if own is not None else "—"
            print(f"| {n} | {name} | {med_uv * 1000:.1f} ms | {med_tool * 1000:.1f} ms "
                  f"| {med_diff * 1000:+.1f} ms ({lo * 1000:+.1f} … {hi * 1000:+.1f}) "
                  f"| {row['overhead_pct']:+.1f}% | {own_s} |", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": bench.machine(), "uv": uv, "rows": rows}, indent=2) + "\n")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
