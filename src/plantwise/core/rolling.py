"""Rolling-horizon simulation: the plan is re-made every ``step`` time units as news arrives.

Document 000's company updates its order assignment weekly over a quarterly horizon. This
measures that practice on an instance: with ``now_0 = 1`` the plan ``P_0`` is the cold solve
of the instance ``I_0``; at ``now_k = 1 + k * step`` (k = 1, 2, ... while ``now_k <= T``)
the family's seeded event generator (:class:`RollingSpec`) draws what became known in
``[now_{k-1}, now_k)`` — new orders, cancellations, disruptions — and

    I_k = I_{k-1} with the events,    P_k = replan(I_{k-1}, P_{k-1}, changes_k)

with history before ``now_k`` fixed, the fence ``[now_k, now_k + freeze)`` and
``change_penalty`` per changed decision beyond it (:func:`plantwise.core.pipeline.replan`).
The last plan ``P_K`` is a plan of the last instance ``I_K``, verified against it. The
**full-information** solve is the cold solve of ``I_K`` itself: every order and disruption
known at period 1, no history, no fence. The regret

    regret = (cost(P_K) - cost(full information)) / |cost(full information)|

is the price of learning the news late (and of the fence and the penalties); with a proven
full-information gap the regret is exact up to that gap. Each step also reports its changed
decisions, by kind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plantwise.core import interrupt
from plantwise.core.errors import InputErrors
from plantwise.core.family import Family, get_family

EventSource = Callable[[Any, Any, int, int, np.random.Generator], list[dict[str, Any]]]


@dataclass(frozen=True)
class RollingSpec:
    """A family's part of the rolling simulation: ``events(instance, plan, now, next_now, rng)``
    draws the events that became known before ``now`` (each one valid for ``instance`` and
    ``plan``: the generator checks them), and ``solve_params`` are the method parameters of
    the cold solves (the first plan and the full-information one)."""

    events: EventSource
    solve_params: Mapping[str, Any] = field(default_factory=dict)


def accepted_events(apply_events: Callable[[Any, Any, Any], Any], instance: Any, plan: Any, now: int,
                    candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The drawn ``candidates`` that the family's ``apply_events`` accepts, in order, each
    checked together with those kept before it (an event the instance refuses is dropped)."""
    from plantwise.core.replan import Changes

    accepted: list[dict[str, Any]] = []
    for event in candidates:
        try:
            apply_events(instance, plan, Changes(now, now, 0.0, [*accepted, event], "rolling events"))
        except InputErrors:
            continue
        accepted.append(event)
    return accepted


@dataclass
class RollingResult:
    steps: pd.DataFrame
    summary: dict[str, Any]
    final: Any | None  # the last Solution (a re-plan, or the first plan when nothing was re-planned)
    full: Any | None  # the full-information Solution
    final_instance: Any


def _seconds(solution: Any) -> float:
    timings = solution.summary.get("timings") or {}
    return round(float(timings.get("total") or 0.0), 3)


def _cost(solution: Any) -> float | None:
    value = solution.summary.get("objective") if solution is not None else None
    return None if value is None else float(value)


