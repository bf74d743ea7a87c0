"""The infeasibility diagnosis names exactly the orders and parts at fault."""

from __future__ import annotations

import numpy as np

import plantwise.offload as offload
from plantwise.core.options import SolveOptions
from plantwise.offload.methods import diagnose


def test_zero_capacity_of_a_product_type_names_its_orders() -> None:
    inst = offload.generate(orders=20, seed=3, horizon=30, replenishment="free")
    inst.type_capacity[:, 0] = 0
    diag = diagnose(inst, "free", SolveOptions(time_limit=5))
    expected = [inst.orders[i] for i in np.flatnonzero(inst.order_type == 0)]
    assert diag.unplaced_orders == expected and expected


def test_a_part_that_can_never_be_had_names_only_the_orders_that_need_it() -> None:
    inst = offload.generate(orders=20, seed=3, horizon=30, replenishment="free")
    inst.purchase_limit[:, 1] = 0
    inst.initial_stock[:, 1] = 0
    diag = diagnose(inst, "free", SolveOptions(time_limit=5))
    assert [s["part"] for s in diag.shortages] == [inst.parts[1]]
    users = [inst.orders[i] for i in np.flatnonzero(inst.parts_required[:, 1] > 0)]
    assert diag.shortages[0]["orders"] == users
    assert not diag.unplaced_orders
    assert any(inst.parts[1] in line for line in diag.lines())


def test_an_elastic_shortage_names_the_part_and_only_orders_that_need_it() -> None:
    from plantwise.offload.methods import solve

    inst = offload.generate(orders=30, seed=4, horizon=30, replenishment="free")
    inst.purchase_limit[:, 2] = 1
    inst.initial_stock[:, 2] = 0
    result = solve(inst, "milp", "free", SolveOptions(time_limit=20), baseline=False)
    assert str(result.status) == "infeasible"
    diag = result.diagnosis
    assert diag.shortages and {s["part"] for s in diag.shortages} == {inst.parts[2]}
    users = {inst.orders[i] for i in np.flatnonzero(inst.parts_required[:, 2] > 0)}
    assert not set(diag.unplaced_orders) - users
    assert all(set(s["needed_by"]) <= users for s in diag.shortages)
