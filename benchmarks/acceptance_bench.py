"""acceptance benchmark: centralized MILP against the game-based ADMM (document 003).

Runs the Python API in one process (the same code path as ``plantwise acceptance solve``)
and writes one row per (orders, seed, method, run) to
``benchmarks/results/acceptance-<suite>-<date>.csv``. Every plan is checked by the
independent verifier. Usage:

    python benchmarks/acceptance_bench.py compare --orders 50 --seeds 1 2 3 --time-limit 300
    python benchmarks/acceptance_bench.py scale --sizes 20 50 100 200 --seeds 1 --time-limit 600 --runs 3

``--runs`` repeats each solve (times vary, plans do not: both methods are deterministic);
sizes whose first run takes longer than ``--repeat-below`` seconds are run once.
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
from datetime import date
from pathlib import Path

from plantwise.acceptance.generator import generate
from plantwise.acceptance.methods import solve
from plantwise.acceptance.verifier import verify
from plantwise.core.options import SolveOptions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _machine() -> str:
    return f"{platform.node()} {platform.machine()} {platform.python_version()}"


def _row(orders: int, seed: int, method: str, run: int, plan) -> dict[str, object]:  # type: ignore[no-untyped-def]
    s = plan.summary
    check = verify(plan_instance[(orders, seed)], plan)
    return {"date": date.today().isoformat(), "machine": _machine(), "orders": orders, "seed": seed,
            "method": method, "run": run, "status": s.get("status"), "profit": s.get("profit"),
            "bound": s.get("bound"), "accepted": len(s.get("accepted_orders") or []),
            "solve_seconds": s.get("solve_seconds"),
            "inner_iterations": (s.get("iterations") or {}).get("inner"),
            "outer_iterations": (s.get("iterations") or {}).get("outer"),
            "violations": len(check.violations), "verified_profit": round(float(check.profit), 6)}


plan_instance: dict[tuple[int, int], object] = {}


def run(sizes: list[int], seeds: list[int], time_limit: float, runs: int, repeat_below: float,
        suite: str) -> Path:
    rows: list[dict[str, object]] = []
    out = RESULTS / f"acceptance-{suite}-{date.today().isoformat()}.csv"
    RESULTS.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        for seed in seeds:
            inst = generate(n, seed)
            plan_instance[(n, seed)] = inst
            for method in ("centralized", "admm"):
                for r in range(1, runs + 1):
                    plan = solve(inst, method, SolveOptions(time_limit=time_limit))
                    row = _row(n, seed, method, r, plan)
                    rows.append(row)
                    print(row, flush=True)
                    if r == 1 and float(row["solve_seconds"] or 0) > repeat_below:
                        break
                with out.open("w", newline="") as f:
                    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(rows)
    # medians per (orders, seed, method)
    groups: dict[tuple[int, int, str], list[float]] = {}
    for row in rows:
        groups.setdefault((row["orders"], row["seed"], row["method"]), []).append(float(row["solve_seconds"]))
    for key, times in sorted(groups.items()):
        print(key, "median seconds", round(statistics.median(times), 2), "runs", len(times))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=("compare", "scale"))
    p.add_argument("--orders", type=int, nargs="+", default=[50])
    p.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100, 200])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--time-limit", type=float, default=300.0)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--repeat-below", type=float, default=120.0)
    a = p.parse_args()
    sizes = a.orders if a.suite == "compare" else a.sizes
    print(run(sizes, a.seeds, a.time_limit, a.runs, a.repeat_below, a.suite))


if __name__ == "__main__":
    main()
