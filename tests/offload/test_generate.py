"""The seeded instance generator: determinism, dimensions, validity and its witness plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantwise.offload.generator import generate, generate_with_witness
from plantwise.offload.instance import OffloadInstance, load
from plantwise.offload.verifier import verify

SEEDS = [(8, 3), (40, 1), (100, 2), (300, 7)]


def assert_same_frames(a: OffloadInstance, b: OffloadInstance) -> None:
    fa, fb = a.to_frames(), b.to_frames()
    assert fa.keys() == fb.keys()
    for name in fa:
        pd.testing.assert_frame_equal(fa[name], fb[name], check_exact=True, obj=name)


def consumption_at_initial_site(inst: OffloadInstance) -> np.ndarray:
    """[J, N] parts needed by the orders initially assigned to each site."""
    need = np.zeros((inst.num_sites, inst.num_parts), dtype=np.int64)
    np.add.at(need, inst.initial_site, inst.parts_required)
    return need


@pytest.mark.parametrize(("n", "seed"), [(8, 3), (100, 5)])
def test_same_arguments_same_instance(n: int, seed: int) -> None:
    a, b = generate(n, seed), generate(n, seed)
    assert_same_frames(a, b)
    assert a.checksum() == b.checksum()
    assert a.name == b.name


def test_same_arguments_same_witness() -> None:
    (_, wa), (_, wb) = generate_with_witness(50, 4), generate_with_witness(50, 4)
    pd.testing.assert_frame_equal(wa.assignments, wb.assignments)
    pd.testing.assert_frame_equal(wa.purchases, wb.purchases)
    pd.testing.assert_frame_equal(wa.shipments, wb.shipments)


def test_generate_matches_generate_with_witness() -> None:
    assert_same_frames(generate(30, 9), generate_with_witness(30, 9)[0])


def test_different_seed_different_instance() -> None:
    a, b = generate(100, 1), generate(100, 2)
    assert a.checksum() != b.checksum()
    assert not a.to_frames()["orders"].equals(b.to_frames()["orders"])


@pytest.mark.parametrize("n", [100, 300])
def test_dimensions(n: int) -> None:
    inst = generate(n, seed=11)
    J, N, V, T = 3, 5, 4, 50
    assert (inst.num_sites, inst.num_parts, len(inst.product_types), inst.horizon) == (J, N, V, T)
    assert inst.num_orders == n
    assert len(set(inst.orders)) == n
    assert inst.stations.shape == (J,)
    assert inst.type_capacity.shape == (J, V)
    for arr in (inst.initial_stock, inst.storage_capacity, inst.reorder_point, inst.order_up_to, inst.purchase_limit):
        assert arr.shape == (J, N)
    assert inst.parts_required.shape == (n, N)
    for arr in (inst.eligible, inst.processing_time, inst.shipping_time, inst.processing_cost, inst.shipping_cost):
        assert arr.shape == (n, J)
    assert inst.lane.shape == inst.transshipment_time.shape == (J, J)
    assert set(inst.order_type.tolist()) <= set(range(V))
    assert set(inst.initial_site.tolist()) <= set(range(J))
    assert ((inst.due >= 1) & (inst.due <= T)).all()
    assert (inst.last_start()[np.arange(n), inst.initial_site] >= 1).all()
    assert (inst.reorder_point <= inst.order_up_to).all()
    assert (inst.order_up_to <= inst.storage_capacity).all()
    assert (inst.initial_stock <= inst.storage_capacity).all()
    assert not inst.lane.diagonal().any()


def test_horizon_argument() -> None:
    inst = generate(20, seed=1, horizon=30)
    assert inst.horizon == 30
    assert inst.due.max() <= 30


def test_no_orders_is_an_error() -> None:
    with pytest.raises(ValueError):
        generate(0, 1)


@pytest.mark.parametrize(("n", "seed"), [(8, 3), (100, 1)])
def test_saved_instance_loads(tmp_path: Path, n: int, seed: int) -> None:
    inst = generate(n, seed)
    inst.save(tmp_path / "inst")
    loaded = load(tmp_path / "inst")
    assert_same_frames(inst, loaded)
    assert loaded.checksum() == inst.checksum()
    assert (loaded.name, loaded.horizon, loaded.replenishment) == (inst.name, inst.horizon, inst.replenishment)


@pytest.mark.parametrize(("n", "seed"), SEEDS)
@pytest.mark.parametrize("mode", ["sS", "free"])
def test_witness_verifies(n: int, seed: int, mode: str) -> None:
    inst, witness = generate_with_witness(n, seed)
    check = verify(inst, witness, mode)
    assert check.violations == []
    assert check.ok is True
    assert check.total_cost > 0


@pytest.mark.parametrize(("n", "seed"), SEEDS)
def test_witness_is_at_the_initial_assignment(n: int, seed: int) -> None:
    inst, witness = generate_with_witness(n, seed)
    assignments = witness.assignments
    assert assignments["order"].tolist() == inst.orders
    assert assignments["site"].tolist() == [inst.sites[j] for j in inst.initial_site]


# With few orders the purchase limit's floor of 1 unit/period already covers the need, so
# the shortage the generator builds in only shows from about 60 orders on.
@pytest.mark.parametrize(("n", "seed"), [(100, 0), (100, 1), (100, 2), (150, 3), (300, 7)])
def test_some_site_is_short_of_parts(n: int, seed: int) -> None:
    inst = generate(n, seed)
    supply = inst.purchase_limit * inst.horizon + inst.initial_stock
    short = supply < consumption_at_initial_site(inst)
    assert short.any(), f"no (site, part) short of parts: supply {supply.tolist()}"


@pytest.mark.parametrize(("n", "seed"), SEEDS)
def test_witness_uses_transshipments(n: int, seed: int) -> None:
    inst, witness = generate_with_witness(n, seed)
    assert len(witness.shipments) > 0
    assert (witness.shipments["quantity"] > 0).all()
    assert set(witness.shipments["from_site"]) <= set(inst.sites)
    assert (witness.shipments["from_site"] != witness.shipments["to_site"]).all()
