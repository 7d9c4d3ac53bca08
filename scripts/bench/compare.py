#!/usr/bin/env python3
"""Compare two results files of scripts/bench/run.py (e.g. two binaries on the same machine).

    scripts/bench/compare.py before.json after.json [--md]

For every (N, command) in both: wall time, CPU time, processes and instructions (when
recorded), before → after.
"""

import json
import sys


def fmt(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    before, after = (json.load(open(a)) for a in args)
    key = lambda r: (r["n"], r["command"])
    old = {key(r): r for r in before["rows"]}
    print("| N | command | wall before → after | CPU before → after | processes | ×baseline before → after |")
    print("|---:|---|---|---|---|---|")
    for r in after["rows"]:
        o = old.get(key(r))
        if o is None:
            continue
        procs = (f"{o['processes']} → {r['processes']}"
                 if o.get("processes") is not None and r.get("processes") is not None else "—")
        print(f"| {r['n']} | {r['command']} | {fmt(o['mean_s'])} → {fmt(r['mean_s'])} "
              f"| {fmt(o['cpu_s'])} → {fmt(r['cpu_s'])} | {procs} "
              f"| {o['ratio']:.2f} → {r['ratio']:.2f} |")


if __name__ == "__main__":
    main()
