"""Re-planning benchmark (issue 13): re-plan against cold solves, per family, on one machine in one run.

For each case: the instance is solved cold (plan P0); a seeded disruption set (one capacity
loss, one demand change, one cancellation) arrives at ``now`` with a fence to
``freeze_until`` and a change penalty; then, one after the other in this process:

* **re-plan** — ``core.pipeline.replan`` (history, fence, penalty, the old plan as warm start)
  with ``--replan-limit`` seconds;
* **cold re-optimum** — the same history, no fence, no penalty (``replan_grid``'s cold row),
  with the cold time limit: what a planner gets by re-optimising, and the number of
  decisions it changes;
* **cold solve** — the changed instance solved from scratch (no history) with the cold time
  limit: the solve time the re-plan is compared with;
* the **frontier** — one re-plan per penalty of ``--penalties``.

Targets (issue 13): re-plan time <= 10 % of the cold solve's time or under 10 s; at most a
third of the cold re-optimum's changes; cost within 1 % of the cold re-optimum's.

    python benchmarks/replan_bench.py --cases offload-100 offload-500 e2e-s3 schedule-s2 schedule-large acceptance-50

Writes ``benchmarks/results/replan-<date>.csv`` (one row per case) and
``replan-frontier-<date>.csv`` (one row per case and penalty); ``--table`` prints the
Markdown tables of a results file.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from plantwise.core.errors import InputErrors
from plantwise.core.family import families
from plantwise.core.pipeline import replan, replan_grid, solve

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _machine() -> str:
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


# ---------------------------------------------------------------------- disruption sets


def _valid(fam: Any, inst: Any, plan: Any, changes: dict[str, Any], apply: Callable[..., Any]) -> bool:
    try:
        apply(inst, plan, fam.read_changes(changes, inst))
    except InputErrors:
        return False
    return True


def offload_disruption(fam: Any, inst: Any, plan: Any, rng: np.random.Generator) -> dict[str, Any]:
    """now = T/5, fence 5 periods; a site with the most stations loses one for 8 periods; a new
    order like a random one; an order starting after the fence is cancelled."""
    from plantwise.offload.replanning import apply_events

    T = inst.horizon
    now = max(2, T // 5)
    freeze = now + 5
    starts = dict(zip(plan.assignments["order"].astype(str), plan.assignments["start"].astype(int), strict=True))
    later = sorted(o for o, s in starts.items() if s >= freeze)
    fastest = np.where(inst.eligible, inst.processing_time + inst.shipping_time, 10**9).min(axis=1)
    like = int(rng.integers(inst.num_orders))
    events = [{"kind": "new_order", "order": "NEW1", "like": inst.orders[like],
               "due_period": min(T, now + int(fastest[like]) + 10)},
              {"kind": "cancel_order", "order": str(rng.choice(later))}]
    for j in np.argsort(-inst.stations, kind="stable"):
        for start in range(now + 2, min(T, now + 20)):
            down = {"kind": "site_down", "site": inst.sites[j], "from": start, "to": min(T, start + 7), "stations": 1}
            changes = {"now": now, "freeze_until": freeze, "change_penalty": 0, "events": [down, *events]}
            if _valid(fam, inst, plan, changes, apply_events):
                return changes
    raise RuntimeError("no valid site_down found")


def acceptance_disruption(fam: Any, inst: Any, plan: Any, rng: np.random.Generator) -> dict[str, Any]:
    """now = horizon/5 (hours), fence one day; a machine at half capacity for two days; a new
    order like a random one; an accepted order without history is cancelled."""
    from plantwise.acceptance.replanning import apply_events

    H = int(inst.horizon_hours)
    now, freeze = max(1, H // 5), min(H + 1, H // 5 + 24)
    orders = list(inst.order_ids)
    accepted = [o for o in plan.orders.loc[plan.orders["accepted"].astype(bool), "order"].astype(str)]
    like = str(rng.choice(orders))
    events: list[dict[str, Any]] = [{"kind": "new_orders", "rows": [{"order": "NEW1", "like": like}]}]
    for order in rng.permutation(accepted):
        for machine in rng.permutation(list(inst.machines["machine"].astype(str))):
            trial = [*events, {"kind": "cancel_order", "order": str(order)},
                     {"kind": "capacity", "agent": "production", "resource": machine, "from": now + 8,
                      "to": min(H, now + 56), "factor": 0.5}]
            changes = {"now": now, "freeze_until": freeze, "change_penalty": 0, "events": trial}
            if _valid(fam, inst, plan, changes, apply_events):
                return changes
    raise RuntimeError("no valid acceptance disruption found")


def schedule_disruption(fam: Any, inst: Any, plan: Any, rng: np.random.Generator) -> dict[str, Any]:
    """now = the hour by which 30 % of the steps have started, fence 4 hours; a machine used after the fence is
    down for 8 hours; a rush order of a good; a good's demand in a later period is cancelled
    (set to 0)."""
    from plantwise.schedule.replanning import apply_events

    H = int(fam.replan_horizon(inst))
    sched = plan.schedule
    now = max(1, int(np.quantile(sched["start"].to_numpy(float), 0.3)) // 60)  # 30 % of the steps are history
    freeze = min(H + 1, now + 4)
    later = sched[sched["start"] >= 60 * freeze]
    goods = sorted(set(sched["good"].astype(str)))
    for _, step in later.sample(frac=1.0, random_state=int(rng.integers(1 << 30))).iterrows():
        hour = int(step["start"]) // 60
        down = {"kind": "machine_down", "machine": str(step["machine"]), "from": hour, "to": min(H, hour + 8)}
        for rush_good, gone_good in zip(rng.permutation(goods), rng.permutation(goods), strict=True):
            events = [down, {"kind": "rush_order", "good": str(rush_good), "quantity": 1000.0,
                             "due": min(H, now + 24)},
                      {"kind": "demand", "good": str(gone_good), "quantity": 0.0, "due": min(H, now + 54)}]
            changes = {"now": now, "freeze_until": freeze, "change_penalty": 0, "events": events}
            if _valid(fam, inst, plan, changes, apply_events):
                return changes
    raise RuntimeError("no valid schedule disruption found")


def e2e_disruption(fam: Any, inst: Any, plan: Any, rng: np.random.Generator) -> dict[str, Any]:
    """now = day T/4 + 1, fence 2 days; a line with production after the fence loses half its
    hours for 3 days; one SKU-DC's demand rises by half for the rest of the horizon; another
    SKU-DC's demand is cancelled (factor 0) for the rest of the horizon."""
    from plantwise.e2e.replanning import apply_events

    T = int(inst.horizon)
    now = T // 4 + 1
    freeze = min(T + 1, now + 2)
    prod = plan.production
    busy = sorted(set(prod.loc[prod["day"] >= freeze, "line"].astype(str)))
    hours = float(np.max(inst.hours)) if np.size(inst.hours) else 24.0
    for line in rng.permutation(busy):
        for a, b in rng.choice(inst.num_dc_positions, size=(20, 2)):
            if a == b:
                continue
            def demand(k: int, factor: float) -> dict[str, Any]:
                return {"kind": "demand", "sku": str(inst.skus[inst.dc_pos_sku[k]]),
                        "dc": str(inst.dcs[inst.dc_pos_dc[k]]), "from_day": now, "to_day": T, "factor": factor}

            events = [{"kind": "line_down", "line": str(line), "from_day": freeze, "to_day": min(T, freeze + 2),
                       "hours": round(hours / 2, 3)}, demand(a, 1.5), demand(b, 0.0)]
            changes = {"now": now, "freeze_until": freeze, "change_penalty": 0, "events": events}
            if _valid(fam, inst, plan, changes, apply_events):
                return changes
    raise RuntimeError("no valid e2e disruption found")


