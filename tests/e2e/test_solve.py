"""Solving e2e instances: every method returns a verified plan with a proven bound; the
exact method agrees with an independent LP formulation (scipy) and with brute force over
the lots of a tiny instance; the configurator routes the document's scenarios to phases
1, 2 and 3; runs are deterministic."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.e2e.configurator import ConfiguratorOutcome, ConfiguratorParams, DistributionProblem, configure
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.generator import generate
from plantwise.e2e.instance import E2EInstance, from_frames
from plantwise.e2e.methods import METHODS, E2EResult, lp_bound, solve
from plantwise.e2e.plan import plan_from_arrays
from plantwise.e2e.verifier import verify
from plantwise.meta import GAParams, PSOParams

SUMMARY_KEYS = {"status", "method", "objective", "bound", "gap", "cost_breakdown", "solve_seconds", "verified",
                "bound_source", "instance_checksum"}


def check_result(inst: E2EInstance, result: E2EResult) -> dict[str, object]:
    """What every method promises: a verified plan, its cost, a bound below it, a gap."""
    s = result.summary
    assert s.keys() >= SUMMARY_KEYS
    assert s["status"] in ("optimal", "feasible") and result.status.has_solution
    assert s["verified"] is True and result.plan is not None
    check = verify(inst, result.plan)
    assert check.ok, check.violations
    # plan tables hold quantities rounded to 6 decimals: the verifier's cost tolerance applies
    assert check.total_cost == pytest.approx(s["objective"], rel=1e-6)
    assert sum(s["cost_breakdown"].values()) == pytest.approx(s["objective"], rel=1e-9)
    assert s["bound"] is not None and s["bound"] <= s["objective"] * (1 + 1e-9)
    assert 0 <= s["gap"] <= 1
    assert s["gap"] == pytest.approx((s["objective"] - s["bound"]) / abs(s["objective"]), abs=1e-12)
    assert s["solve_seconds"] >= 0
    return s


# ====================================================================== an independent LP
def reference_lp(inst: E2EInstance, lots: np.ndarray | None = None) -> float | None:
    """Optimum of the integrated model written from the document here (not from model.py),
    solved with scipy's ``linprog``: with the lot indicators fixed to ``lots`` [K, T] for
    pairs with an MOQ or setups (``None``: such pairs must have none), else an LP. ``None``
    when infeasible."""
    T, K, A, B = inst.horizon, inst.num_pairs, inst.num_plant_positions, inst.num_dc_positions
    E, F, L = len(inst.ship_from), len(inst.move_from), len(inst.lines)
    binary = (inst.moq > 0) | (inst.setup_hours > 0) | (inst.setup_cost > 0)
    if lots is None:
        assert not binary.any(), "give the lots of pairs with an MOQ or setups"
        lots = np.zeros((K, T), dtype=bool)
    lots = np.where(binary[:, None], lots, False)
    blocks = {"x": K, "z": E, "w": F, "Ia": A, "Oa": A, "Ua": A, "Ma": A, "Ib": B, "Bb": B, "Ob": B, "Ub": B, "Mb": B}
    start, n = {}, 0
    for name, count in blocks.items():
        start[name] = n
        n += count * T

    def col(name: str, i: int, t: int) -> int:
        return start[name] + i * T + t

    pen = inst.penalties
    c = np.zeros(n)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    cap = inst.rate[:, None] * np.maximum(inst.hours[inst.pair_line] - inst.setup_hours[:, None], 0.0)
    for k, t in itertools.product(range(K), range(T)):
        j = col("x", k, t)
        if binary[k]:
            if lots[k, t] and cap[k, t] < inst.moq[k]:
                return None  # a lot that cannot reach its MOQ
            lo[j], hi[j] = (inst.moq[k], cap[k, t]) if lots[k, t] else (0.0, 0.0)
        else:
            hi[j] = cap[k, t]
    for name, count, lead, cost in (("z", E, inst.lane_lead[inst.ship_lane], inst.lane_cost[inst.ship_lane]),
                                    ("w", F, inst.transfer_lead[inst.move_lane], inst.transfer_cost[inst.move_lane])):
        for i, t in itertools.product(range(count), range(T)):
            c[col(name, i, t)] = cost[i]
            if t + lead[i] > T - 1:
                hi[col(name, i, t)] = 0.0  # would arrive after the horizon
    for tag, count, sku in (("a", A, inst.plant_pos_sku), ("b", B, inst.dc_pos_sku)):
        for i, t in itertools.product(range(count), range(T)):
            c[col("I" + tag, i, t)] = inst.holding_cost[sku[i]]
            c[col("O" + tag, i, t)] = pen.over_target
            c[col("U" + tag, i, t)] = pen.under_target
            c[col("M" + tag, i, t)] = pen.under_minimum
    for b, t in itertools.product(range(B), range(T)):
        c[col("Bb", b, t)] = pen.stockout
        if not inst.allow_stockout:
            hi[col("Bb", b, t)] = 0.0

    eq = sparse.lil_matrix((A * T + B * T, n))
    beq = np.zeros(A * T + B * T)
    for a, t in itertools.product(range(A), range(T)):  # plant stock balance
        r = a * T + t
        eq[r, col("Ia", a, t)] = 1.0
        if t:
            eq[r, col("Ia", a, t - 1)] = -1.0
        else:
            beq[r] = inst.plant_initial[a]
        for k in np.flatnonzero(inst.pair_position == a):
            eq[r, col("x", k, t)] -= 1.0
        for e in np.flatnonzero(inst.ship_from == a):
            eq[r, col("z", e, t)] += 1.0
        for f in np.flatnonzero(inst.move_from == a):
            eq[r, col("w", f, t)] += 1.0
        for f in np.flatnonzero(inst.move_to == a):
            s = t - inst.transfer_lead[inst.move_lane[f]]
            if s >= 0:
                eq[r, col("w", f, s)] -= 1.0
    for b, t in itertools.product(range(B), range(T)):  # DC net stock balance
        r = A * T + b * T + t
        eq[r, col("Ib", b, t)] = 1.0
        eq[r, col("Bb", b, t)] = -1.0
        if t:
            eq[r, col("Ib", b, t - 1)] = -1.0
            eq[r, col("Bb", b, t - 1)] = 1.0
            beq[r] = -inst.demand[b, t]
        else:
            beq[r] = inst.dc_initial[b] - inst.demand[b, t]
        for e in np.flatnonzero(inst.ship_to == b):
            s = t - inst.lane_lead[inst.ship_lane[e]]
            if s >= 0:
                eq[r, col("z", e, s)] -= 1.0

    rows = L * T + 3 * (A + B) * T
    ub = sparse.lil_matrix((rows, n))
    bub = np.zeros(rows)
    for ln, t in itertools.product(range(L), range(T)):  # line hours
        r = ln * T + t
        bub[r] = inst.hours[ln, t]
        for k in np.flatnonzero(inst.pair_line == ln):
            ub[r, col("x", k, t)] = 1.0 / inst.rate[k]
            bub[r] -= inst.setup_hours[k] * lots[k, t]
    r = L * T
    for tag, count, target, minimum in (("a", A, inst.plant_target, inst.plant_minimum),
                                        ("b", B, inst.dc_target, inst.dc_minimum)):
        for i, t in itertools.product(range(count), range(T)):
            stock = col("I" + tag, i, t)
            ub[r, stock], ub[r, col("O" + tag, i, t)], bub[r] = 1.0, -1.0, target[i]  # O >= I - target
            ub[r + 1, stock], ub[r + 1, col("U" + tag, i, t)], bub[r + 1] = -1.0, -1.0, -target[i]  # U >= target - I
            ub[r + 2, stock], ub[r + 2, col("M" + tag, i, t)], bub[r + 2] = -1.0, -1.0, -minimum[i]  # M >= min - I
            r += 3
    res = linprog(c, A_ub=ub.tocsr(), b_ub=bub, A_eq=eq.tocsr(), b_eq=beq, bounds=np.c_[lo, hi], method="highs")
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return float(res.fun + (inst.setup_cost[:, None] * lots).sum())


def tiny() -> E2EInstance:
    """Two plants, one line each, two SKUs, two DCs, 4 days; the lots of two pairs (8
    binaries) carry an MOQ, a setup cost or setup time; S2 has no target anywhere."""
    frames = {
        "plants": pd.DataFrame({"plant": ["A", "B"]}),
        "lines": pd.DataFrame({"line": ["LA", "LB"], "plant": ["A", "B"], "hours_per_day": [8.0, 6.0]}),
        "line_calendar": pd.DataFrame({"line": ["LA"], "day": [3], "hours": [2.0]}),
        "skus": pd.DataFrame({"sku": ["S1", "S2"], "holding_cost": [0.5, 0.2]}),
        "line_skus": pd.DataFrame({"line": ["LA", "LB", "LB"], "sku": ["S1", "S2", "S1"], "rate": [10.0, 12.0, 4.0],
                                   "moq": [40.0, 30.0, 0.0], "setup_hours": [0.0, 1.0, 0.0],
                                   "setup_cost": [60.0, 0.0, 0.0]}),
        "plant_skus": pd.DataFrame({"plant": ["A", "A", "B", "B"], "sku": ["S1", "S2", "S1", "S2"],
                                    "initial_inventory": [10.0, 0.0, 5.0, 20.0], "target": [30.0, 0.0, 10.0, 0.0],
                                    "minimum": ["", "", 4.0, ""]}),
        "dcs": pd.DataFrame({"dc": ["D1", "D2"], "plant": ["A", "B"]}),
        "dc_skus": pd.DataFrame({"dc": ["D1", "D1", "D2"], "sku": ["S1", "S2", "S1"],
                                 "initial_inventory": [20.0, 5.0, 0.0], "target": [25.0, 0.0, 15.0],
                                 "minimum": ["", "", ""]}),
        "demand": pd.DataFrame({"dc": ["D1"] * 7 + ["D2"] * 3, "sku": ["S1"] * 4 + ["S2"] * 3 + ["S1"] * 3,
                                "day": [1, 2, 3, 4, 2, 3, 4, 1, 3, 4],
                                "quantity": [15, 25, 30, 20, 12, 30, 25, 8, 9, 14]}),
        "dc_lanes": pd.DataFrame({"plant": ["A", "B", "B"], "dc": ["D1", "D2", "D1"], "cost_per_unit": [1.0, 0.5, 3.0],
                                  "lead_time": [1, 0, 1]}),
        "transfer_lanes": pd.DataFrame({"from_plant": ["A", "B"], "to_plant": ["B", "A"], "cost_per_unit": [2.0, 2.0],
                                        "lead_time": [1, 1]}),
    }
    return from_frames(frames, {"name": "tiny", "horizon": 4,
                                "penalties": {"stockout": 200.0, "under_minimum": 40.0, "under_target": 5.0}})


@functools.cache
def tiny_solved() -> tuple[E2EInstance, E2EResult]:
    inst = tiny()
    return inst, solve(inst, "exact", SolveOptions(time_limit=30, mip_gap=1e-9))


@functools.cache
def brute_force() -> tuple[float, np.ndarray]:
    """The best lot pattern of the tiny instance, by solving every pattern's LP."""
    inst = tiny()
    binary = np.flatnonzero((inst.moq > 0) | (inst.setup_hours > 0) | (inst.setup_cost > 0))
    best, best_lots = np.inf, None
    for bits in itertools.product((False, True), repeat=len(binary) * inst.horizon):
        lots = np.zeros((inst.num_pairs, inst.horizon), dtype=bool)
        lots[binary] = np.array(bits).reshape(len(binary), inst.horizon)
        value = reference_lp(inst, lots)
        if value is not None and value < best:
            best, best_lots = value, lots
    assert best_lots is not None
    return best, best_lots


