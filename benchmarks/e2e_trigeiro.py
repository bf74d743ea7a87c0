"""E2E benchmark on the Trigeiro CLSP instances: the exact method on the one-plant special case.

Reads every instance of the folder with :func:`plantwise.e2e.trigeiro.read_trigeiro`,
runs :func:`plantwise.e2e.exact.solve_exact` with the given time limit and writes one
CSV row per instance (objective = setup + holding cost; the constant unit production
cost is excluded). ``--cuts`` adds the strengthening of :mod:`plantwise.e2e.cuts` to the
model before solving (``none`` = the model exactly as ``solve_exact`` builds it). Usage:

    python benchmarks/e2e_trigeiro.py --time-limit 60 [--cuts fl] [--out results.csv]

The default ``--mip-gap 1e-6`` makes "optimal" mean optimal to within 0.013 on these
objectives (about 10^4), below the 0.1 step of their costs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import time
from datetime import date
from pathlib import Path

from plantwise.core.options import SolveOptions
from plantwise.e2e.cuts import add_facility_location, add_lot_sizing_inequalities
from plantwise.e2e.exact import solve_exact
from plantwise.e2e.model import build_model
from plantwise.e2e.trigeiro import read_trigeiro

FOLDER = Path("/work/shared/benchmarks/clsp_trigeiro_X/instances")
FIELDS = ["instance", "objective", "bound", "gap", "status", "seconds", "lp_bound", "nodes", "cuts", "time_limit",
          "mip_gap", "source", "load", "date", "machine"]
SOURCES = ("exact.py", "model.py", "cuts.py", "trigeiro.py")  # the code a row depends on


def source_hash() -> str:
    """Short hash of the e2e modules a result depends on (others may change between runs)."""
    h = hashlib.sha256()
    for name in SOURCES:
        h.update((Path(__file__).resolve().parents[1] / "src" / "plantwise" / "e2e" / name).read_bytes())
    return h.hexdigest()[:10]


def run(path: Path, time_limit: float, mip_gap: float, cuts: str, threads: int) -> dict[str, object]:
    t0 = time.perf_counter()
    inst = read_trigeiro(path)
    em = build_model(inst, lean=True)  # what solve_exact builds itself (the lean model)
    if cuts in ("ls", "both"):
        add_lot_sizing_inequalities(em)
    if cuts in ("fl", "both"):
        add_facility_location(em)
    remaining = max(1.0, time_limit - (time.perf_counter() - t0))
    out = solve_exact(inst, SolveOptions(time_limit=remaining, mip_gap=mip_gap, threads=threads), em=em)
    seconds = time.perf_counter() - t0
    r = out.result
    gap = r.gap
    return {
        "instance": inst.name, "objective": None if r.objective is None else round(r.objective, 4),
        "bound": None if r.bound is None else round(r.bound, 4), "gap": None if gap is None else round(gap, 6),
        "status": str(r.status), "seconds": round(seconds, 2),
        "lp_bound": None if out.lp_bound is None else round(out.lp_bound, 4), "nodes": r.node_count, "cuts": cuts,
        "time_limit": time_limit, "mip_gap": mip_gap, "source": source_hash(),
        "load": round(os.getloadavg()[0], 2), "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.node()} ({platform.python_version()})",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=FOLDER, help="folder of Trigeiro instance files")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    ap.add_argument("--mip-gap", type=float, default=1e-6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cuts", choices=["none", "ls", "fl", "both"], default="none")
    ap.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    ap.add_argument("--out", type=Path, help="CSV (default benchmarks/results/e2e-trigeiro[-<cuts>]-<date>.csv)")
    args = ap.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if args.only:
        files = [p for p in files if p.name in set(args.only)]
    suffix = "" if args.cuts == "none" else f"-{args.cuts}"
    out = args.out or Path(__file__).parent / "results" / f"e2e-trigeiro{suffix}-{date.today().isoformat()}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for path in files:
            row = run(path, args.time_limit, args.mip_gap, args.cuts, args.threads)
            writer.writerow(row)
            fh.flush()
            print(json.dumps({k: row[k] for k in FIELDS[:8]}), flush=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
