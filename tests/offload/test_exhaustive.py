"""Optimality of the MILP proven by brute force on tiny instances.

Every (site, start) of every order is enumerated, pruned by stations and product-type
capacity only; for each surviving schedule the cheapest purchases are computed
independently of the model:

* ``free`` mode, per (site, part): buy as late as possible. With cumulative consumption
  ``K_t``, ``D_t = max(K_t - b0, 0)`` is the least cumulative purchase by ``t``; going
  backwards ``B_T = D_T``, ``B_t = max(D_t, B_{t+1} - limit)`` is the pointwise least
  cumulative purchase schedule that respects the purchase limit, so it minimises every
  period's stock (holding) and the total bought (purchase cost) at once. The schedule is
  infeasible if ``B_1 > limit`` or its (least possible) stock exceeds the storage capacity.
* ``sS`` mode: purchases are dictated by the rule; simulate and check
  ``0 <= stock <= capacity`` and ``purchase <= limit``.

There are no lanes (purchases are the only supply), so nothing else can be decided.
The enumerated optimum must equal the MILP's proven optimum, the plans built from the
enumeration must agree with :func:`verify`, and an instance with no schedule must be
reported infeasible with a diagnosis.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.methods import solve
from plantwise.offload.plan import OffloadPlan
from plantwise.offload.verifier import verify

HORIZON = 8
MODES = ("free", "sS")
EXACT = SolveOptions(time_limit=30, mip_gap=1e-9)

# Six orders, two parts, two product types, T = 8. Chosen (from random draws) so that
# stations / product-type capacity exclude many schedules, and purchase limits, storage
# capacities and the (s,S) rule exclude many of the rest, in both modes.
SPECS: dict[str, dict[str, list]] = {
    "two_sites": dict(
        stations=[2, 2],
        type_capacity=[[2, 2], [2, 2]],
        unit_cost=[54, 22],
        holding_cost=[7, 5],
        initial_stock=[[4, 3], [2, 2]],
        storage_capacity=[[6, 6], [5, 6]],
        reorder_point=[[2, 4], [3, 2]],
        order_up_to=[[6, 6], [4, 5]],
        purchase_limit=[[5, 4], [2, 3]],
        order_type=[0, 0, 0, 0, 1, 0],
        due=[7, 8, 8, 5, 7, 7],
        initial_site=[0, 1, 0, 0, 1, 1],
        parts_required=[[3, 3], [3, 1], [2, 2], [0, 0], [2, 1], [2, 0]],
        eligible=[[1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1]],
        processing_time=[[3, 4], [2, 2], [3, 2], [2, 3], [2, 4], [4, 2]],
        shipping_time=[[2, 1], [2, 2], [0, 1], [1, 2], [2, 2], [1, 1]],
        processing_cost=[[159, 113], [148, 167], [149, 161], [125, 146], [133, 120], [192, 140]],
        shipping_cost=[[13, 56], [23, 41], [52, 48], [39, 9], [59, 58], [38, 21]],
    ),
    "three_sites_a": dict(
        stations=[2, 2, 1],
        type_capacity=[[2, 2], [2, 2], [1, 1]],
        unit_cost=[22, 42],
        holding_cost=[1, 2],
        initial_stock=[[0, 0], [4, 2], [4, 5]],
        storage_capacity=[[2, 2], [11, 9], [11, 7]],
        reorder_point=[[1, 1], [2, 4], [6, 4]],
        order_up_to=[[1, 1], [10, 9], [10, 7]],
        purchase_limit=[[1, 1], [7, 7], [9, 5]],
        order_type=[0, 1, 0, 0, 1, 1],
        due=[6, 6, 8, 5, 6, 6],
        initial_site=[2, 0, 2, 0, 0, 2],
        parts_required=[[1, 0], [1, 2], [3, 3], [1, 1], [0, 2], [0, 1]],
        eligible=[[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1], [0, 1, 1]],
        processing_time=[[2, 3, 2], [2, 3, 4], [3, 3, 2], [3, 3, 3], [2, 3, 4], [2, 3, 2]],
        shipping_time=[[2, 0, 0], [2, 0, 2], [0, 1, 0], [2, 2, 0], [1, 2, 1], [2, 2, 0]],
        processing_cost=[[102, 146, 182], [112, 144, 172], [199, 171, 152], [186, 129, 171], [176, 185, 101],
                         [197, 108, 180]],
        shipping_cost=[[6, 22, 0], [34, 51, 22], [14, 54, 42], [50, 1, 44], [12, 25, 32], [3, 39, 1]],
    ),
    "three_sites_b": dict(
        stations=[1, 2, 2],
        type_capacity=[[1, 1], [1, 2], [1, 1]],
        unit_cost=[13, 46],
        holding_cost=[5, 3],
        initial_stock=[[3, 4], [0, 3], [1, 0]],
        storage_capacity=[[8, 8], [3, 5], [3, 2]],
        reorder_point=[[1, 2], [1, 3], [2, 1]],
        order_up_to=[[8, 6], [3, 5], [2, 1]],
        purchase_limit=[[4, 3], [3, 4], [2, 1]],
        order_type=[0, 1, 0, 0, 1, 0],
        due=[6, 7, 5, 5, 5, 8],
        initial_site=[1, 1, 1, 0, 2, 2],
        parts_required=[[2, 1], [2, 0], [3, 0], [1, 1], [0, 2], [2, 2]],
        eligible=[[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 0, 0], [1, 1, 1], [0, 1, 1]],
        processing_time=[[3, 2, 2], [3, 2, 4], [3, 4, 2], [4, 3, 2], [4, 3, 4], [3, 3, 2]],
        shipping_time=[[0, 2, 0], [1, 0, 1], [1, 0, 2], [0, 2, 0], [0, 1, 0], [2, 1, 1]],
        processing_cost=[[146, 119, 100], [131, 148, 115], [157, 174, 188], [105, 186, 140], [112, 199, 179],
                         [106, 179, 129]],
        shipping_cost=[[6, 42, 4], [44, 49, 26], [46, 19, 51], [8, 19, 23], [52, 22, 23], [59, 10, 5]],
    ),
}


def make_instance(spec: dict[str, list], name: str, lanes: str = "none") -> OffloadInstance:
    """``lanes='none'``: no lane at all; ``'unusable'``: every lane exists but takes T
    periods, so nothing shipped could arrive within the horizon."""
    a = {k: np.array(v) for k, v in spec.items()}
    J, N = a["initial_stock"].shape
    I, V = a["parts_required"].shape[0], a["type_capacity"].shape[1]
    lane = np.zeros((J, J), dtype=bool) if lanes == "none" else ~np.eye(J, dtype=bool)
    return OffloadInstance(
        sites=[f"S{j + 1}" for j in range(J)],
        parts=[f"P{n + 1}" for n in range(N)],
        product_types=[f"V{v + 1}" for v in range(V)],
        orders=[f"O{i + 1}" for i in range(I)],
        horizon=HORIZON,
        replenishment="free",
        stations=a["stations"].astype(np.int64),
        type_capacity=a["type_capacity"].astype(np.int64),
        unit_cost=a["unit_cost"].astype(float),
        holding_cost=a["holding_cost"].astype(float),
        initial_stock=a["initial_stock"].astype(np.int64),
        storage_capacity=a["storage_capacity"].astype(np.int64),
        reorder_point=a["reorder_point"].astype(np.int64),
        order_up_to=a["order_up_to"].astype(np.int64),
        purchase_limit=a["purchase_limit"].astype(np.int64),
        order_type=a["order_type"].astype(np.int64),
        due=a["due"].astype(np.int64),
        initial_site=a["initial_site"].astype(np.int64),
        parts_required=a["parts_required"].astype(np.int64),
        eligible=a["eligible"].astype(bool),
        processing_time=a["processing_time"].astype(np.int64),
        shipping_time=a["shipping_time"].astype(np.int64),
        processing_cost=a["processing_cost"].astype(float),
        shipping_cost=a["shipping_cost"].astype(float),
        lane=lane,
        transshipment_time=np.where(lane, HORIZON, 0).astype(np.int64),
        lane_fixed_cost=np.where(lane, 1.0, 0.0),
        name=f"tiny-{name}-{lanes}",
    )


# ---------------------------------------------------------------------- brute force
def window_options(inst: OffloadInstance) -> list[list[tuple[int, int]]]:
    """Every (site, start) of every order: eligible, 1 <= start, start + PT - 1 <= T and
    start + PT + ST - 1 <= due."""
    T = inst.horizon
    out = []
    for i in range(inst.num_orders):
        options = []
        for j in range(inst.num_sites):
            if not inst.eligible[i, j]:
                continue
            pt, st = int(inst.processing_time[i, j]), int(inst.shipping_time[i, j])
            options += [(j, s) for s in range(1, T + 1) if s + pt - 1 <= T and s + pt + st - 1 <= inst.due[i]]
        out.append(options)
    return out


def purchases_free(cons: np.ndarray, b0: int, cap: int, limit: int) -> tuple[np.ndarray, bool]:
    """Latest-possible purchases for one (site, part): (purchases[t], feasible)."""
    T = cons.size
    need = np.maximum(np.cumsum(cons) - b0, 0)  # least cumulative purchase by t
    cum = np.zeros(T, dtype=np.int64)
    cum[-1] = need[-1]
    for t in range(T - 2, -1, -1):
        cum[t] = max(need[t], cum[t + 1] - limit)
    buy = np.diff(np.r_[0, cum])
    stock = b0 + cum - np.cumsum(cons)
    feasible = bool(cum[0] <= limit and buy.max() <= limit and stock.min() >= 0 and stock.max() <= cap)
    return buy, feasible


def purchases_sS(cons: np.ndarray, b0: int, cap: int, limit: int, s: int, S: int) -> tuple[np.ndarray, bool]:
    """Purchases dictated by the (s,S) rule for one (site, part): (purchases[t], feasible)."""
    buy = np.zeros(cons.size, dtype=np.int64)
    stock = np.zeros(cons.size, dtype=np.int64)
    level = int(b0)
    for t in range(cons.size):
        if level < s:
            buy[t] = S - level
        level += int(buy[t]) - int(cons[t])
        stock[t] = level
    return buy, bool(buy.max() <= limit and stock.min() >= 0 and stock.max() <= cap)


def site_part_purchases(inst: OffloadInstance, mode: str, j: int, n: int, cons: np.ndarray) -> tuple[np.ndarray, bool]:
    b0, cap, limit = int(inst.initial_stock[j, n]), int(inst.storage_capacity[j, n]), int(inst.purchase_limit[j, n])
    if mode == "free":
        return purchases_free(cons, b0, cap, limit)
    return purchases_sS(cons, b0, cap, limit, int(inst.reorder_point[j, n]), int(inst.order_up_to[j, n]))


def parts_cost(inst: OffloadInstance, n: int, cons: np.ndarray, buy: np.ndarray, b0: int) -> float:
    stock = b0 + np.cumsum(buy - cons)
    return float(inst.unit_cost[n] * buy.sum() + inst.holding_cost[n] * stock.sum())


@dataclass
class BruteForce:
    options: list[list[tuple[int, int]]]
    windows: int  # schedules within the due-date windows
    choice: np.ndarray  # [K, I] option index per order, of the K schedules within stations/capacity
    consumption: np.ndarray  # [K, J, N, T]
    total: np.ndarray  # [K] cost, inf where the parts cannot be supplied

    @property
    def feasible(self) -> int:
        return int(np.isfinite(self.total).sum())

    @property
    def best(self) -> int | None:
        return int(np.argmin(self.total)) if self.feasible else None

    def schedule(self, k: int) -> list[tuple[int, int]]:
        return [self.options[i][c] for i, c in enumerate(self.choice[k])]


def enumerate_schedules(inst: OffloadInstance, mode: str) -> BruteForce:
    J, N, T, V = inst.num_sites, inst.num_parts, inst.horizon, len(inst.product_types)
    options = window_options(inst)
    windows = int(np.prod([len(o) for o in options]))
    occ = np.zeros((1, J, T), dtype=np.int64)
    type_occ = np.zeros((1, J, V, T), dtype=np.int64)
    cons = np.zeros((1, J, N, T), dtype=np.int64)
    cost = np.zeros(1)
    choice = np.zeros((1, 0), dtype=np.int64)
    for i, opts in enumerate(options):  # extend every partial schedule by order i, prune
        R = len(opts)
        o_occ = np.zeros((R, J, T), dtype=np.int64)
        o_type = np.zeros((R, J, V, T), dtype=np.int64)
        o_cons = np.zeros((R, J, N, T), dtype=np.int64)
        o_cost = np.zeros(R)
        for r, (j, s) in enumerate(opts):
            pt = int(inst.processing_time[i, j])
            o_occ[r, j, s - 1 : s - 1 + pt] = 1
            o_type[r, j, inst.order_type[i], s - 1 : s - 1 + pt] = 1
            o_cons[r, j, :, s - 1] = inst.parts_required[i]
            o_cost[r] = inst.processing_cost[i, j] + inst.shipping_cost[i, j]
        K = cost.size
        prev, new = np.repeat(np.arange(K), R), np.tile(np.arange(R), K)
        occ2, type2 = occ[prev] + o_occ[new], type_occ[prev] + o_type[new]
        keep = (occ2 <= inst.stations[None, :, None]).all(axis=(1, 2)) & (
            type2 <= inst.type_capacity[None, :, :, None]).all(axis=(1, 2, 3))
        prev, new = prev[keep], new[keep]
        occ, type_occ = occ2[keep], type2[keep]
        cons = cons[prev] + o_cons[new]
        cost = cost[prev] + o_cost[new]
        choice = np.column_stack([choice[prev], new])
    total = cost.copy()
    for j in range(J):
        for n in range(N):
            profiles, inverse = np.unique(cons[:, j, n, :], axis=0, return_inverse=True)
            value = np.empty(len(profiles))
            for u, profile in enumerate(profiles):
                buy, ok = site_part_purchases(inst, mode, j, n, profile)
                value[u] = parts_cost(inst, n, profile, buy, int(inst.initial_stock[j, n])) if ok else np.inf
            total += value[inverse.ravel()]
    return BruteForce(options, windows, choice, cons, total)


@functools.cache
def brute_force(name: str, mode: str) -> BruteForce:
    return enumerate_schedules(make_instance(SPECS[name], name), mode)


def plan_of(inst: OffloadInstance, mode: str, schedule: list[tuple[int, int]]) -> tuple[OffloadPlan, bool, float]:
    """The plan of a schedule with the brute force's purchases, its feasibility and cost
    by the brute force's own accounting."""
    J, N, T = inst.num_sites, inst.num_parts, inst.horizon
    cons = np.zeros((J, N, T), dtype=np.int64)
    cost = 0.0
    for i, (j, s) in enumerate(schedule):
        cons[j, :, s - 1] += inst.parts_required[i]
        cost += inst.processing_cost[i, j] + inst.shipping_cost[i, j]
    rows, feasible = [], True
    for j in range(J):
        for n in range(N):
            buy, ok = site_part_purchases(inst, mode, j, n, cons[j, n])
            feasible &= ok
            cost += parts_cost(inst, n, cons[j, n], buy, int(inst.initial_stock[j, n]))
            rows += [(inst.sites[j], inst.parts[n], t + 1, int(buy[t])) for t in np.flatnonzero(buy)]
    plan = OffloadPlan(
        pd.DataFrame({"order": inst.orders, "site": [inst.sites[j] for j, _ in schedule],
                      "start": [s for _, s in schedule]}),
        pd.DataFrame(rows, columns=["site", "part", "period", "quantity"]),
        pd.DataFrame(columns=["from_site", "to_site", "part", "period", "arrival_period", "quantity"]),
    )
    return plan, feasible, cost


