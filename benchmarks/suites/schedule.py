"""schedule side by side with PyJobShop: the JSPLIB job shops and Carlier-Néron hybrid flow shops.

``ours`` runs :func:`plantwise.schedule.methods.solve` on the file read by plantwise's own
reader (the code path of ``plantwise schedule solve FILE --format jsplib|hfs --objective
makespan``) and checks the schedule with the independent :func:`benchmarks.peers.shopfiles.check`.
"""

from __future__ import annotations

import csv

from benchmarks.peers import Outcome, Trace
from benchmarks.peers.shopfiles import check
from benchmarks.peers.shopfiles import read as read_independently
from benchmarks.registry import SHARED, Case, Tool

TIME_LIMIT = 60.0


def ours(path: str, fmt: str, time_limit: float, threads: int = 2, deterministic: bool = False) -> Outcome:
    """plantwise's makespan schedule of the shop in ``path``, with its incumbent trajectory."""
    from plantwise.core.options import SolveOptions
    from plantwise.schedule.methods import solve
    from plantwise.schedule.shop import read_hfs, read_jsplib

    trace = Trace()
    shop = (read_jsplib if fmt == "jsplib" else read_hfs)(path)
    options = SolveOptions(time_limit=time_limit - trace.elapsed(), threads=threads,
                           progress=lambda p: trace(p.incumbent, trace.elapsed()))
    result = solve(shop, "makespan", options, deterministic=deterministic)
    seconds = trace.elapsed()
    summary = result.summary
    if result.plan is None:
        return Outcome(str(result.status), None, None, seconds, trace.points, None, str(summary.get("message", "")))
    objective = float(summary["objective"])
    trace(objective, seconds)
    machine_index = {name: i for i, name in enumerate(shop.machines)}
    schedule = {(int(str(r.job)[1:]), int(r.step) - 1): (machine_index[r.machine], int(r.start), int(r.end))
                for r in result.plan.schedule.itertuples()}
    ok, makespan, problem = check(read_independently(path, fmt)[0], schedule)
    bound = summary["bound"]
    return Outcome(str(result.status), objective, None if bound is None else float(bound), seconds, trace.points,
                   ok and makespan == objective and bool(summary.get("verified")), problem)


def cases() -> list[Case]:
    """Every shared job shop (proven optima) and hybrid flow shop, ours and PyJobShop, 60 s each."""
    out = []
    folder = SHARED / "jobshop_jsplib"
    for row in csv.DictReader((folder / "known_values.csv").open()):
        path = str(folder / row["path"])
        out.append(_case(f"jsplib/{row['name']}", "jobshop", path, "jsplib", float(row["optimum"]), True))
    folder = SHARED / "hfs_carlier_neron_subset"
    for row in csv.DictReader((folder / "values.csv").open()):
        path = str(folder / "instances" / f"{row['instance']}.csv")
        proven = row["cpsat_status"] == "OPTIMAL"
        out.append(_case(f"hfs/{row['instance']}", "flowshop", path, "hfs", float(row["cpsat_makespan_this_copy"]),
                         proven))
    return out


def _case(name: str, group: str, path: str, fmt: str, reference: float, proven: bool) -> Case:
    relative = path.split("benchmarks/", 1)[-1]
    return Case(name, "schedule", group, f"../shared/benchmarks/{relative}", TIME_LIMIT, {
        "plantwise": Tool("benchmarks.suites.schedule:ours", {"path": path, "fmt": fmt},
                          f"schedule solve --format {fmt} --objective makespan (default: CP-SAT parallel search)"),
        "pyjobshop": Tool("benchmarks.peers.pyjobshop_peer:solve", {"path": path, "fmt": fmt},
                          "PyJobShop 0.0.9 on OR-Tools CP-SAT, num_workers = threads"),
        # not a peer: what --deterministic costs, measured beside the default
        "plantwise-deterministic": Tool("benchmarks.suites.schedule:ours",
                                        {"path": path, "fmt": fmt, "deterministic": True},
                                        "schedule solve ... --deterministic (8 workers interleaved)"),
    }, reference, proven)