def rolling(family: Family | str, instance: Any, *, step: int, seed: int = 0, freeze: int | None = None,
            change_penalty: float = 1000.0, time_limit: float = 30.0, full_time_limit: float | None = None,
            threads: int = 2, log: Callable[[str], None] | None = None) -> RollingResult:
    """Run the simulation of the module docstring; ``freeze`` defaults to ``step`` (the fence
    covers what the next re-plan will not revisit). Ctrl-C stops after the running step and
    returns what was done, the full-information solve included."""
    from plantwise.core.pipeline import replan, solve

    fam = get_family(family) if isinstance(family, str) else family
    spec: RollingSpec | None = getattr(fam, "rolling", None)
    if spec is None or fam.replan is None:
        raise ValueError(f"{fam.name} has no rolling-horizon simulation")
    if step < 1:
        raise ValueError("step must be at least 1")
    freeze = step if freeze is None else freeze
    say = log or (lambda _text: None)
    horizon = int(fam.replan_horizon(instance) if fam.replan_horizon else instance.horizon)
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    with interrupt.handle_signals():
        first = solve(fam, instance, time_limit=time_limit, threads=threads, handle_signals=False,
                      **dict(spec.solve_params))
        rows.append({"step": 0, "now": 1, "events": 0, "event_kinds": "", "status": str(first.status),
                     "verified": first.ok, "cost": _cost(first), "changes": 0, "frozen_changed": 0,
                     "seconds": _seconds(first)})
        say(f"step 0 (now 1): cold solve {first.status}, cost {_cost(first)}")
        current, inst, plan = first, instance, first.plan
        if plan is not None and hasattr(plan, "summary"):
            plan.summary = first.summary  # the cost before of the first re-plan
        stopped = None if first.ok else f"the first plan failed ({first.status})"
        now = 1 + step
        while stopped is None and now <= horizon and not interrupt.stop_requested():
            events = spec.events(inst, plan, now, min(now + step, horizon + 1), rng)
            changes = fam.read_changes({"now": now, "freeze_until": min(now + freeze, horizon + 1),
                                        "change_penalty": change_penalty, "events": events}, inst, "rolling events")
            try:
                sol = replan(fam, inst, plan, changes, time_limit=time_limit, threads=threads, handle_signals=False)
            except InputErrors as exc:  # the generator drew an event the instance refuses: a bug, said plainly
                stopped = f"step at now {now}: the drawn events were refused: {exc}"
                break
            kpis = sol.summary.get("kpis", {})
            kinds = pd.Series([e["kind"] for e in events], dtype=object).value_counts()
            rows.append({"step": len(rows), "now": now, "events": len(events),
                         "event_kinds": "; ".join(f"{k} {v}" for k, v in kinds.items()),
                         "status": str(sol.status), "verified": sol.ok, "cost": _cost(sol),
                         "changes": kpis.get("changes"), "frozen_changed": kpis.get("frozen_changed"),
                         **{f"changes_{k}": v for k, v in (kpis.get("changes_by_kind") or {}).items()},
                         "seconds": _seconds(sol)})
            say(f"step {len(rows) - 1} (now {now}): {len(events)} events, {sol.status}, cost {_cost(sol)}, "
                f"{kpis.get('changes')} changes")
            if not sol.ok:
                stopped = f"the re-plan at now {now} ended {sol.status} without a verified plan"
                break
            current, inst, plan = sol, sol.changed_instance, sol.plan
            if hasattr(plan, "summary"):
                plan.summary = sol.summary
            now += step
        if stopped is None and interrupt.stop_requested():
            stopped = f"interrupted ({interrupt.stop_reason()}) after the step at now {now - step}"
        interrupt.reset()
        full = solve(fam, inst, time_limit=full_time_limit or max(time_limit, 60.0), threads=threads,
                     handle_signals=False, **dict(spec.solve_params))
    steps = pd.DataFrame(rows).fillna({c: 0 for c in pd.DataFrame(rows).columns if c.startswith("changes_")})
    rolled, known = _cost(current), _cost(full)
    regret = None if rolled is None or known is None else (rolled - known) / max(abs(known), 1e-9)
    if fam.sense == "max" and regret is not None:
        regret = -regret
    summary = {
        "family": fam.name, "instance": getattr(instance, "name", ""), "step": step, "freeze": freeze,
        "change_penalty": change_penalty, "seed": seed, "time_limit_per_step": time_limit,
        "steps": len(rows) - 1, "complete": stopped is None, "stopped": stopped,
        "rolling_cost": rolled, "rolling_verified": bool(current is not None and current.ok),
        "full_information_cost": known, "full_information_status": str(full.status) if full else None,
        "full_information_bound": full.summary.get("bound") if full else None,
        "full_information_gap": full.summary.get("gap") if full else None,
        "regret": regret, "sense": fam.sense,
        "changes_total": int(pd.to_numeric(steps["changes"], errors="coerce").fillna(0).sum()),
        "changes_per_step_median": float(pd.to_numeric(steps["changes"].iloc[1:], errors="coerce").median())
        if len(steps) > 1 else 0.0,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return RollingResult(steps, summary, current, full, inst)


def check_rolling_output(out: str | Path, inputs: list[Path]) -> None:
    """Raise ``OutputLocationError`` unless ``out`` can take a simulation's folder (checked
    before the simulation runs, and again before it is written)."""
    from plantwise.core.pipeline import OutputLocationError

    out = Path(out)
    target = out.resolve()
    for item in inputs:
        item = Path(item).resolve()
        if target == item or item.is_relative_to(target) or target.is_relative_to(item):
            raise OutputLocationError(f"{out} would overwrite the input {item}")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "rolling.json").is_file())):
        raise OutputLocationError(f"{out} exists and is not an earlier rolling simulation's folder")


def write_rolling(result: RollingResult, out: str | Path, inputs: list[Path]) -> Path:
    """Write ``out/`` whole or not at all: ``steps.csv``, ``rolling.json``, ``rolling.html``,
    the last plan (``final/``, with its changed instance) and the full-information plan
    (``full_information/``). An ``out`` that is an input, holds one, or is a non-empty folder
    other than an earlier simulation's is refused."""
    out = Path(out)
    check_rolling_output(out, inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        result.steps.to_csv(work / "steps.csv", index=False)
        (work / "rolling.json").write_text(json.dumps(result.summary, indent=2, default=str) + "\n")
        if result.final is not None and result.final.plan is not None:
            result.final.save(work / "final", result.final_instance, report=True, lock=False)
            if result.final.changed_instance is not None:
                result.final_instance.save(work / "final" / "instance")
        if result.full is not None:
            result.full.save(work / "full_information", result.final_instance, report=True, lock=False)
        _figure(result, work / "rolling.html")
        if out.exists():
            shutil.rmtree(out)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out


def _figure(result: RollingResult, path: Path) -> None:
    from plotly.subplots import make_subplots

    from plantwise.report.html import HtmlReport

    steps = result.steps
    rep = HtmlReport(f"Rolling horizon: {result.summary.get('instance')}")
    rep.heading("Rolling horizon: re-planned every step against one full-information solve")
    rep.key_values({k: v for k, v in result.summary.items() if k not in ("family",)})
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=steps["now"], y=steps["changes"], name="changed decisions", secondary_y=True, opacity=0.5)
    fig.add_scatter(x=steps["now"], y=steps["cost"], name="plan cost after the step", mode="lines+markers")
    if result.summary.get("full_information_cost") is not None:
        fig.add_hline(y=result.summary["full_information_cost"], line_dash="dash",
                      annotation_text="full information")
    fig.update_layout(title="Cost and changes per re-planning step", xaxis_title="now (time)")
    fig.update_yaxes(title_text="cost (currency)", secondary_y=False)
    fig.update_yaxes(title_text="changed decisions", secondary_y=True)
    rep.figure(fig)
    rep.table(steps)
    rep.write(path)


__all__ = ["RollingResult", "RollingSpec", "accepted_events", "check_rolling_output", "rolling", "write_rolling"]