# ====================================================================== (a) exact on the scenarios
@pytest.mark.parametrize(("scenario", "skus"), [(1, 4), (2, 5), (3, 5)])
def test_exact_on_the_scenarios(scenario: int, skus: int) -> None:
    inst = generate(scenario, 1, skus=skus)
    result = solve(inst, "exact", SolveOptions(time_limit=8))
    s = check_result(inst, result)
    assert s["method"] == "exact" and s["solver"] == "highs"
    assert s["objective"] == pytest.approx(s["solver_objective"], rel=1e-6)
    assert s["lp_bound"] <= s["bound"] * (1 + 1e-9)
    assert s["instance_checksum"] == inst.checksum()
    if s["status"] == "optimal":
        assert s["gap"] <= 1e-4


def test_exact_stockouts_forbidden_and_impossible_is_infeasible() -> None:
    inst = dataclasses.replace(tiny(), allow_stockout=False)
    inst.demand[0, 0] = 1e6  # far beyond D1's stock on day 1, and nothing can arrive that day
    result = solve(inst, "exact", SolveOptions(time_limit=10))
    assert result.status == SolveStatus.INFEASIBLE and result.plan is None
    assert result.summary["objective"] is None


# ====================================================================== (b) exact against independent checks
def test_tiny_exact_is_optimal_and_matches_brute_force() -> None:
    inst, result = tiny_solved()
    s = check_result(inst, result)
    assert s["status"] == "optimal"
    best, lots = brute_force()
    assert s["objective"] == pytest.approx(best, rel=1e-6)
    # the exact plan's own lots, re-solved by the reference LP, cost what the plan costs
    production = np.zeros((inst.num_pairs, inst.horizon))
    for line, sku, day, q in result.plan.production[["line", "sku", "day", "quantity"]].itertuples(index=False):
        k = next(k for k in range(inst.num_pairs)
                 if inst.lines[inst.pair_line[k]] == line and inst.skus[inst.pair_sku[k]] == sku)
        production[k, int(day) - 1] = q
    assert reference_lp(inst, production > 1e-6) == pytest.approx(best, rel=1e-6)
    assert (production > 1e-6).any() and lots.any()