DISRUPTIONS: dict[str, Callable[..., dict[str, Any]]] = {"offload": offload_disruption, "e2e": e2e_disruption,
                                                        "schedule": schedule_disruption,
                                                        "acceptance": acceptance_disruption}

# the decision kind issue 13 names for each family ("a changed decision: an order that moved site or
# start; a production quantity per SKU-line-day ...; a job that moved ...; an order whose acceptance flipped")
KEY_DECISIONS = {"offload": "assignments", "e2e": "production", "schedule": "schedule", "acceptance": "orders"}

CASES: dict[str, dict[str, Any]] = {
    "offload-smoke": {"family": "offload", "generate": {"orders": 20, "seed": 1, "horizon": 30,
                                                        "replenishment": "free"},
                      "cold_limit": 10.0, "penalty": 10_000.0, "params": {"baseline": False}},
    "offload-100": {"family": "offload", "generate": {"orders": 100, "seed": 1, "replenishment": "free"},
                    "cold_limit": 60.0, "penalty": 10_000.0, "params": {"baseline": False}},
    "offload-500": {"family": "offload", "generate": {"orders": 500, "seed": 1, "replenishment": "free"},
                    "cold_limit": 120.0, "penalty": 10_000.0, "params": {"baseline": False}},
    "e2e-s3": {"family": "e2e", "generate": {"scenario": 3, "seed": 1}, "cold_limit": 60.0, "penalty": 1_000.0},
    "e2e-smoke": {"family": "e2e", "generate": {"scenario": 1, "seed": 1, "skus": 4}, "cold_limit": 20.0,
                  "penalty": 1_000.0},
    "schedule-s2": {"family": "schedule", "generate": {"scenario": 2}, "cold_limit": 60.0, "penalty": 100.0},
    "schedule-large": {"family": "schedule", "generate": {"large": True, "seed": 1}, "cold_limit": 120.0,
                       "penalty": 100.0},
    "schedule-smoke": {"family": "schedule", "generate": {"scenario": 1}, "cold_limit": 20.0, "penalty": 100.0},
    "acceptance-smoke": {"family": "acceptance", "generate": {"orders": 10, "seed": 6}, "cold_limit": 20.0,
                         "penalty": 1_000.0},
    "acceptance-50": {"family": "acceptance", "generate": {"orders": 50, "seed": 1}, "cold_limit": 120.0,
                      "penalty": 1_000.0},
}


