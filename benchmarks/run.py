"""Run benchmark cases side by side with their peers, write one CSV schema, render the ratio tables.

    python benchmarks/run.py --suite peers                       # every case, every peer
    python benchmarks/run.py --suite peers --family schedule --only jsplib/ft10
    python benchmarks/run.py --table benchmarks/results/peers-2026-12-01.csv   # markdown tables

Each case's tools (``plantwise`` and its peers, :mod:`benchmarks.registry`) run one after
the other on the same instance, each in a fresh process (so imports and memory do not carry
over), the order alternating from case to case; so each row pair is measured side by side,
under the same machine load. Every row has: date, commit, machine, load average, case,
family, group, tool, options, time limit, threads, status, objective, bound, gap, seconds,
seconds to best, seconds to the reference (best known) value, verified, the reference,
a note and the incumbent trajectory (JSON ``[[seconds, objective], ...]``).

Ratios (ours / peer; < 1 favours plantwise), per case and as the median per group:
``time to peer's final``: plantwise's first time at or below the peer's final objective over
the peer's own time to it (``inf`` when plantwise never reached it; "reached" means within
``benchmarks.peers.REACH_TOLERANCE``, 0.01 %); ``time to reference``:
the same for the best known value; ``final gap``: plantwise's final gap over the peer's (1 when
both are 0, ``inf`` when only the peer's is 0); ``time to proof``: seconds over seconds when
both prove optimality.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers import Outcome
from benchmarks.registry import FAMILY_SUITES, ROOT, Case, Tool, suite

FIELDS = ["date", "commit", "machine", "load_1min", "case", "family", "group", "tool", "options", "time_limit",
          "threads", "status", "objective", "bound", "gap", "seconds", "seconds_to_best", "seconds_to_reference",
          "verified", "reference", "note", "trajectory"]
OURS = "plantwise"
GRACE = 120.0  # seconds past its time limit after which a tool's process is killed (and the row says so)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def _machine() -> str:
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def _call(target: str, kwargs: dict[str, object], queue: multiprocessing.Queue,
          first_on_path: str | None = None) -> None:  # in the child
    module, function = target.split(":")
    if first_on_path:  # another solver build (e.g. an older highspy installed with pip --target DIR)
        sys.path.insert(0, first_on_path)
    try:
        outcome = getattr(importlib.import_module(module), function)(**kwargs)
        if "highspy" in sys.modules:  # which build ran, from the module actually imported
            import highspy

            used = Path(highspy.__file__).parent.parent
            outcome.note = (outcome.note + "; " if outcome.note else "") + f"highspy from {used}"
        queue.put(outcome)
    except Exception as exc:  # reported as the row's status, never a result
        queue.put(Outcome("error", None, None, 0.0, [], None, f"{type(exc).__name__}: {exc}"))


def run_tool(tool: Tool, time_limit: float, threads: int, first_on_path: str | None = None) -> Outcome:
    """Run ``tool`` in a fresh process; a crash or a hang is an ``error`` row, never a result."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    kwargs = dict(tool.kwargs) | {"time_limit": time_limit, "threads": threads}
    process = ctx.Process(target=_call, args=(tool.target, kwargs, queue, first_on_path))
    t0 = time.perf_counter()
    process.start()
    try:
        outcome = queue.get(timeout=time_limit + GRACE)
    except Exception:  # queue.Empty or a dead child
        process.kill()
        process.join()
        return Outcome("error", None, None, time.perf_counter() - t0, [], None,
                       f"no outcome within {time_limit + GRACE:g} s (exit code {process.exitcode})")
    process.join(timeout=30)
    return outcome


def _row(case: Case, name: str, tool: Tool, outcome: Outcome, threads: int, load: float,
         where: dict[str, str]) -> dict[str, object]:
    """One CSV row; ``where`` holds the run's ``commit`` and ``machine``."""
    def num(v: float | None, digits: int = 6) -> object:
        return "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else round(float(v), digits)

    return {"date": date.today().isoformat(), **where, "load_1min": round(load, 2),
            "case": case.name, "family": case.family, "group": case.group, "tool": name, "options": tool.options,
            "time_limit": case.time_limit, "threads": threads, "status": outcome.status,
            "objective": num(outcome.objective), "bound": num(outcome.bound), "gap": num(outcome.gap, 8),
            "seconds": num(outcome.seconds, 3), "seconds_to_best": num(outcome.seconds_to_best, 3),
            "seconds_to_reference": "" if case.reference is None else num(outcome.time_to(case.reference), 3),
            "verified": "" if outcome.verified is None else outcome.verified,
            "reference": num(case.reference), "note": outcome.note,
            "trajectory": json.dumps([[round(a, 3), b] for a, b in outcome.trajectory])}


HIGHS_FAMILIES = ("offload", "e2e", "acceptance")  # plantwise's methods of these run on HiGHS