def test_tiny_bounds_order() -> None:
    """LP relaxation <= MILP optimum <= any fixed lot pattern (every lot that can reach its
    MOQ forced open, or every lot closed)."""
    inst, result = tiny_solved()
    lp, _ = lp_bound(inst, SolveOptions(time_limit=None))
    best, _ = brute_force()
    assert lp <= best * (1 + 1e-9)
    assert result.summary["bound"] <= best * (1 + 1e-9)
    assert reference_lp(inst, np.ones((inst.num_pairs, inst.horizon), dtype=bool)) is None  # LA on day 3: 20 < MOQ
    all_open = reference_lp(inst, inst.pair_capacity() >= inst.moq[:, None])
    assert all_open is not None and all_open >= best * (1 - 1e-9)
    closed = reference_lp(inst, np.zeros((inst.num_pairs, inst.horizon), dtype=bool))
    assert closed is not None and closed >= best * (1 - 1e-9)


def test_without_moq_or_setups_the_milp_is_its_lp() -> None:
    inst = tiny()
    free = dataclasses.replace(inst, moq=np.zeros_like(inst.moq), setup_hours=np.zeros_like(inst.setup_hours),
                               setup_cost=np.zeros_like(inst.setup_cost))
    result = solve(free, "exact", SolveOptions(time_limit=10))
    s = check_result(free, result)
    assert s["status"] == "optimal" and s["gap"] == pytest.approx(0.0, abs=1e-9)
    assert s["objective"] == pytest.approx(reference_lp(free), rel=1e-7)
    assert s["objective"] == pytest.approx(lp_bound(free, SolveOptions())[0], rel=1e-7)
    # removing the MOQs and setups relaxes the problem
    assert s["objective"] <= brute_force()[0] * (1 + 1e-9)


