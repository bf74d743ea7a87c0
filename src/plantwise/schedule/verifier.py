"""Check a schedule against every rule and recompute its objective from the input and the plan.

Rules (violation families): ``format`` (unknown job, good, step or machine), ``route``
(a job misses steps; a mandatory job is missing), ``machine eligibility``, ``duration``
(end - start must equal the machine's setup plus run time for the batch), ``precedence``
(a step starts before the previous one ends), ``perishability`` (shelf-life lag),
``calendar`` (an operation meets a non-working window), ``downtime`` (an operation meets
a downtime window of its machine, ``machine_downtime.csv``), ``horizon``, ``release``,
``machine overlap``, ``batch size``, ``reorder point`` (the plan's R must follow the
policy: the static value, or the one the plan's own lead times imply),
``inventory balance`` (the plan's stock table must match, row for row and column for
column, the one recomputed from the jobs' finish times, their yield losses and the stock
adjustments; ``yield loss``: a loss names a job the plan makes, at most its output) and
``cost`` (the reported
objective must match the recomputed one). For ``makespan`` and ``weighted-tardiness`` a
plant plan must make exactly the mandatory jobs, ``ceil(max(0, sum_p d_gp - I0_g) / Q_g)``
of each good (``route``).

A job's due date is the end of the first period whose cumulative demand exceeds the
stock before it: the initial stock plus the good's jobs that come before it in job-name
order (``FG3#1`` before ``FG3#2`` before ``FG3#10``, the solver's numbering), never the
order of the plan's rows.

Nothing here reads the solver model: durations, costs and stock come from the input
tables and the plan's rows.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plantwise.core.summary import lookup
from plantwise.core.verification import Verification, check_reported_cost
from plantwise.schedule.model import OBJECTIVES
from plantwise.schedule.plan import SchedulePlan
from plantwise.schedule.shop import Shop

QUANTITY_TOLERANCE = 0.011  # units (plans hold quantities to 0.01)
MAX_MESSAGES = 50


@dataclass
class ScheduleVerification(Verification):
    objective_name: str = "cost"
    makespan: int = 0
    weighted_tardiness: float = 0.0

    @property
    def objective_value(self) -> float:
        if self.objective_name == "makespan":
            return float(self.makespan)
        if self.objective_name == "weighted-tardiness":
            return float(self.weighted_tardiness)
        return self.total_cost


def _match(shop: Shop, frame: pd.DataFrame, out: Verification) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                          np.ndarray]:
    """Map plan rows to (op, alternative); returns op, alt, start, end per row (-1 when unmatched)."""
    job_index = {name: k for k, name in enumerate(shop.job_name)}
    routes = shop.job_ops()
    alts = shop.op_alts()
    machine_index = {m: i for i, m in enumerate(shop.machines)}
    n = len(frame)
    op = np.full(n, -1, dtype=np.int64)
    alt = np.full(n, -1, dtype=np.int64)
    rows = frame.attrs.get("source_rows")

    def where(i: int) -> str:
        row = rows[i] if rows is not None and i < len(rows) else i + 2
        return f"schedule.csv row {row}"

    for i, (job, step, machine, stage) in enumerate(zip(frame["job"], frame["step"], frame["machine"],
                                                        frame["stage"], strict=True)):
        k = job_index.get(job)
        if k is None:
            out.add("format", f"{where(i)}: unknown job '{job}'")
            continue
        if not 1 <= int(step) <= len(routes[k]):
            out.add("format", f"{where(i)}: job '{job}' has no step {step} (route has {len(routes[k])})")
            continue
        o = int(routes[k][int(step) - 1])
        op[i] = o
        if stage != shop.op_stage[o]:
            out.add("route", f"{where(i)}: job '{job}' step {step} is stage '{shop.op_stage[o]}', not '{stage}'")
        m = machine_index.get(machine, -1)
        found = [int(a) for a in alts[o] if shop.alt_machine[a] == m]
        if not found:
            out.add("machine eligibility", f"{where(i)}: job '{job}' step {step} cannot run on machine '{machine}'")
            continue
        alt[i] = found[0]
    return op, alt, frame["start"].to_numpy(np.int64), frame["end"].to_numpy(np.int64)


def inventory_frame(shop: Shop, frame: pd.DataFrame) -> pd.DataFrame:
    """Stock per good and period recomputed from the jobs' finish times (last step's end)."""
    inv = shop.inventory
    assert inv is not None
    G, P = inv.demand.shape
    produced = np.zeros((G, P))
    good_index = {g: i for i, g in enumerate(inv.goods)}
    if len(frame):
        last = frame.sort_values("step").groupby("job", sort=False).tail(1)
        g = last["good"].map(good_index).to_numpy()
        ok = ~pd.isna(g)
        period = np.searchsorted(inv.period_end, last["end"].to_numpy(np.int64)[ok], side="left")
        inside = period < P
        received = last["quantity"].to_numpy(float)
        if shop.job_loss is not None:  # a yield loss: the job's stock receipt is its output less the loss
            lost = dict(zip(shop.job_name, shop.job_loss, strict=True))
            received = received - last["job"].map(lost).fillna(0.0).to_numpy(float)
        np.add.at(produced, (g[ok].astype(np.int64)[inside], period[inside]), received[ok][inside])
    adjust = np.zeros((G, P)) if inv.adjustment is None else inv.adjustment
    net = inv.initial[:, None] + np.cumsum(produced + adjust - inv.demand, axis=1)
    stock = np.maximum(net, 0.0)
    below = np.maximum(inv.reorder_point[:, None] - stock, 0.0)
    gg, pp = np.meshgrid(np.arange(G), np.arange(P), indexing="ij")
    out = pd.DataFrame({
        "good": np.array(inv.goods, dtype=object)[gg.ravel()], "period": pp.ravel() + 1,
        "period_end": inv.period_end[pp.ravel()], "demand": inv.demand.ravel(), "produced": produced.ravel(),
        "inventory": np.round(stock.ravel(), 6), "stockout": np.round(np.maximum(-net, 0.0).ravel(), 6),
        "reorder_point": np.repeat(inv.reorder_point, P), "below_reorder_point": np.round(below.ravel(), 6),
    })
    if inv.adjustment is not None:  # only with stock adjustments: other plans keep their columns
        out["adjustment"] = adjust.ravel()
    return out


def verify_shop(shop: Shop, plan: SchedulePlan, objective: str = "cost") -> ScheduleVerification:
    """Every rule of the module docstring on ``shop`` and ``plan``; recomputes the objective."""
    out = ScheduleVerification(objective_name=objective)
    frame = plan.schedule
    op, alt, start, end = _match(shop, frame, out)
    ok = alt >= 0
    jobs_in_plan = set(frame["job"])
    routes = shop.job_ops()
    # routes complete; mandatory jobs present
    seen_ops = set(op[op >= 0].tolist())
    for k, route in enumerate(routes):
        name = shop.job_name[k]
        if name not in jobs_in_plan:
            if not shop.job_optional[k]:
                out.add("route", f"job '{name}' is not scheduled")
            continue
        missing = [s + 1 for s, o in enumerate(route) if int(o) not in seen_ops]
        if missing:
            out.add("route", f"job '{name}' misses step(s) {missing}")
    # durations, horizon, calendar
    for i in np.flatnonzero(ok):
        a, o = int(alt[i]), int(op[i])
        label = f"job '{frame['job'].iloc[i]}' step {frame['step'].iloc[i]} on '{frame['machine'].iloc[i]}'"
        if end[i] - start[i] != shop.alt_duration[a]:
            out.add("duration", f"{label}: lasts {end[i] - start[i]} {shop.time_unit}, needs {shop.alt_duration[a]}")
        if start[i] < 0 or end[i] > shop.horizon:
            out.add("horizon", f"{label}: [{start[i]}, {end[i]}) is outside [0, {shop.horizon}]")
        if not shop.working(int(start[i]), int(end[i])):
            out.add("calendar", f"{label}: [{start[i]}, {end[i]}) meets a non-working window")
        if len(shop.downtime):
            down = shop.machine_downtime(int(shop.alt_machine[a]))
            hit = down[(down[:, 0] < end[i]) & (down[:, 1] > start[i]) & (end[i] > start[i])]
            if len(hit):
                out.add("downtime", f"{label}: [{start[i]}, {end[i]}) meets the machine's downtime "
                                    f"[{hit[0, 0]}, {hit[0, 1]}) (machine_downtime.csv)")
        k = int(shop.op_job[o])
        if routes[k][0] == o and start[i] < shop.job_release[k]:
            out.add("release", f"{label}: starts at {start[i]} before the release {shop.job_release[k]}")
    # precedence and shelf life, from the plan's rows
    op_start = np.full(shop.num_ops, -1, dtype=np.int64)
    op_end = np.full(shop.num_ops, -1, dtype=np.int64)
    valid = op >= 0
    op_start[op[valid]] = start[valid]
    op_end[op[valid]] = end[valid]
    for k, route in enumerate(routes):
        for o, o_next in itertools.pairwise(route):
            if op_end[o] >= 0 and op_start[o_next] >= 0 and op_start[o_next] < op_end[o]:
                out.add("precedence", f"job '{shop.job_name[k]}': step {int(o_next - route[0]) + 1} starts at "
                                      f"{op_start[o_next]} before step {int(o - route[0]) + 1} ends at {op_end[o]}")
    for k, o_from, o_to, lag in shop.lags:
        if op_start[o_from] >= 0 and op_end[o_to] >= 0 and op_end[o_to] - op_start[o_from] > lag:
            span = op_end[o_to] - op_start[o_from]
            out.add("perishability", f"job '{shop.job_name[k]}': {shop.op_stage[o_to]} ends {span} {shop.time_unit} "
                                     f"after {shop.op_stage[o_from]} starts; shelf life allows {lag}")
    # machine overlap
    rows = pd.DataFrame({"machine": frame["machine"], "start": start, "end": end, "job": frame["job"],
                         "step": frame["step"]})[ok & (end > start)]
    for machine, grp in rows.sort_values(["machine", "start", "end"], kind="stable").groupby("machine", sort=False):
        s, e = grp["start"].to_numpy(), grp["end"].to_numpy()
        running_end = np.maximum.accumulate(e)
        for i in np.flatnonzero(s[1:] < running_end[:-1])[:MAX_MESSAGES]:
            out.add("machine overlap", f"machine '{machine}': job '{grp['job'].iloc[i + 1]}' step "
                                       f"{grp['step'].iloc[i + 1]} starts at {s[i + 1]} while an earlier job runs "
                                       f"until {running_end[i]}")
    # objective parts
    made = sorted({shop.job_name.index(j) for j in jobs_in_plan if j in shop.job_name})
    if shop.alt_cost_parts:
        for name, values in shop.alt_cost_parts.items():
            out.cost_breakdown[name] = float(values[alt[ok]].sum())
    elif shop.alt_cost.any():
        out.cost_breakdown["machines"] = float(shop.alt_cost[alt[ok]].sum())
    if shop.job_cost_parts:
        for name, values in shop.job_cost_parts.items():
            out.cost_breakdown[name] = float(values[made].sum())
    elif shop.job_fixed_cost.any():
        out.cost_breakdown["jobs"] = float(shop.job_fixed_cost[made].sum())
    out.makespan = int(end.max()) if len(end) else 0
    last_end = {}
    for k in made:
        last_end[k] = op_end[routes[k][-1]]
    out.weighted_tardiness = float(sum(shop.job_weight[k] * max(0, last_end[k] - shop.job_due[k]) for k in made))
    if shop.inventory is not None:
        inv = shop.inventory
        recomputed = inventory_frame(shop, frame)
        out.cost_breakdown["holding"] = float(np.dot(np.repeat(inv.holding_cost, inv.num_periods),
                                                     recomputed["inventory"]))
        out.cost_breakdown["stockout"] = float(np.dot(np.repeat(inv.stockout_cost, inv.num_periods),
                                                      recomputed["stockout"]))
        out.cost_breakdown["safety stock"] = float(np.dot(np.repeat(inv.safety_cost, inv.num_periods),
                                                          recomputed["below_reorder_point"]))
        _check_inventory(plan.inventory, recomputed, out)
    out.cost_breakdown = {k: round(v, 6) for k, v in out.cost_breakdown.items()}
    reported = plan.summary.get("objective") if plan.summary else None
    if objective == "cost" and not ok.all():
        # a row without a machine alternative (unknown job or step, ineligible machine) has
        # no price: the recomputed cost is incomplete, and a difference would only echo the
        # violation already reported for that row
        reported = None
    if reported is not None:
        if objective == "cost":
            check_reported_cost(out, reported)
        else:
            try:
                value = float(reported)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                out.add("cost", f"reported {objective} {reported!r} is not a number")
            else:
                if not abs(value - out.objective_value) <= 1e-6 * max(1.0, out.objective_value):
                    out.add("cost", f"reported {objective} {reported} differs from the recomputed "
                                    f"{out.objective_value}")
    return out


INVENTORY_COLUMNS = ("period_end", "demand", "produced", "inventory", "stockout", "reorder_point",
                     "below_reorder_point")


def _check_inventory(stated: pd.DataFrame, recomputed: pd.DataFrame, out: Verification) -> None:
    if stated is None or len(stated) == 0:
        out.add("inventory balance", "the plan has no inventory.csv")
        return
    absent = [c for c in ("good", "period", *INVENTORY_COLUMNS) if c not in stated.columns]
    if absent:
        out.add("inventory balance", f"inventory.csv lacks column(s) {', '.join(absent)}")
        return
    twice = stated[stated.duplicated(["good", "period"])]
    if len(twice):
        first = twice.iloc[0]
        out.add("inventory balance", f"inventory.csv lists {len(twice)} (good, period) row(s) twice, e.g. good "
                                     f"'{first['good']}' period {first['period']}")
        stated = stated.drop_duplicates(["good", "period"])
    extra = stated.merge(recomputed[["good", "period"]], on=["good", "period"], how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    if len(extra):
        shown = "; ".join(f"good '{g}' period {p}"
                          for g, p in extra[["good", "period"]].head(3).itertuples(index=False))
        out.add("inventory balance", f"inventory.csv has {len(extra)} row(s) for a (good, period) the plant does "
                                     f"not have: {shown}{' ...' if len(extra) > 3 else ''}")
    merged = recomputed.merge(stated, on=["good", "period"], how="left", suffixes=("", "_plan"), indicator=True)
    missing = merged["_merge"] != "both"
    if missing.any():
        first = merged[missing].iloc[0]
        out.add("inventory balance", f"inventory.csv lacks {int(missing.sum())} (good, period) rows, e.g. good "
                                     f"'{first['good']}' period {first['period']}")
    both = merged[~missing]
    count = 0
    columns = INVENTORY_COLUMNS + (("adjustment",) if "adjustment" in recomputed.columns else ())
    if "adjustment" in recomputed.columns and "adjustment" not in stated.columns:
        out.add("inventory balance", "inventory.csv lacks column adjustment (the instance has stock adjustments)")
        return
    for col in columns:
        diff = np.abs(both[col].to_numpy(float) - both[f"{col}_plan"].to_numpy(float))
        for i in np.flatnonzero(diff > QUANTITY_TOLERANCE * 2):
            if count >= MAX_MESSAGES:
                return
            r = both.iloc[i]
            out.add("inventory balance", f"good '{r['good']}' period {r['period']}: {col} {r[f'{col}_plan']:g} "
                                         f"stated, {r[col]:g} from the schedule")
            count += 1


def verify(instance: object, plan: SchedulePlan, objective: str | None = None) -> ScheduleVerification:
    """Verify ``plan`` against a document-002 instance or a bare shop (benchmark formats)."""
    from plantwise.schedule.instance import ScheduleInstance

    objective = objective or str(lookup(plan.summary, "objective_name", "cost"))
    if objective not in OBJECTIVES:
        out = ScheduleVerification()
        out.add("summary", f"objective_name {objective!r} is not one of {', '.join(OBJECTIVES)}")
        return out
    if isinstance(instance, Shop):
        return verify_shop(instance, plan, objective)
    assert isinstance(instance, ScheduleInstance)
    return _verify_plant(instance, plan, objective)


def _verify_plant(inst: object, plan: SchedulePlan, objective: str) -> ScheduleVerification:
    from plantwise.schedule.expand import build_shop, epq, lead_times, reorder_points, static_reorder_points
    from plantwise.schedule.instance import ScheduleInstance

    assert isinstance(inst, ScheduleInstance)
    pre = ScheduleVerification(objective_name=objective)
    goods = inst.good_ids
    good_index = {g: i for i, g in enumerate(goods)}
    frame = plan.schedule
    # jobs in name order (due dates follow it), whatever the order of the rows
    jobs = frame.drop_duplicates("job")[["job", "good", "quantity"]]
    jobs = jobs.iloc[sorted(range(len(jobs)), key=lambda i: _natural(str(jobs["job"].iloc[i])))]
    job_list, names = [], []
    sizes, _ = epq(inst)
    lo, hi = inst.goods["min_batch"].to_numpy(float), inst.goods["max_batch"].to_numpy(float)
    for job, good, qty in jobs.itertuples(index=False):
        if good not in good_index:
            pre.add("format", f"job '{job}': unknown good '{good}'")
            continue
        g = good_index[good]
        rows_of_job = frame[frame["job"] == job]
        if rows_of_job["quantity"].nunique() > 1 or rows_of_job["good"].nunique() > 1:
            pre.add("format", f"job '{job}': rows disagree on good or quantity")
        if np.isnan(lo[g]):
            if abs(qty - sizes[g]) > QUANTITY_TOLERANCE:
                pre.add("batch size", f"job '{job}': output {qty:g} differs from the batch size {sizes[g]:g}")
        elif not lo[g] - QUANTITY_TOLERANCE <= qty <= hi[g] + QUANTITY_TOLERANCE:
            pre.add("batch size", f"job '{job}': output {qty:g} outside [{lo[g]:g}, {hi[g]:g}]")
        job_list.append((g, float(qty), True))
        names.append(job)
    # the plan's reorder points; checked against the policy below
    stated = plan.inventory.drop_duplicates("good").set_index("good")["reorder_point"] if len(plan.inventory) \
        else pd.Series(dtype=float)
    R = np.array([float(stated.get(g, 0.0)) for g in goods])
    shop = build_shop(inst, job_list, R, names=names)
    made_qty = dict(zip(names, (q for _, q, _ in job_list), strict=True))
    for job, lost in inst.losses().items():
        if job not in made_qty:
            pre.add("yield loss", f"yield_losses.csv: job '{job}' is not in the plan (a loss is of a job made)")
        elif lost > made_qty[job] + QUANTITY_TOLERANCE:
            pre.add("yield loss", f"yield_losses.csv: job '{job}' loses {lost:g} units, more than its output "
                                  f"{made_qty[job]:g}")
    out = verify_shop(shop, plan, objective)
    out.violations = pre.violations + out.violations
    if inst.reorder_policy == "static":
        expected = static_reorder_points(inst)
    else:
        k_of = {n: k for k, n in enumerate(shop.job_name)}
        op_start = np.zeros(shop.num_ops, dtype=np.int64)
        op_end = np.zeros(shop.num_ops, dtype=np.int64)
        routes = shop.job_ops()
        for job, step, s, e in frame[["job", "step", "start", "end"]].itertuples(index=False):
            k = k_of.get(job)
            if k is not None and 1 <= step <= len(routes[k]):
                op_start[routes[k][step - 1]], op_end[routes[k][step - 1]] = s, e
        expected = reorder_points(inst, lead_times(shop, np.ones(shop.num_jobs, dtype=bool), op_start, op_end))
    for g in np.flatnonzero(np.abs(expected - R) > 0.011):
        out.add("reorder point", f"good '{goods[g]}': the plan uses R = {R[g]:g}; the {inst.reorder_policy} policy "
                                 f"gives {expected[g]:g}")
    if objective != "cost":
        _check_mandatory(inst, job_list, objective, out)
    return out


def _natural(name: str) -> tuple[object, ...]:
    """Sort key that puts ``FG3#2`` before ``FG3#10``."""
    return tuple(int(t) if i % 2 else t for i, t in enumerate(re.split(r"(\d+)", name)))