def highs_version(first_on_path: str | None) -> str:
    """The highspy version found with ``first_on_path`` first on ``sys.path``."""
    code = "import importlib.metadata as m; print(m.version('highspy'))"
    env = dict(os.environ)
    if first_on_path:
        env["PYTHONPATH"] = first_on_path + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.strip()


def run(cases: list[Case], out: Path, threads: int, time_limit: float | None, runs: int = 1,
        compare_highs: str | None = None) -> None:
    """Run every case's tools (``runs`` rounds) and append the rows to ``out``. With
    ``compare_highs`` (a folder holding another highspy, e.g. ``pip install --target DIR
    highspy==1.14.0``), plantwise also runs on that HiGHS, as tool ``plantwise-highs-<version>``."""
    other_highs = f"plantwise-highs-{highs_version(compare_highs)}" if compare_highs else None
    where = {"commit": _commit(), "machine": _machine()}
    out.parent.mkdir(parents=True, exist_ok=True)
    new = not out.exists()
    with out.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        for i, case, round_ in ((i, c, r) for r in range(runs) for i, c in enumerate(cases)):
            names = list(case.tools)
            if other_highs and case.family in HIGHS_FAMILIES:
                names.insert(1, other_highs)
            if (i + round_) % 2:  # alternate who goes first, from case to case and round to round
                names.reverse()
            limit = time_limit or case.time_limit
            for name in names:
                load = os.getloadavg()[0]
                tool = case.tools.get(name, case.tools[OURS])
                outcome = run_tool(tool, limit, threads, compare_highs if name == other_highs else None)
                row = _row(case, name, tool, outcome, threads, load, where)
                row["time_limit"] = limit
                writer.writerow(row)
                fh.flush()
                print(f"{case.name:28s} {name:14s} {outcome.status:11s} obj {row['objective']!s:>14} "
                      f"gap {row['gap']!s:>10} {row['seconds']!s:>8} s  verified {row['verified']}", flush=True)


# ----------------------------------------------------------------------------------------------- tables


def _f(value: str) -> float | None:
    return None if value in ("", None) else float(value)


def _time_to(row: dict[str, str], value: float | None) -> float | None:
    """:meth:`Outcome.time_to` of a CSV row (None for a row without a plan)."""
    if value is None or row["status"] not in ("optimal", "feasible", "interrupted"):
        return None
    trajectory = [(float(at), float(v)) for at, v in json.loads(row["trajectory"] or "[]")]
    return Outcome(row["status"], _f(row["objective"]), _f(row["bound"]), float(row["seconds"]),
                   trajectory).time_to(value)


def _ratio(ours: float | None, peer: float | None) -> float | None:
    """ours / peer with the conventions of the module docstring (None: not comparable)."""
    if peer is None:
        return None
    if ours is None:
        return math.inf
    if peer <= 0:
        return 1.0 if ours <= 0 else math.inf
    return ours / peer


def _time_ratio(ours: float | None, peer: float | None, floor: float = 0.01) -> float | None:
    """Time ratio with both times floored at ``floor`` s (sub-centisecond times are noise)."""
    if peer is None:
        return None
    return math.inf if ours is None else max(ours, floor) / max(peer, floor)