def test_generated_instance_without_moq_matches_the_reference_lp() -> None:
    inst = generate(2, 3, skus=4, horizon=7)
    free = dataclasses.replace(inst, moq=np.zeros_like(inst.moq))
    result = solve(free, "exact", SolveOptions(time_limit=10))
    s = check_result(free, result)
    assert s["status"] == "optimal"
    reference = reference_lp(free)
    assert s["objective"] == pytest.approx(reference, rel=1e-7)
    with_moq = solve(inst, "exact", SolveOptions(time_limit=10)).summary
    assert with_moq["bound"] >= reference * (1 - 1e-7)  # the MOQ can only cost more
    # the plan's own cost, simulated, is what the solver reported
    assert s["objective"] == pytest.approx(s["solver_objective"], rel=1e-7)


def test_stockouts_forbidden_cost_at_least_as_much() -> None:
    inst, result = tiny_solved()
    strict = dataclasses.replace(inst, allow_stockout=False)
    strict_result = solve(strict, "exact", SolveOptions(time_limit=10, mip_gap=1e-9))
    s = check_result(strict, strict_result)
    assert s["stockout_unit_days"] == pytest.approx(0.0, abs=1e-6)
    assert s["objective"] >= result.summary["objective"] * (1 - 1e-9)


# ====================================================================== (c) configurator routing
# generate(scenario, 1, skus) with the default parameters and seed 0 routes as the document
# intends (scenario k -> phase k) at these sizes (plant A's SKU count; full size is 200):
#   scenario 1: phase 1 from 15 SKUs up (2-12 SKUs: phase 2);
#   scenario 2: phase 2 only from 150 SKUs up (2-145 SKUs: phase 3);
#   scenario 3: phase 3 at every size tried (2-150 and 200).
# The phase is decided by the capacity checks alone, which use only the GA parameters and
# the seed; so scenario 2 runs at 150 SKUs with a token PSO (its steps come after the
# decision) to stay within the suite's time.
TOKEN_PSO = ConfiguratorParams(pso=PSOParams(particles=4, iterations=2))
ROUTING = {1: (15, None), 2: (150, TOKEN_PSO), 3: (5, None)}


