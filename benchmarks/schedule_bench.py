"""schedule benchmark: the document's scenarios, JSPLIB job shops, hybrid flow shops, a large plant.

Runs the Python API in one process (the same code path as ``plantwise schedule solve``)
and appends one row per run to ``benchmarks/results/schedule-<suite>-<date>.csv``.
``time_to_best`` is when the final incumbent was first found (from CP-SAT's solution
callback). The public instances are read from ``../shared/benchmarks`` (or
``$PLANTWISE_BENCHMARKS``). Usage:

    python benchmarks/schedule_bench.py scenarios --runs 3
    python benchmarks/schedule_bench.py jsplib --time-limit 300 --runs 3
    python benchmarks/schedule_bench.py hfs --time-limit 300 --runs 3
    python benchmarks/schedule_bench.py large --time-limit 600 --seeds 1

Instances that take longer than ``--repeat-below`` seconds are run once.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PLANTWISE_BENCHMARKS", ROOT.parent / "shared" / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"


def _machine() -> str:
    return f"{platform.node()} {platform.machine()} {platform.python_version()}"


class _Tracker:
    def __init__(self) -> None:
        self.best: float | None = None
        self.at: float | None = None

    def __call__(self, p: Progress) -> None:
        if p.incumbent is not None and (self.best is None or p.incumbent < self.best - 1e-9):
            self.best, self.at = p.incumbent, p.elapsed


def _write(rows: list[dict[str, object]], suite: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"schedule-{suite}-{date.today().isoformat()}.csv"
    new = not path.exists()
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        if new:
            writer.writeheader()
        writer.writerows(rows)
    return path


def scenarios(args: argparse.Namespace) -> list[dict[str, object]]:
    from plantwise.schedule.generator import SCENARIOS, document_scenario
    from plantwise.schedule.methods import solve

    rows = []
    for n in SCENARIOS:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = solve(document_scenario(n), "cost", SolveOptions(time_limit=args.time_limit))
            times.append(time.perf_counter() - t0)
        s = r.summary
        rows.append({"date": date.today().isoformat(), "machine": _machine(), "suite": "scenarios",
                     "instance": f"scenario-{n}", "runs": args.runs,
                     "median_seconds": round(statistics.median(times), 3),
                     "max_seconds": round(max(times), 3), "status": s["status"], "objective": s["objective"],
                     "bound": s["bound"], "gap": s["gap"], "jobs": s["jobs"], "amount_produced": s["amount_produced"],
                     "reorder_point": s["reorder_point"]["FG3"], "lead_time_hours": s["average_lead_time_hours"],
                     "rop_iterations": len(s["rop_iterations"]),
                     "command": f"plantwise schedule scenarios --time-limit {args.time_limit:g}"})
        print(rows[-1], flush=True)
    return rows


def _benchmark_rows(args: argparse.Namespace, suite: str) -> list[dict[str, object]]:
    from plantwise.schedule.methods import solve
    from plantwise.schedule.shop import read_hfs, read_jsplib

    if suite == "jsplib":
        folder = SHARED / "jobshop_jsplib"
        table = list(csv.DictReader((folder / "known_values.csv").open()))
        items = [(r["name"], folder / r["path"], float(r["optimum"])) for r in table]
        reader, fmt = read_jsplib, "jsplib"
    else:
        folder = SHARED / "hfs_carlier_neron_subset"
        table = list(csv.DictReader((folder / "values.csv").open()))
        items = [(r["instance"], folder / "instances" / f"{r['instance']}.csv", float(r["cpsat_makespan_this_copy"]))
                 for r in table]
        reader, fmt = read_hfs, "hfs"
    rows = []
    for name, path, target in items:
        if args.only and name not in args.only:
            continue
        times, ttb = [], []
        runs = args.runs
        i = 0
        while i < runs:
            tracker = _Tracker()
            t0 = time.perf_counter()
            r = solve(reader(path), "makespan", SolveOptions(time_limit=args.time_limit, progress=tracker))
            times.append(time.perf_counter() - t0)
            ttb.append(tracker.at if tracker.at is not None else float("nan"))
            if times[-1] > args.repeat_below:
                runs = 1
            i += 1
        s = r.summary
        rows.append({"date": date.today().isoformat(), "machine": _machine(), "suite": suite, "instance": name,
                     "runs": len(times), "target": target, "makespan": s["objective"], "bound": s["bound"],
                     "status": s["status"], "reached": s["objective"] is not None and s["objective"] <= target,
                     "median_seconds": round(statistics.median(times), 3),
                     "median_time_to_best": round(statistics.median(ttb), 3),
                     "command": f"plantwise schedule solve ../shared/benchmarks/{path.relative_to(SHARED)} "
                                f"--format {fmt} --objective makespan --time-limit {args.time_limit:g}"})
        print(rows[-1], flush=True)
    return rows


def large(args: argparse.Namespace) -> list[dict[str, object]]:
    from plantwise.schedule.generator import large as large_plant
    from plantwise.schedule.large import solve_large

    rows = []
    for seed in args.seeds:
        inst = large_plant(seed)
        t0 = time.perf_counter()
        r = solve_large(inst, "cost", SolveOptions(time_limit=args.time_limit, seed=seed))
        s = r.summary
        rows.append({"date": date.today().isoformat(), "machine": _machine(), "suite": "large",
                     "instance": inst.name, "goods": len(inst.goods), "recipes": inst.goods["recipe"].nunique(),
                     "machines": len(inst.machines), "candidate_jobs": s["candidate_jobs"], "jobs": s["jobs"],
                     "operations": s["operations"], "status": s["status"], "objective": s["objective"],
                     "bound": s["bound"], "gap": s["gap"], "constructive_cost": s["constructive_cost"],
                     "lns_moves": s["lns_moves"], "lns_accepted": s["lns_accepted"], "verified": s["verified"],
                     "seconds": round(time.perf_counter() - t0, 2),
                     "command": f"plantwise schedule generate --large --seed {seed} L && plantwise schedule solve L "
                                f"--method large --time-limit {args.time_limit:g}"})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", choices=["scenarios", "jsplib", "hfs", "large"])
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat-below", type=float, default=20.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    defaults = {"scenarios": 60.0, "jsplib": 300.0, "hfs": 300.0, "large": 600.0}
    args.time_limit = args.time_limit or defaults[args.suite]
    rows = scenarios(args) if args.suite == "scenarios" else large(args) if args.suite == "large" else \
        _benchmark_rows(args, args.suite)
    print(f"wrote {_write(rows, args.suite)}")


if __name__ == "__main__":
    main()