# ---------------------------------------------------------------------- one case


def run_case(name: str, replan_limit: float, penalties: list[float], seed: int) -> tuple[dict[str, Any],
                                                                                        list[dict[str, Any]]]:
    case = CASES[name]
    fam = families()[case["family"]]
    inst = fam.generate(fam.generate_params(**case["generate"]))
    params = dict(case.get("params", {}))
    cold_limit = float(case["cold_limit"])
    first = solve(fam, inst, time_limit=cold_limit, handle_signals=False, **params)
    if first.plan is None:
        raise RuntimeError(f"{name}: the first plan failed ({first.status})")
    plan = first.plan
    if hasattr(plan, "summary"):
        plan.summary = first.summary
    raw = DISRUPTIONS[case["family"]](fam, inst, plan, np.random.default_rng(seed))
    raw["change_penalty"] = float(case["penalty"])
    changes = fam.read_changes(raw, inst, "benchmark")
    t0 = time.perf_counter()
    re = replan(fam, inst, plan, changes, time_limit=replan_limit, handle_signals=False)
    replan_seconds = time.perf_counter() - t0
    grid = replan_grid(fam, inst, plan, changes, penalties, time_limit=cold_limit)
    cold = grid.iloc[0]
    t0 = time.perf_counter()
    scratch = solve(fam, re.changed_instance, time_limit=cold_limit, handle_signals=False, **params)
    scratch_seconds = time.perf_counter() - t0
    kpis = re.summary["kpis"]
    sense = -1.0 if fam.sense == "max" else 1.0
    cost = kpis.get("cost_after")
    cold_cost = float(cold["cost"])
    row = {
        "date": date.today().isoformat(), "machine": _machine(), "case": name, "family": fam.name,
        "instance": getattr(inst, "name", ""), "events": "; ".join(e["kind"] for e in changes.events),
        "now": changes.now, "freeze_until": changes.freeze_until, "change_penalty": changes.change_penalty,
        "first_status": str(first.status), "first_cost": first.objective, "first_seconds": _secs(first),
        "replan_limit": replan_limit, "replan_status": str(re.status), "replan_verified": re.ok,
        "replan_seconds": round(replan_seconds, 3), "replan_cost": cost, "replan_changes": kpis.get("changes"),
        "replan_changes_by_kind": kpis.get("changes_by_kind"), "frozen_changed": kpis.get("frozen_changed"),
        "cold_reopt_status": cold["status"], "cold_reopt_cost": cold_cost, "cold_reopt_changes": int(cold["changes"]),
        "cold_reopt_seconds": float(cold["seconds"]),
        "cold_solve_status": str(scratch.status), "cold_solve_cost": scratch.objective,
        "cold_solve_gap": scratch.gap, "cold_solve_seconds": round(scratch_seconds, 3),
    }
    key = KEY_DECISIONS[fam.name]
    row["key_decision"] = key
    row["replan_key_changes"] = int((kpis.get("changes_by_kind") or {}).get(key, 0))
    cold_key = cold.get(f"changes_{key}")
    row["cold_reopt_key_changes"] = int(cold_key) if cold_key == cold_key and cold_key is not None else 0
    row["key_changes_ratio"] = round(row["replan_key_changes"] / max(row["cold_reopt_key_changes"], 1), 4)
    row["met_key_changes"] = bool(row["key_changes_ratio"] <= 1 / 3)
    row["time_ratio"] = round(replan_seconds / max(scratch_seconds, 1e-9), 4)
    row["changes_ratio"] = round(float(kpis.get("changes") or 0) / max(int(cold["changes"]), 1), 4)
    row["cost_excess_pct"] = None if cost is None else round(100 * sense * (float(cost) - cold_cost)
                                                             / max(abs(cold_cost), 1e-9), 4)
    row["met_time"] = bool(replan_seconds <= 10.0 or row["time_ratio"] <= 0.10)
    row["met_changes"] = bool(row["changes_ratio"] <= 1 / 3)
    row["met_cost"] = bool(row["cost_excess_pct"] is not None and row["cost_excess_pct"] <= 1.0)
    frontier = [{"date": row["date"], "case": name, **{k: v for k, v in r.items()}} for r in grid.to_dict("records")]
    return row, frontier