@functools.cache
def routed(scenario: int) -> tuple[E2EInstance, ConfiguratorOutcome]:
    skus, params = ROUTING[scenario]
    inst = generate(scenario, 1, skus=skus)
    return inst, configure(inst, params, seed=0)


@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_configurator_routes_the_scenarios(scenario: int) -> None:
    inst, outcome = routed(scenario)
    assert outcome.phase == scenario
    checks = [step for step in outcome.path if step.fits is not None]
    assert len(checks) == (1 if scenario == 1 else 2)
    assert all(checks[0].fits.values()) == (scenario == 1)
    if scenario > 1:
        assert all(checks[1].fits.values()) == (scenario == 2)
    for step in checks:  # the decision used the default GA, whatever the PSO settings
        assert {k: step.params[k] for k in dataclasses.asdict(GAParams())} == dataclasses.asdict(GAParams())
        assert set(step.utilisation) == set(inst.plants)
    assert {step.phase for step in outcome.path if step.fits is None} == {scenario}
    algorithms = [step.algorithm for step in outcome.path if step.fits is None]
    assert algorithms == {1: ["ga", "ga"], 2: ["pso", "pso"], 3: ["ga", "pso", "pso"]}[scenario]
    assert outcome.cost == pytest.approx(simulate(inst, outcome.production, outcome.shipments,
                                                  outcome.transfers).total, rel=1e-12)


@pytest.mark.parametrize("scenario", [
    1, 2, 3])
def test_configurator_plans_verify(scenario: int) -> None:
    inst, outcome = routed(scenario)
    check = verify(inst, plan_from_arrays(inst, outcome.production, outcome.shipments, outcome.transfers,
                                          {"objective": outcome.cost}))
    assert check.ok, check.violations


def test_configurator_through_solve() -> None:
    inst = generate(1, 1, skus=ROUTING[1][0])
    s = check_result(inst, solve(inst, "configurator", SolveOptions(seed=0)))
    assert s["phase"] == 1 and s["method"] == "configurator"
    assert s["bound_source"] == "LP relaxation of the integrated model"
    assert s["parameters"] == ConfiguratorParams().as_dict()


@pytest.mark.skipif(not os.environ.get("PLANTWISE_E2E_FULL"),
                    reason="full size takes 20-190 s per scenario on 2 cores; set PLANTWISE_E2E_FULL=1")
@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_configurator_routes_full_scenarios(scenario: int) -> None:
    outcome = configure(generate(scenario, 1), seed=0)
    assert outcome.phase == scenario


# ====================================================================== (d) determinism
SMALL_PARAMS = ConfiguratorParams(ga=GAParams(population=10, generations=8), refine_generations=8,
                                  pso=PSOParams(particles=10, iterations=8))


def _plans_equal(a: E2EResult, b: E2EResult) -> None:
    assert a.plan is not None and b.plan is not None
    for name in ("production", "shipments", "transfers", "plant_inventory", "dc_inventory"):
        pd.testing.assert_frame_equal(getattr(a.plan, name), getattr(b.plan, name))
    assert a.summary["objective"] == b.summary["objective"]


@pytest.mark.parametrize("scenario", [1, 3])
def test_configurator_is_deterministic(scenario: int) -> None:
    inst = generate(scenario, 2, skus=5)
    runs = [solve(inst, "configurator", SolveOptions(seed=7), params=SMALL_PARAMS) for _ in range(2)]
    _plans_equal(*runs)
    assert [st["cost"] for st in runs[0].summary["path"]] == [st["cost"] for st in runs[1].summary["path"]]