def stations_ok(inst: OffloadInstance, schedule: list[tuple[int, int]]) -> tuple[bool, bool]:
    J, T, V = inst.num_sites, inst.horizon, len(inst.product_types)
    occ = np.zeros((J, T), dtype=np.int64)
    type_occ = np.zeros((J, V, T), dtype=np.int64)
    for i, (j, s) in enumerate(schedule):
        pt = int(inst.processing_time[i, j])
        occ[j, s - 1 : s - 1 + pt] += 1
        type_occ[j, inst.order_type[i], s - 1 : s - 1 + pt] += 1
    return bool((occ <= inst.stations[:, None]).all()), bool((type_occ <= inst.type_capacity[:, :, None]).all())


# ---------------------------------------------------------------------- tests
CASES = [(name, mode) for name in SPECS for mode in MODES]
CASE_IDS = [f"{name}-{mode}" for name, mode in CASES]


@pytest.mark.parametrize(("name", "mode"), CASES, ids=CASE_IDS)
def test_milp_optimum_equals_enumerated_optimum(name: str, mode: str) -> None:
    inst = make_instance(SPECS[name], name)
    bf = brute_force(name, mode)
    assert bf.best is not None, "the tiny instance should be feasible"
    optimum = float(bf.total[bf.best])

    result = solve(inst, "milp", mode, EXACT, baseline=False)

    assert result.status == SolveStatus.OPTIMAL
    assert result.summary["objective"] == pytest.approx(optimum, rel=1e-9, abs=1e-6)
    assert result.plan is not None
    check = verify(inst, result.plan, mode)
    assert check.ok, check.violations
    assert check.total_cost == pytest.approx(optimum, rel=1e-9, abs=1e-6)
    # the MILP's schedule is one of the enumerated ones, and optimal there too
    a = result.plan.assignments.set_index("order").loc[inst.orders]
    schedule = [(inst.sites.index(site), int(start)) for site, start in zip(a["site"], a["start"], strict=True)]
    _, feasible, cost = plan_of(inst, mode, schedule)
    assert feasible
    assert cost == pytest.approx(optimum, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize(("name", "mode"), CASES, ids=CASE_IDS)
def test_enumerated_optimum_and_samples_agree_with_verify(name: str, mode: str) -> None:
    inst = make_instance(SPECS[name], name)
    bf = brute_force(name, mode)
    rng = np.random.default_rng(0)
    finite = np.flatnonzero(np.isfinite(bf.total))
    infinite = np.flatnonzero(~np.isfinite(bf.total))
    picks = [bf.best, *rng.choice(finite, min(15, finite.size), replace=False),
             *rng.choice(infinite, min(15, infinite.size), replace=False)]
    for k in picks:
        plan, feasible, cost = plan_of(inst, mode, bf.schedule(k))
        check = verify(inst, plan, mode)
        assert feasible == np.isfinite(bf.total[k])
        assert check.ok == feasible, (bf.schedule(k), check.violations)
        if feasible:
            assert check.total_cost == pytest.approx(bf.total[k], rel=1e-9, abs=1e-6)
            assert cost == pytest.approx(bf.total[k], rel=1e-9, abs=1e-6)
        else:  # stations and capacity hold for every enumerated schedule: only parts can fail
            assert check.families() <= {"parts balance", "storage", "purchase"}, check.violations
    # schedules drawn from the due-date windows alone: stations / capacity as verify sees them
    for _ in range(40):
        schedule = [opts[rng.integers(len(opts))] for opts in bf.options]
        station, capacity = stations_ok(inst, schedule)
        plan, feasible, cost = plan_of(inst, mode, schedule)
        check = verify(inst, plan, mode)
        assert ("station" in check.families()) == (not station)
        assert ("capacity" in check.families()) == (not capacity)
        assert check.ok == (station and capacity and feasible), (schedule, check.violations)
        assert "due date" not in check.families()
        assert "assignment" not in check.families()
        if check.ok:
            assert check.total_cost == pytest.approx(cost, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("name", list(SPECS))
def test_constraints_bind_on_the_tiny_instances(name: str) -> None:
    """The enumeration is not trivial: stations / capacity exclude schedules, and parts
    exclude some of the rest in both modes; (s,S) plans are a subset of free plans."""
    free, sS = brute_force(name, "free"), brute_force(name, "sS")
    assert free.windows > len(free.total) > free.feasible > 0
    assert len(sS.total) > sS.feasible > 0
    assert free.total.min() <= sS.total.min()
    assert (free.total <= sS.total).all()  # a feasible (s,S) plan is a feasible free plan


@pytest.mark.parametrize("mode", MODES)
def test_lanes_that_cannot_deliver_in_time_change_nothing(mode: str) -> None:
    name = "three_sites_a"
    inst = make_instance(SPECS[name], name, lanes="unusable")
    bf = brute_force(name, mode)
    result = solve(inst, "milp", mode, EXACT, baseline=False)
    assert result.status == SolveStatus.OPTIMAL
    assert result.summary["objective"] == pytest.approx(float(bf.total[bf.best]), rel=1e-9, abs=1e-6)
    assert result.plan is not None and len(result.plan.shipments) == 0


# ---------------------------------------------------------------------- infeasible
def _infeasible_spec(kind: str) -> dict[str, list]:
    spec = {k: list(v) for k, v in SPECS["two_sites"].items()}
    if kind == "stations":
        # every order only at S1, long processing, due by period 6, two stations:
        # 6 orders x 3 periods = 18 station-periods > 2 stations x 6 periods
        spec.update(
            eligible=[[1, 0]] * 6, initial_site=[0] * 6, processing_time=[[3, 3]] * 6,
            shipping_time=[[0, 0]] * 6, due=[6] * 6, type_capacity=[[2, 2], [2, 2]],
        )
    else:
        # schedules exist, but O1 needs 12 units of P1 at S1 by period 3 (start <= 3):
        # initial stock 0, at most 2 a period -> at most 6 can be there (in sS mode: the
        # rule orders up to S = 2 within the limit, so the stock never exceeds 2)
        spec.update(
            eligible=[[1, 0]] + [[1, 1]] * 5,
            initial_stock=[[0, 3], [2, 2]], storage_capacity=[[20, 6], [5, 6]], order_up_to=[[2, 6], [4, 5]],
            purchase_limit=[[2, 4], [2, 3]],
            parts_required=[[12, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]],
            processing_time=[[3, 3], [2, 2], [2, 2], [2, 2], [2, 2], [2, 2]], shipping_time=[[2, 2]] * 6,
            due=[7, 8, 8, 8, 8, 8],
        )
    return spec


@pytest.mark.parametrize("kind", ["stations", "parts"])
@pytest.mark.parametrize("mode", MODES)
def test_infeasible_tiny_instance_is_proven_infeasible_with_diagnosis(kind: str, mode: str) -> None:
    inst = make_instance(_infeasible_spec(kind), f"infeasible-{kind}")
    bf = enumerate_schedules(inst, mode)
    assert bf.best is None
    if kind == "stations":
        assert len(bf.total) == 0  # not even a schedule within stations
    else:
        assert len(bf.total) > 0  # schedules exist; parts cannot be supplied

    result = solve(inst, "milp", mode, EXACT, baseline=False)

    assert result.status == SolveStatus.INFEASIBLE
    assert result.plan is None
    assert result.diagnosis is not None
    lines = result.diagnosis.lines()
    assert lines and all(isinstance(line, str) and line for line in lines)
    assert result.summary["diagnosis"] == lines
    if kind == "stations":
        assert result.diagnosis.unplaced_orders
        assert set(result.diagnosis.unplaced_orders) <= set(inst.orders)
    else:
        assert any(s["site"] == "S1" and s["part"] == "P1" for s in result.diagnosis.shortages), lines


@pytest.mark.parametrize("name", list(SPECS))
def test_free_relaxation_bound_is_valid_for_sS(name: str) -> None:
    """Every (s,S) plan is a free plan of the same cost, so the free relaxation bounds the sS
    optimum (``methods._warm_start`` floors the sS bound with it): on the tiny instances
    the free LP is at most the enumerated free optimum, which is at most the sS one, and the
    sS warm start's bound and plan are valid."""
    from plantwise.offload.methods import _warm_start
    from plantwise.offload.model import build_model

    inst = make_instance(SPECS[name], name)
    free_bf, sS_bf = brute_force(name, "free"), brute_force(name, "sS")
    free_optimum, sS_optimum = float(free_bf.total[free_bf.best]), float(sS_bf.total[sS_bf.best])
    free_lp = solve_relaxation(build_model(inst, "free"))
    assert free_lp <= free_optimum + 1e-6 <= sS_optimum + 2e-6
    plan, bound = _warm_start(build_model(inst, "sS"), EXACT)
    assert bound is not None and free_lp - 1e-6 <= bound <= sS_optimum + 1e-6
    if plan is not None:
        check = verify(inst, plan, "sS")
        assert check.ok, check.violations
        assert check.total_cost >= sS_optimum - 1e-6


def solve_relaxation(model: object) -> float:
    from plantwise.core.backends import get_backend

    lp = get_backend("highs").solve(model.lm, EXACT, relax=True)  # type: ignore[attr-defined]
    assert lp.status == SolveStatus.OPTIMAL
    return float(lp.objective)
