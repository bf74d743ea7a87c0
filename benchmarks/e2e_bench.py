"""e2e benchmark: the document's three scenarios, every method, through the CLI.

Runs ``plantwise e2e generate`` and ``plantwise e2e solve`` exactly as a user would,
reads each ``summary.json`` and appends one row per run to a CSV. ``lp_seconds`` is the
integrated LP relaxation's solve time inside the exact method; ``bound_seconds`` the time
the metaheuristic methods spend on that LP for their gap (not part of their
``solve_seconds``). Usage:

    python benchmarks/e2e_bench.py --scenarios 1 2 3 --seeds 1 2 3 \\
        --methods exact configurator --out benchmarks/results/e2e.csv
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

FIELDS = ["date", "machine", "scenario", "skus", "seed", "method", "time_limit", "status", "objective", "bound",
          "gap_pct", "solve_seconds", "lp_seconds", "bound_seconds", "phase", "stockout_unit_days",
          "transferred_units", "wall_seconds", "command"]




def run(scenario: int, skus: int | None, seed: int, method: str, time_limit: float, work: Path) -> dict[str, object]:
    tag = f"s{scenario}-seed{seed}" + (f"-skus{skus}" if skus else "")
    inst = work / tag
    if not inst.exists():
        gen = [sys.executable, "-m", "plantwise", "e2e", "generate", "--scenario", str(scenario), "--seed", str(seed)]
        subprocess.run([*gen, *(["--skus", str(skus)] if skus else []), str(inst)], check=True, capture_output=True)
    plan = work / f"plan-{tag}-{method}"
    cmd = ["plantwise", "e2e", "solve", str(inst), "--out", str(plan), "--method", method,
           "--time-limit", str(time_limit), "--quiet", "--no-report"]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "plantwise", *cmd[1:]], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    s = json.loads((plan / "summary.json").read_text()) if (plan / "summary.json").exists() else {}
    pct = lambda v: None if v is None else round(100 * float(v), 4)  # noqa: E731
    return {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.node()} ({platform.python_version()})",
        "scenario": scenario, "skus": skus or 200, "seed": seed, "method": method, "time_limit": time_limit,
        "status": s.get("status", f"exit {proc.returncode}"), "objective": s.get("objective"),
        "bound": s.get("bound"), "gap_pct": pct(s.get("gap")), "solve_seconds": total_seconds(s),
        "lp_seconds": lookup(s, "lp_seconds"), "bound_seconds": lookup(s, "bound_seconds"), "phase": lookup(s, "phase"),
        "stockout_unit_days": lookup(s, "stockout_unit_days"), "transferred_units": lookup(s, "transferred_units"),
        "wall_seconds": round(wall, 2), "command": " ".join(cmd),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--methods", nargs="+", default=["exact", "configurator"])
    ap.add_argument("--skus", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--work", type=Path, default=Path("bench-out/e2e"))
    ap.add_argument("--out", type=Path, default=Path("bench-out/e2e.csv"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with args.out.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        if new:
            writer.writeheader()
        for scenario in args.scenarios:
            for seed in args.seeds:
                for method in args.methods:
                    row = run(scenario, args.skus, seed, method, args.time_limit, args.work)
                    writer.writerow(row)
                    fh.flush()
                    print(json.dumps({k: row[k] for k in FIELDS[2:17]}), flush=True)


if __name__ == "__main__":
    main()