def test_configurator_seed_matters() -> None:
    inst = generate(3, 2, skus=5)
    a = configure(inst, SMALL_PARAMS, seed=1)
    b = configure(inst, SMALL_PARAMS, seed=2)
    assert a.phase == b.phase
    assert not (np.array_equal(a.production, b.production) and np.array_equal(a.shipments, b.shipments))


def test_exact_is_deterministic() -> None:
    inst = generate(2, 1, skus=5)
    a, b = (solve(inst, "exact", SolveOptions(time_limit=10, seed=3)) for _ in range(2))
    assert a.summary["objective"] == b.summary["objective"]
    assert a.summary["bound"] == pytest.approx(b.summary["bound"], rel=1e-9)
    _plans_equal(a, b)


# ====================================================================== (e) GA and PSO alone
@pytest.mark.parametrize("method", ["ga", "pso"])
def test_metaheuristic_alone(method: str) -> None:
    inst = generate(1, 1, skus=4)
    result = solve(inst, method, SolveOptions(seed=0), params=SMALL_PARAMS)
    s = check_result(inst, result)
    assert s["method"] == method and s["phase"] == 0
    assert s["bound_source"] == "LP relaxation of the integrated model"
    lp, _ = lp_bound(inst, SolveOptions(time_limit=None))
    assert s["bound"] == pytest.approx(lp, rel=1e-9)
    assert [step["algorithm"] for step in s["path"]] == [method, method]


def test_ga_alone_on_scenario_3_gives_a_verified_plan() -> None:
    inst = generate(3, 1, skus=4)
    check_result(inst, solve(inst, "ga", SolveOptions(seed=0), params=SMALL_PARAMS))


def test_joint_transfers_leave_only_from_plant_stock() -> None:
    inst = generate(3, 1, skus=4)
    outcome = configure(inst, SMALL_PARAMS, seed=0, method="ga")
    assert outcome.transfers.sum() > 0
    before_shipments = simulate(inst, outcome.production, np.zeros_like(outcome.shipments), outcome.transfers)
    assert before_shipments.plant_stock.min() >= -1e-6


def test_distribution_repair_keeps_plant_stock_for_later_transfers() -> None:
    inst = generate(3, 1, skus=4)
    T = inst.horizon
    a = next(a for a in range(inst.num_plant_positions) if inst.plant_initial[a] > 0
             and (inst.ship_from == a).any() and (inst.move_from == a).any())
    f = int(np.flatnonzero(inst.move_from == a)[0])
    production = np.zeros((inst.num_pairs, T))
    transfers = np.zeros((len(inst.move_from), T))
    transfers[f, 5] = inst.plant_initial[a]  # day 6: everything the plant holds goes to the other plant
    assert simulate(inst, production, np.zeros((len(inst.ship_from), T)), transfers).plant_stock.min() >= 0
    dp = DistributionProblem(inst, production, transfers)
    shipments = dp.repair(dp.upper()[None])[0].reshape(len(inst.ship_from), T)  # ship as much as allowed
    assert simulate(inst, production, shipments, transfers).plant_stock.min() >= -1e-6


# ====================================================================== (f) decomposed
def test_decomposed_costs_at_least_the_exact_bound() -> None:
    inst = generate(2, 1, skus=5)
    exact = check_result(inst, solve(inst, "exact", SolveOptions(time_limit=10)))
    result = solve(inst, "decomposed", SolveOptions(time_limit=10))
    s = check_result(inst, result)
    assert s["method"] == "decomposed"
    assert s["objective"] >= exact["bound"] * (1 - 1e-9)
    assert s["production_stage_objective"] is not None
    assert s["bound_source"] == "LP relaxation of the integrated model"


def test_decomposed_on_tiny_is_no_better_than_the_optimum() -> None:
    inst, _ = tiny_solved()
    s = check_result(inst, solve(inst, "decomposed", SolveOptions(time_limit=10)))
    assert s["objective"] >= brute_force()[0] * (1 - 1e-9)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        solve(tiny(), "simplex")
    assert set(METHODS) == {"exact", "sku-groups", "decomposed", "configurator", "ga", "pso"}
