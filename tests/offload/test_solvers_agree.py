"""HiGHS (milp) and CP-SAT prove the same optimum on small generated instances, in both
replenishment modes, and the heuristic never claims to beat it.

The instances are small (a short horizon keeps CP-SAT's proofs within seconds) but
keep the generator's structure: three sites, every lane open, and optimal plans that
ship parts between sites.
"""

from __future__ import annotations

import functools

import pytest

from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.offload.generator import generate
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.methods import OffloadResult, solve
from plantwise.offload.verifier import verify

PROVE = SolveOptions(time_limit=60, mip_gap=0)

# (orders, seed, horizon, mode): both solvers prove optimality well within the limit
CASES = [
    (6, 1, 14, "free"),
    (10, 3, 16, "free"),
    (14, 1, 15, "free"),
    (6, 1, 14, "sS"),
    (5, 3, 13, "sS"),
]
# cases whose optimal plans transship parts (checked, so that lanes are really exercised)
TRANSSHIPPING = {(6, 1, 14, "free"), (10, 3, 16, "free"), (14, 1, 15, "free"), (6, 1, 14, "sS")}


def _id(case: tuple[int, int, int, str]) -> str:
    n, seed, horizon, mode = case
    return f"n{n}-seed{seed}-T{horizon}-{mode}"


@functools.cache
def instance(n: int, seed: int, horizon: int) -> OffloadInstance:
    return generate(n, seed, horizon)


@functools.cache
def solved(n: int, seed: int, horizon: int, mode: str, method: str) -> OffloadResult:
    return solve(instance(n, seed, horizon), method, mode, PROVE, baseline=False)


def _check_plan(inst: OffloadInstance, result: OffloadResult, mode: str) -> float:
    assert result.plan is not None
    objective = float(result.summary["objective"])
    check = verify(inst, result.plan, mode)
    assert check.ok, check.violations
    assert check.total_cost == pytest.approx(objective, rel=1e-9)
    assert result.summary["verified"] is True
    assert result.summary["replenishment"] == mode
    return objective


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_milp_and_cpsat_prove_the_same_optimum(case: tuple[int, int, int, str]) -> None:
    n, seed, horizon, mode = case
    inst = instance(n, seed, horizon)
    assert inst.num_orders == n and inst.horizon == horizon
    assert inst.lane.any()

    milp = solved(*case, "milp")
    cpsat = solved(*case, "cpsat")

    assert milp.status == SolveStatus.OPTIMAL, milp.summary
    assert cpsat.status == SolveStatus.OPTIMAL, cpsat.summary
    assert milp.summary["solver"] != cpsat.summary["solver"]
    milp_obj = _check_plan(inst, milp, mode)
    cpsat_obj = _check_plan(inst, cpsat, mode)
    assert milp_obj == pytest.approx(cpsat_obj, rel=1e-6)
    for res, obj in ((milp, milp_obj), (cpsat, cpsat_obj)):
        bound = float(res.summary["bound"])
        assert bound <= obj + 1e-6 * abs(obj)
        assert bound == pytest.approx(obj, rel=1e-6)  # proven with mip_gap = 0
    if case in TRANSSHIPPING:
        assert len(milp.plan.shipments) > 0 or len(cpsat.plan.shipments) > 0
        assert milp.summary["transshipment_periods"] > 0 or cpsat.summary["transshipment_periods"] > 0


@pytest.mark.parametrize("case", [(10, 3, 16, "free"), (6, 1, 14, "sS")], ids=_id)
def test_heuristic_plan_is_verified_and_never_below_the_optimum(case: tuple[int, int, int, str]) -> None:
    n, seed, horizon, mode = case
    inst = instance(n, seed, horizon)
    optimum = solved(*case, "milp")
    assert optimum.status == SolveStatus.OPTIMAL
    best = float(optimum.summary["objective"])

    result = solve(inst, "heuristic", mode, SolveOptions(time_limit=4, mip_gap=0), baseline=False)

    assert result.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    objective = _check_plan(inst, result, mode)
    assert objective >= best - 1e-6
    gap = result.summary["gap"]
    assert gap is not None and gap >= 0
    bound = float(result.summary["bound"])  # the LP relaxation: a valid lower bound
    assert bound <= best + 1e-6 * abs(best)
    assert bound <= objective + 1e-6 * abs(objective)
    if result.status == SolveStatus.OPTIMAL:
        assert objective == pytest.approx(best, rel=1e-6)