def _fmt(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "—"
    if math.isinf(v):
        return "∞"
    return f"{v:.{digits}f}"


def _median(values: list[float | None]) -> str:
    vals = [v for v in values if v is not None]
    return _fmt(statistics.median(vals)) + f" (n={len(vals)})" if vals else "—"


def _pair_ratios(ours: dict[str, str], other: dict[str, str]) -> tuple[float | None, ...]:
    """(time to peer's final, time to reference, final gap, time to proof) of one run pair."""
    reference = _f(ours["reference"])
    final = _time_ratio(_time_to(ours, _f(other["objective"])), _time_to(other, _f(other["objective"])))
    ref = None if reference is None else _time_ratio(_time_to(ours, reference), _time_to(other, reference))
    gap = _ratio(_f(ours["gap"]), _f(other["gap"]))
    proof = _time_ratio(_f(ours["seconds"]), _f(other["seconds"])) \
        if ours["status"] == other["status"] == "optimal" else None
    return final, ref, gap, proof


def _mid(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _cell(runs: list[dict[str, str]]) -> str:
    """Last run's status, objective and gap; the median seconds over the runs."""
    last = runs[-1]
    gap_pct = _f(last["gap"])
    seconds = _mid([_f(r["seconds"]) for r in runs])
    return f"{last['status']}, {last['objective'] or '—'}, {_fmt(None if gap_pct is None else 100 * gap_pct)}, " \
           f"{_fmt(seconds)}"


def tables(path: Path) -> str:
    """Markdown: one table per group and peer, ours beside the peer, the ratios and their medians.

    With several runs per case (``--runs``), the i-th run of plantwise is paired with the
    i-th run of the peer; a case's ratio is the median over its pairs, a group's the median
    over its cases; seconds are medians over the runs, status and objective the last run's."""
    rows = list(csv.DictReader(path.open()))
    runs: dict[tuple[str, str], list[dict[str, str]]] = {}
    groups: dict[str, list[str]] = {}
    for r in rows:
        runs.setdefault((r["case"], r["tool"]), []).append(r)
        groups.setdefault(r["group"], [])
        if r["case"] not in groups[r["group"]]:
            groups[r["group"]].append(r["case"])
    lines = []
    summary: dict[tuple[str, str], list[list[float | None]]] = {}
    for group, cases in groups.items():
        peers = sorted({t for (c, t) in runs if c in cases and t != OURS})
        for peer in peers:
            both = [c for c in cases if runs.get((c, OURS)) and runs.get((c, peer))]
            mine = [r for c in both for t in (OURS, peer) for r in runs.get((c, t), [])]
            loads = [float(r["load_1min"]) for r in mine]
            n_runs = max(len(runs[(c, OURS)]) for c in both)
            first = mine[0]
            limits = sorted({float(r["time_limit"]) for r in mine})
            limit_text = f"{limits[0]:g} s" if len(limits) == 1 else f"{limits[0]:g}-{limits[-1]:g} s"
            lines += [f"### {group}: plantwise vs {peer}", "",
                      f"{len(both)} cases, {limit_text} each, {first['threads']} threads, "
                      f"{n_runs} run(s) per tool, {first['date']}, commit {first['commit']}, "
                      f"load average {min(loads):.1f}-{max(loads):.1f}.", "",
                      "| case | reference | plantwise: status, objective, gap %, s | "
                      f"{peer}: status, objective, gap %, s | time to peer's final | time to reference | final gap | "
                      "time to proof | verified |",
                      "|---|---|---|---|---|---|---|---|---|"]
            columns: list[list[float | None]] = [[], [], [], []]
            for case in both:
                ours, other = runs.get((case, OURS)), runs.get((case, peer))
                if not ours or not other:
                    continue
                pairs = [_pair_ratios(a, b) for a, b in zip(ours, other, strict=False)]
                ratios = [_mid([p[i] for p in pairs]) for i in range(4)]
                for i in range(4):
                    columns[i].append(ratios[i])
                checked = [all(r["verified"] == "True" for r in tool_runs) for tool_runs in (ours, other)]
                verified = f"{checked[0]} / {checked[1]}"
                lines.append(f"| {case} | {ours[-1]['reference'] or '—'} | {_cell(ours)} | {_cell(other)} | "
                             + " | ".join(_fmt(v) for v in ratios) + f" | {verified} |")
            lines += ["| **median** | | | | " + " | ".join(f"**{_median(c)}**" for c in columns) + " | |", ""]
            no_plan = {tool: sum(1 for c in both if runs[(c, tool)][-1]["objective"] == "") for tool in (OURS, peer)}
            if any(no_plan.values()):
                lines += [f"No plan within the limit: {peer} in {no_plan[peer]} of {len(both)} cases, plantwise in "
                          f"{no_plan[OURS]}; ratios need both.", ""]
            family = first["family"]
            summary.setdefault((family, peer), [[], [], [], []])
            for i in range(4):
                summary[(family, peer)][i] += columns[i]
    lines += ["### Medians over every case of a family", "",
              "| family | peer | time to peer's final | time to reference | final gap | time to proof |",
              "|---|---|---|---|---|---|"]
    for (family, peer), columns in summary.items():
        lines.append(f"| {family} | {peer} | " + " | ".join(_median(c) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="peers")
    parser.add_argument("--family", nargs="*", choices=FAMILY_SUITES, default=None)
    parser.add_argument("--group", nargs="*", default=None, help="only these groups (jobshop, trigeiro, ...)")
    parser.add_argument("--only", nargs="*", default=None, help="only cases whose name contains one of these")
    parser.add_argument("--time-limit", type=float, default=None, help="override every case's time limit")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="rounds over all cases (tables take medians)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--table", type=Path, default=None, help="render the tables of this CSV and stop")
    parser.add_argument("--compare-highs", default=None, metavar="DIR",
                        help="also run plantwise on the highspy in DIR (pip install --target DIR highspy==1.14.0)")
    args = parser.parse_args()
    if args.table:
        print(tables(args.table))
        return
    cases = suite(args.suite, args.family)
    if args.group:
        cases = [c for c in cases if c.group in args.group]
    if args.only:
        cases = [c for c in cases if any(s in c.name for s in args.only)]
    out = args.out or ROOT / "benchmarks" / "results" / f"peers-{date.today().isoformat()}.csv"
    print(f"{len(cases)} cases -> {out}", flush=True)
    run(cases, out, args.threads, args.time_limit, args.runs, args.compare_highs)
    print(tables(out))


if __name__ == "__main__":
    main()