def _secs(sol: Any) -> float:
    return round(float((sol.summary.get("timings") or {}).get("total") or 0.0), 3)


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def table(path: Path) -> str:
    import pandas as pd

    df = pd.read_csv(path)
    for col in ("error",):
        if col not in df:
            df[col] = ""
    cols = ["case", "events", "cold_solve_seconds", "replan_seconds", "time_ratio", "met_time",
            "cold_reopt_changes", "replan_changes", "changes_ratio", "met_changes", "key_decision",
            "cold_reopt_key_changes", "replan_key_changes", "key_changes_ratio", "met_key_changes",
            "cold_reopt_cost", "replan_cost", "cost_excess_pct", "met_cost", "frozen_changed", "replan_status",
            "error"]
    df = df.reindex(columns=cols)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df[cols].to_dict("records"):
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def frontier_table(path: Path) -> str:
    """The frontier file as Markdown: per case and penalty, status, cost, changes (by kind), seconds."""
    import pandas as pd

    df = pd.read_csv(path, dtype={"penalty": str})
    kinds = [c for c in df.columns if c.startswith("changes_")]
    cols = ["case", "penalty", "status", "cost", "changes", *kinds, "frozen_changed", "seconds"]
    lines = ["| " + " | ".join(c.removeprefix("changes_") if c != "changes" else c for c in cols) + " |",
             "|" + "---|" * len(cols)]
    for r in df.reindex(columns=cols).to_dict("records"):
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=[c for c in CASES if "smoke" not in c], choices=list(CASES))
    parser.add_argument("--replan-limit", type=float, default=10.0)
    parser.add_argument("--penalties", type=float, nargs="+", default=[0, 100, 1000, 10000, 100000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table", type=Path, help="print the Markdown table of a results file")
    parser.add_argument("--frontier-table", type=Path, help="print the Markdown table of a frontier file")
    parser.add_argument("--suffix", default="")
    args = parser.parse_args()
    if args.table:
        print(table(args.table))
        return
    if args.frontier_table:
        print(frontier_table(args.frontier_table))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = date.today().isoformat() + args.suffix
    rows, frontier = [], []
    for name in args.cases:
        print(f"{name} ...", file=sys.stderr, flush=True)
        try:
            row, front = run_case(name, args.replan_limit, args.penalties, args.seed)
        except Exception as exc:  # a case that cannot run is a row that says why, not a lost run
            row, front = {"date": date.today().isoformat(), "case": name, "error": f"{type(exc).__name__}: {exc}"}, []
        rows.append(row)
        frontier += front
        print(row, file=sys.stderr, flush=True)
        _write(RESULTS / f"replan-{stamp}.csv", rows)
        _write(RESULTS / f"replan-frontier-{stamp}.csv", frontier)
    print(table(RESULTS / f"replan-{stamp}.csv"))


if __name__ == "__main__":
    main()
