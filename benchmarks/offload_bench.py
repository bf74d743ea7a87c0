"""Offload benchmark: generated instances of several sizes and seeds, through the CLI.

Runs ``plantwise offload generate`` and ``plantwise offload solve`` exactly as a user
would, reads each ``summary.json`` and appends one row per run to a CSV. Usage:

    python benchmarks/offload_bench.py --sizes 100 300 --seeds 1 2 3 --modes free sS \\
        --time-limits 60 120 --out bench-out/offload.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from plantwise.core.summary import lookup, total_seconds

FIELDS = ["date", "machine", "orders", "seed", "mode", "method", "time_limit", "status", "objective", "bound",
          "gap_pct", "solve_seconds", "baseline_cost", "baseline_gap_pct", "saving_pct", "offloaded_orders",
          "transshipment_periods", "command"]




def run(size: int, seed: int, mode: str, method: str, time_limit: float, work: Path) -> dict[str, object]:
    inst = work / f"n{size}-s{seed}"
    if not inst.exists():
        subprocess.run([sys.executable, "-m", "plantwise", "offload", "generate", "--orders", str(size),
                        "--seed", str(seed), str(inst)], check=True, capture_output=True)
    plan = work / f"plan-n{size}-s{seed}-{mode}-{method}"
    cmd = ["plantwise", "offload", "solve", str(inst), "--out", str(plan), "--method", method,
           "--replenishment", mode, "--time-limit", str(time_limit), "--quiet", "--no-report"]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "plantwise", *cmd[1:]], capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    s = json.loads((plan / "summary.json").read_text()) if (plan / "summary.json").exists() else {}
    pct = lambda v: None if v is None else round(100 * float(v), 4)  # noqa: E731
    return {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.node()} ({platform.python_version()})",
        "orders": size, "seed": seed, "mode": mode, "method": method, "time_limit": time_limit,
        "status": s.get("status", f"exit {proc.returncode}"), "objective": s.get("objective"),
        "bound": s.get("bound"), "gap_pct": pct(s.get("gap")),
        "solve_seconds": total_seconds(s) if total_seconds(s) is not None else round(wall, 2),
        "baseline_cost": lookup(s, "baseline_cost"), "baseline_gap_pct": pct(lookup(s, "baseline_gap")),
        "saving_pct": lookup(s, "saving_pct"), "offloaded_orders": lookup(s, "offloaded_orders"),
        "transshipment_periods": lookup(s, "transshipment_periods"), "command": " ".join(cmd),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 500, 2000])
    ap.add_argument("--time-limits", type=float, nargs="+", default=[60, 120, 120, 600],
                    help="one per size")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--modes", nargs="+", default=["free", "sS"])
    ap.add_argument("--method", default="milp")
    ap.add_argument("--work", type=Path, default=Path("bench-out/offload"))
    ap.add_argument("--out", type=Path, default=Path("bench-out/offload.csv"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with args.out.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        if new:
            writer.writeheader()
        for mode in args.modes:
            for size, limit in zip(args.sizes, args.time_limits, strict=True):
                for seed in args.seeds:
                    row = run(size, seed, mode, args.method, limit, args.work)
                    writer.writerow(row)
                    fh.flush()
                    print(json.dumps({k: row[k] for k in FIELDS[2:16]}), flush=True)


if __name__ == "__main__":
    main()
