"""Trigeiro CLSP files as one-plant e2e instances: parsing, errors, and the known optimum."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from plantwise.core.backends import get_backend
from plantwise.core.errors import InputErrors
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.e2e.cuts import add_facility_location, add_lot_sizing_inequalities, net_demand
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.exact import solve_exact
from plantwise.e2e.generator import generate
from plantwise.e2e.model import E2EModel, build_model
from plantwise.e2e.trigeiro import read_trigeiro

FOLDER = Path("/work/shared/benchmarks/clsp_trigeiro_X/instances")
X11117A = FOLDER / "X11117A"
needs_data = pytest.mark.skipif(not X11117A.exists(), reason="Trigeiro benchmark folder not available")

SMALL = """\
   2    3
    1
  100
 1.00 0.50  10.  40.
 2.00 1.00   5.  30.
   20   10
    0   30
   40   15

  footer text that is ignored 1 2 3
"""


def write(tmp_path: Path, text: str, name: str = "T1") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@needs_data
def test_parse_x11117a() -> None:
    inst = read_trigeiro(X11117A)
    assert inst.name == "X11117A"
    assert (inst.horizon, len(inst.skus), inst.num_pairs) == (20, 10, 10)
    assert (inst.plants, inst.lines, inst.dcs) == (["P"], ["L1"], ["D"])
    assert np.all(inst.hours == 1332.0)
    assert inst.holding_cost[[0, 2]].tolist() == [0.8, 1.2]
    assert inst.setup_hours[[0, 1]].tolist() == [17.0, 8.0]
    assert inst.setup_cost[[0, 3]].tolist() == [37.0, 62.0]
    assert np.all(inst.rate == 1.0) and np.all(inst.moq == 0.0)
    assert inst.demand.shape == (10, 20)
    assert inst.demand[:, 0].tolist() == [0, 115, 116, 0, 0, 92, 89, 0, 92, 0]
    assert inst.demand[:, 19].tolist() == [124, 78, 96, 113, 103, 89, 124, 116, 106, 87]
    assert inst.demand.sum() == 17853
    assert np.all(inst.plant_minimum == 0) and np.all(inst.dc_minimum == 0) and np.all(inst.dc_target == 0)
    assert inst.penalties.as_dict() == dict.fromkeys(inst.penalties.as_dict(), 0.0)
    assert not inst.allow_stockout
    assert inst.ship_lead.tolist() == [0] * 10 and inst.ship_cost.tolist() == [0.0] * 10


def test_parse_small_and_footer(tmp_path: Path) -> None:
    inst = read_trigeiro(write(tmp_path, SMALL))
    assert inst.horizon == 3 and len(inst.skus) == 2
    assert inst.rate.tolist() == [1.0, 0.5]  # 1 / a_i units per capacity unit
    assert inst.demand.tolist() == [[20, 0, 40], [10, 30, 15]]
    # records may span lines: the header on two lines is fine
    assert read_trigeiro(write(tmp_path, SMALL.replace("   2    3\n", "2\n3\n", 1), "T2")).horizon == 3


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (SMALL.replace(" 2.00 1.00", " 2.00 x.0"), 5, "'x.0', not a number"),
        (SMALL.replace("    0   30\n", "    0   30   7\n"), 7, "expected 2 numbers"),
        (SMALL.replace(" 1.00 0.50", " 0.00 0.50"), 4, "a must be > 0"),
        (SMALL.replace("   40   15\n", "   40  -15\n"), 8, "negative demand"),
        ("   2    3\n    1\n  100\n 1.00 0.50  10.  40.\n 2.00 1.00   5.  30.\n   20   10\n", 6, "file ends early"),
        ("   2  1.5\n", 1, "nPeriods must be a positive integer"),
    ],
)
def test_malformed_file_names_the_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputErrors) as info:
        read_trigeiro(write(tmp_path, text))
    (error,) = info.value.errors
    assert error.file == "T1" and error.row == line
    assert fragment in error.message
    assert f"row {line}" in str(info.value)


def test_small_objective_is_setup_plus_holding(tmp_path: Path) -> None:
    # item 1 (demand 20, 0, 40; h 0.5, setup 40): lots in periods 1 and 3 cost 80, one lot of 60 also
    # 40 + 0.5 x (40 + 40) = 80. Item 2 (demand 10, 30, 15; h 1, setup 30): lots in 1 and 2 cost
    # 60 + 15 = 75; three lots 90; lots in 1 and 3 cost 60 + 30 = 90; one lot of 55 needs 2 x 55 + 5 > 100.
    # Optimum 155 (the unit production cost c = 1 is not part of the objective).
    inst = read_trigeiro(write(tmp_path, SMALL))
    out = solve_exact(inst, SolveOptions(time_limit=30, mip_gap=1e-9))
    assert out.result.status == SolveStatus.OPTIMAL
    assert out.result.objective == pytest.approx(155.0, abs=1e-6)


@needs_data
def test_x11117a_reaches_the_known_optimum() -> None:
    inst = read_trigeiro(X11117A)
    out = solve_exact(inst, SolveOptions(time_limit=60, mip_gap=1e-6))
    assert out.result.status == SolveStatus.OPTIMAL
    assert out.result.objective == pytest.approx(8375.8, abs=0.05)
    assert out.result.bound == pytest.approx(8375.8, abs=0.05)
    # the plan re-simulated from its decisions alone costs the same: setup + holding only
    em = out.model
    sim = simulate(inst, *em.flows(out.x))  # the lean model has no shipment columns: flows() makes them
    assert sim.total == pytest.approx(8375.8, abs=0.05)
    assert {k for k, v in sim.costs.items() if abs(v) > 1e-6} == {"holding", "setup"}
    assert sim.dc_backlog.max() <= 1e-6


@needs_data
@pytest.mark.parametrize("add", [add_lot_sizing_inequalities, add_facility_location])
def test_strengthening_closes_the_lp_gap_on_x11117a(add: Callable[[E2EModel], int]) -> None:
    em = build_model(read_trigeiro(X11117A))
    base = get_backend("highs").solve(em.model, SolveOptions(time_limit=30), relax=True)
    assert add(em) > 0
    lp = get_backend("highs").solve(em.model, SolveOptions(time_limit=30), relax=True)
    assert base.objective < 2000 < lp.objective <= 8375.8 + 1e-6
    out = solve_exact(em.instance, SolveOptions(time_limit=60, mip_gap=1e-6), em=em)
    assert out.result.status == SolveStatus.OPTIMAL
    assert out.result.objective == pytest.approx(8375.8, abs=0.05)


def test_strengthening_keeps_the_optimum_of_a_network_instance() -> None:
    """Two plants, lead times 1-2, transfers, part-covering initial stock, targets and MOQs:
    the optimum must not move, and the plain optimum satisfies the (l, S) rows."""
    g = generate(scenario=1, seed=3, skus=4, horizon=7)
    inst = replace(g, allow_stockout=False, rate=3 * g.rate, plant_initial=np.round(0.1 * g.plant_initial),
                   dc_initial=g.demand[:, :2].sum(axis=1))
    assert 0 < net_demand(inst).sum() < inst.demand.sum()  # initial stock covers part of the demand
    assert inst.ship_lead.max() == 2 and len(inst.move_from) > 0
    opts = SolveOptions(time_limit=60, mip_gap=1e-9)
    plain = solve_exact(inst, opts)
    assert plain.result.status == SolveStatus.OPTIMAL
    for add in (add_lot_sizing_inequalities, add_facility_location):
        em = build_model(inst, lean=True)  # the columns solve_exact's own (lean) model has
        assert add(em) > 0
        if add is add_lot_sizing_inequalities:  # same columns: the plain optimum must satisfy the new rows
            assert em.model.max_violation(plain.x) <= 1e-6
        out = solve_exact(inst, opts, em=em)
        assert out.result.status == SolveStatus.OPTIMAL
        assert out.result.objective == pytest.approx(plain.result.objective, rel=1e-7)


def test_no_strengthening_when_stockouts_are_allowed() -> None:
    em = build_model(generate(scenario=1, seed=1, skus=3, horizon=5))
    rows = em.model.num_rows
    assert add_lot_sizing_inequalities(em) == 0 and add_facility_location(em) == 0
    assert em.model.num_rows == rows
