"""plantwise's exact method against the peers of benchmarks/peers: same optimum, verified plans.

The textbook CLSP MILP (:mod:`benchmarks.peers.clsp_textbook`) and plantwise on Trigeiro
files that close fast; the plain document-001 MILP (:mod:`benchmarks.peers.e2e_plain`) on
a tiny generated scenario, its plan checked by plantwise's verifier. No test asserts a time.
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.peers import clsp_textbook, e2e_plain
from benchmarks.registry import SHARED
from benchmarks.suites import e2e as suite

from plantwise.core.options import SolveOptions
from plantwise.e2e.exact import solve_exact
from plantwise.e2e.generator import generate
from plantwise.e2e.model import build_model, merged_arcs
from plantwise.e2e.trigeiro import read_trigeiro
from plantwise.e2e.verifier import verify

FOLDER = SHARED / "clsp_trigeiro_X" / "instances"
needs_data = pytest.mark.skipif(not (FOLDER / "X11117A").exists(), reason="Trigeiro benchmark folder not available")
FAST = ("X11117A", "X11118C", "X11127A")


@needs_data
@pytest.mark.parametrize("name", FAST)
def test_plantwise_and_textbook_agree(name: str) -> None:
    ours = suite.ours_trigeiro(f"{suite.TRIGEIRO}/{name}", time_limit=30, threads=1)
    peer = clsp_textbook.solve(FOLDER / name, time_limit=30, threads=1)
    assert ours.status == "optimal" and peer.status == "optimal"
    assert ours.verified and peer.verified
    assert ours.objective == pytest.approx(peer.objective, rel=1e-6)
    assert ours.trajectory and ours.trajectory[-1][1] == pytest.approx(ours.objective)
    if name == "X11117A":
        assert ours.objective == pytest.approx(8375.8, abs=1e-6)  # the published optimum


@needs_data
def test_lean_model_leaves_out_what_lot_sizing_does_not_need() -> None:
    inst = read_trigeiro(FOLDER / "X11117A")
    full, lean = build_model(inst), build_model(inst, lean=True)
    assert merged_arcs(inst).all() and len(inst.ship_from) == len(inst.skus)  # one arc per item, all folded
    assert (lean.plant_stock == -1).all() and (lean.ship == -1).all() and (lean.backlog == -1).all()
    n, T = len(inst.skus), inst.horizon
    # production, setups and DC stock only: the textbook model's columns and rows
    assert lean.model.num_vars == 3 * n * T and lean.model.num_rows == 2 * n * T + T
    assert lean.model.num_vars < full.model.num_vars
    out = solve_exact(inst, SolveOptions(time_limit=30, mip_gap=1e-6, threads=1), em=lean)
    production, shipments, transfers = lean.flows(out.x)
    made = np.zeros((inst.num_plant_positions, inst.horizon))
    np.add.at(made, inst.pair_position, production)
    assert np.allclose(shipments, made[inst.ship_from])  # made and shipped on the same day
    from plantwise.e2e.plan import plan_from_arrays

    plan = plan_from_arrays(inst, production, shipments, transfers, {"objective": out.result.objective})
    check = verify(inst, plan)
    assert check.ok, check.violations
    assert check.total_cost == pytest.approx(8375.8, abs=1e-6)


def test_lean_model_keeps_the_general_structure() -> None:
    inst = generate(2, 1, 2, horizon=7)
    full, lean = build_model(inst), build_model(inst, lean=True)
    assert not merged_arcs(inst).any()  # lanes with lead times and costs: nothing folded
    options = SolveOptions(time_limit=30, mip_gap=1e-9, threads=1)
    a = solve_exact(inst, options, em=full).result
    b = solve_exact(inst, options, em=lean).result
    assert lean.model.num_vars <= full.model.num_vars
    assert a.objective == pytest.approx(b.objective, rel=1e-7)


def test_plain_peer_plan_verifies_at_its_objective() -> None:
    inst = generate(2, 1, 2, horizon=7)
    out, plan = e2e_plain.solve_with_plan(inst, time_limit=30, threads=1)
    assert out.status == "optimal" and out.verified
    check = verify(inst, plan)
    assert check.ok, check.violations
    assert out.objective == pytest.approx(check.total_cost, rel=1e-7)
    ours = suite._ours(inst, 30, 1, 1e-4, suite.Trace())
    assert ours.verified
    assert ours.objective == pytest.approx(out.objective, rel=2e-4)  # both within the 1e-4 gap


def test_suite_cases() -> None:
    cases = suite.cases()
    groups = [c.group for c in cases]
    assert groups.count("e2e-doc001") == 3
    if FOLDER.exists():
        assert groups.count("trigeiro") == 20
    for case in cases:
        assert set(case.tools) in ({"plantwise", "textbook-clsp"}, {"plantwise", "plain-milp"})
        assert case.time_limit == 60