def _check_mandatory(inst: object, job_list: list[tuple[int, float, bool]], objective: str,
                     out: ScheduleVerification) -> None:
    """``makespan`` and ``weighted-tardiness`` make exactly ``ceil(max(0, sum_p d_gp - I0_g) / Q_g)``
    jobs of each good, of its largest batch size ``Q_g``."""
    from plantwise.schedule.expand import epq
    from plantwise.schedule.instance import ScheduleInstance

    assert isinstance(inst, ScheduleInstance)
    sizes, _ = epq(inst)
    hi = inst.goods["max_batch"].to_numpy(float)
    ranged = ~np.isnan(hi)
    sizes = np.where(ranged, np.floor(np.nan_to_num(hi) * 100) / 100, sizes)
    net = np.maximum(inst.demand.sum(axis=1) - inst.goods["initial_inventory"].to_numpy(float), 0.0)
    made = np.bincount([g for g, _, _ in job_list], minlength=len(sizes)) if job_list else np.zeros(len(sizes), int)
    for g, good in enumerate(inst.good_ids):
        needed = math.ceil(net[g] / sizes[g] - 1e-9)
        if made[g] != needed:
            out.add("route", f"good '{good}': {objective} makes exactly the {needed} mandatory job(s) of "
                             f"{sizes[g]:g} that cover its net demand {net[g]:g}; the plan makes {made[g]}")
    for g, qty in ((g, q) for g, q, _ in job_list if ranged[g]):
        if abs(qty - sizes[g]) > QUANTITY_TOLERANCE:
            out.add("batch size", f"good '{inst.good_ids[g]}': {objective} makes jobs of the largest size "
                                  f"{sizes[g]:g}, not {qty:g}")
