"""The independent verifier: a feasible witness passes, and each planted violation is
reported under its own family (and nothing unrelated is reported with it)."""

from __future__ import annotations

import copy
import functools
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plantwise.core.options import SolveOptions
from plantwise.offload.generator import generate, generate_with_witness
from plantwise.offload.instance import OffloadInstance
from plantwise.offload.methods import solve
from plantwise.offload.plan import OffloadPlan, load_plan
from plantwise.offload.verifier import verify

MODES = ("sS", "free")
# families that moving an order's start (hence its parts consumption) to a later period,
# or earlier with its parts bought on arrival (see _move), may add to the one planted
PARTS_FAMILIES = {"storage", "purchase", "replenishment"}


@functools.cache
def _witness() -> tuple[OffloadInstance, OffloadPlan]:
    return generate_with_witness(30, seed=2)


@pytest.fixture
def case() -> tuple[OffloadInstance, OffloadPlan]:
    """The instance (shared, never modified) and a private copy of its witness plan."""
    inst, witness = _witness()
    return inst, copy.deepcopy(witness)


def _indices(inst: OffloadInstance, plan: OffloadPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = plan.assignments
    i = a["order"].map({o: k for k, o in enumerate(inst.orders)}).to_numpy(np.int64)
    j = a["site"].map({s: k for k, s in enumerate(inst.sites)}).to_numpy(np.int64)
    return i, j, a["start"].to_numpy(np.int64)


def _occupancy(inst: OffloadInstance, plan: OffloadPlan) -> tuple[np.ndarray, np.ndarray]:
    """Orders in process [J, T] and per product type [J, V, T], counted here, not by verify."""
    J, V, T = inst.num_sites, len(inst.product_types), inst.horizon
    occ, type_occ = np.zeros((J, T), dtype=np.int64), np.zeros((J, V, T), dtype=np.int64)
    for i, j, s in zip(*_indices(inst, plan), strict=True):
        pt = inst.processing_time[i, j]
        occ[j, s - 1 : s - 1 + pt] += 1
        type_occ[j, inst.order_type[i], s - 1 : s - 1 + pt] += 1
    return occ, type_occ


def _flows(inst: OffloadInstance, plan: OffloadPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(purchases, departures, end-of-period stock) [J, N, T], computed here, not by verify."""
    J, N, T = inst.num_sites, inst.num_parts, inst.horizon
    sidx, pidx = {s: k for k, s in enumerate(inst.sites)}, {p: k for k, p in enumerate(inst.parts)}
    buy, out, change = (np.zeros((J, N, T), dtype=np.int64) for _ in range(3))
    for site, part, t, q in plan.purchases[["site", "part", "period", "quantity"]].itertuples(index=False):
        buy[sidx[site], pidx[part], t - 1] += q
    for f, to, part, t, arrive, q in plan.shipments[
            ["from_site", "to_site", "part", "period", "arrival_period", "quantity"]].itertuples(index=False):
        out[sidx[f], pidx[part], t - 1] += q
        change[sidx[to], pidx[part], arrive - 1] += q
    for i, j, s in zip(*_indices(inst, plan), strict=True):
        change[j, :, s - 1] -= inst.parts_required[i]
    stock = inst.initial_stock[:, :, None] + np.cumsum(buy - out + change, axis=2)
    return buy, out, stock


def _bought(plan: OffloadPlan, site: str, part: str, period: int) -> int:
    p = plan.purchases
    return int(p.loc[(p["site"] == site) & (p["part"] == part) & (p["period"] == period), "quantity"].sum())


def _last_start(inst: OffloadInstance, i: int, j: int) -> int:
    return int(min(inst.due[i] - inst.processing_time[i, j] - inst.shipping_time[i, j] + 1,
                   inst.horizon - inst.processing_time[i, j] + 1))


def _move(inst: OffloadInstance, plan: OffloadPlan, rows: list[int], start: int) -> None:
    """Start the orders of ``rows`` in period ``start``. An order moved earlier gets its
    parts bought at its new start as well, so that no shortage can arise: the stock is
    never below the witness's, and only station / capacity / storage / purchase /
    replenishment can be affected."""
    i_arr, j_arr, old = _indices(inst, plan)
    extra = []
    for r in rows:
        if start < old[r]:
            extra += [{"site": inst.sites[j_arr[r]], "part": inst.parts[n], "period": start,
                       "quantity": int(q)} for n, q in enumerate(inst.parts_required[i_arr[r]]) if q > 0]
    plan.assignments.loc[rows, "start"] = start
    if extra:
        plan.purchases = pd.concat([plan.purchases, pd.DataFrame(extra)], ignore_index=True)


def _crowd_site(inst: OffloadInstance, plan: OffloadPlan) -> tuple[list[int], int, int]:
    """L_j + 1 orders at one site that can all start in one period s within their due
    dates without exceeding a product-type capacity, moved as little as possible:
    (rows, site, s). Occupancy is counted here, not by verify."""
    i_arr, j_arr, start = _indices(inst, plan)
    best: tuple[int, list[int], int, int] | None = None
    for j in range(inst.num_sites):
        L = int(inst.stations[j])
        for s in range(1, inst.horizon + 1):
            rows = sorted((r for r in range(len(i_arr)) if j_arr[r] == j and _last_start(inst, i_arr[r], j) >= s),
                          key=lambda r: abs(start[r] - s))
            chosen: list[int] = []
            per_type = np.zeros(len(inst.product_types), dtype=np.int64)
            for r in rows:
                v = inst.order_type[i_arr[r]]
                if per_type[v] < inst.type_capacity[j, v]:
                    chosen.append(r)
                    per_type[v] += 1
                if len(chosen) == L + 1:
                    break
            if len(chosen) < L + 1:
                continue
            trial = copy.deepcopy(plan)
            trial.assignments.loc[chosen, "start"] = s
            occ, type_occ = _occupancy(inst, trial)
            moved = int(np.abs(start[chosen] - s).sum())
            if occ[j, s - 1] > L and (type_occ <= inst.type_capacity[:, :, None]).all() and (
                    best is None or moved < best[0]):
                best = (moved, sorted(chosen), j, s)
    assert best is not None, "no site can be crowded by the witness's orders"
    return best[1], best[2], best[3]


def _crowd_type(inst: OffloadInstance, plan: OffloadPlan) -> tuple[list[int], int, int, int]:
    """C_jv + 1 orders of one product type at a site whose capacity C_jv for the type is
    below its stations, started together so that the type capacity is exceeded but the
    stations are not: (rows, s, site, type)."""
    i_arr, j_arr, _ = _indices(inst, plan)
    for j in range(inst.num_sites):
        for v in range(len(inst.product_types)):
            cap = int(inst.type_capacity[j, v])
            if cap >= inst.stations[j]:
                continue
            same = [r for r in range(len(i_arr)) if j_arr[r] == j and inst.order_type[i_arr[r]] == v]
            for rows in itertools.combinations(same, cap + 1):
                for s in range(1, min(_last_start(inst, i_arr[r], j) for r in rows) + 1):
                    trial = copy.deepcopy(plan)
                    trial.assignments.loc[list(rows), "start"] = s
                    occ, type_occ = _occupancy(inst, trial)
                    if (occ <= inst.stations[:, None]).all() and type_occ[j, v, s - 1] > cap:
                        return list(rows), s, j, v
    raise AssertionError("no product-type capacity of the witness can be exceeded within the stations")


def _purchase_rows(plan: OffloadPlan, inst: OffloadInstance, stock: np.ndarray) -> pd.DataFrame:
    """Purchases with the least stock from their period on, at sites that ship nothing."""
    p = plan.purchases.copy()
    j = p["site"].map({s: k for k, s in enumerate(inst.sites)}).to_numpy(np.int64)
    n = p["part"].map({s: k for k, s in enumerate(inst.parts)}).to_numpy(np.int64)
    t = p["period"].to_numpy(np.int64)
    p["min_after"] = [int(stock[a, b, c - 1 :].min()) for a, b, c in zip(j, n, t, strict=True)]
    shipping = set(plan.shipments["from_site"])
    return p[~p["site"].isin(shipping)]


# ---------------------------------------------------------------------- the witness
@pytest.mark.parametrize("mode", MODES)
def test_witness_verifies(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    check = verify(inst, plan, mode)
    assert check.ok, check.violations
    assert check.families() == set()
    assert check.total_cost == pytest.approx(sum(check.cost_breakdown.values()))
    assert set(check.cost_breakdown) >= {"processing", "shipping", "purchase", "holding", "transshipment_fixed"}
    assert all(v >= 0 for v in check.cost_breakdown.values())
    assert check.stock is not None
    np.testing.assert_array_equal(check.stock, _flows(inst, plan)[2])
    assert check.stock.min() >= 0
    assert len(plan.shipments) > 0 and check.lane_periods > 0
    # the claimed objective is checked only when given
    assert verify(inst, plan, mode, objective=check.total_cost).ok


def test_witness_cost_is_recomputed_from_the_tables(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    i, j, _ = _indices(inst, plan)
    check = verify(inst, plan, "free")
    assert check.cost_breakdown["processing"] == pytest.approx(inst.processing_cost[i, j].sum())
    assert check.cost_breakdown["shipping"] == pytest.approx(inst.shipping_cost[i, j].sum())
    unit = dict(zip(inst.parts, inst.unit_cost, strict=True))
    purchase = sum(unit[p] * q for p, q in zip(plan.purchases["part"], plan.purchases["quantity"], strict=True))
    assert check.cost_breakdown["purchase"] == pytest.approx(purchase)
    assert check.cost_breakdown["holding"] == pytest.approx(
        float((_flows(inst, plan)[2].sum(axis=2) * inst.holding_cost[None, :]).sum()))
    sidx = {s: k for k, s in enumerate(inst.sites)}
    lanes = {(sidx[f], sidx[t], d) for f, t, d in
             zip(plan.shipments["from_site"], plan.shipments["to_site"], plan.shipments["period"], strict=True)}
    assert check.lane_periods == len(lanes)
    assert check.cost_breakdown["transshipment_fixed"] == pytest.approx(
        sum(inst.lane_fixed_cost[f, t] for f, t, _ in lanes))


# ---------------------------------------------------------------------- planted violations
@pytest.mark.parametrize("mode", MODES)
def test_station(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    rows, j, s = _crowd_site(inst, plan)
    _move(inst, plan, rows, s)
    check = verify(inst, plan, mode)
    assert not check.ok
    assert "station" in check.families()
    assert check.families() <= {"station"} | PARTS_FAMILIES, check.violations
    messages = [v.message for v in check.violations if v.family == "station"]
    assert any(f"site {inst.sites[j]} period {s}:" in m for m in messages), messages


def test_station_alone_when_a_site_loses_a_station(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    occ, _ = _occupancy(inst, plan)
    j = int(np.argmax(occ.max(axis=1)))
    fewer = copy.deepcopy(inst)
    fewer.stations[j] = occ[j].max() - 1
    for mode in MODES:
        check = verify(fewer, plan, mode)
        assert check.families() == {"station"}
        assert all(v.message.startswith(f"site {inst.sites[j]} ") for v in check.violations)
        assert len(check.violations) == int(min((occ[j] > fewer.stations[j]).sum(), 20))


@pytest.mark.parametrize("mode", MODES)
def test_capacity(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    rows, s, j, v = _crowd_type(inst, plan)
    _move(inst, plan, rows, s)
    check = verify(inst, plan, mode)
    assert not check.ok
    assert "capacity" in check.families()
    assert "station" not in check.families()
    assert check.families() <= {"capacity"} | PARTS_FAMILIES, check.violations
    messages = [x.message for x in check.violations if x.family == "capacity"]
    assert all(m.startswith(f"site {inst.sites[j]} type {inst.product_types[v]} ") for m in messages)


def test_capacity_alone_when_a_type_capacity_shrinks(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    _, type_occ = _occupancy(inst, plan)
    j, v = np.unravel_index(np.argmax(type_occ.max(axis=2)), type_occ.shape[:2])
    smaller = copy.deepcopy(inst)
    smaller.type_capacity[j, v] = type_occ[j, v].max() - 1
    for mode in MODES:
        assert verify(smaller, plan, mode).families() == {"capacity"}


@pytest.mark.parametrize("mode", MODES)
def test_due_date(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    i, j, _ = _indices(inst, plan)
    r = 0
    plan.assignments.loc[r, "start"] = _last_start(inst, i[r], j[r]) + 1  # one period too late
    check = verify(inst, plan, mode)
    assert not check.ok
    assert "due date" in check.families()
    assert check.families() <= {"due date"} | PARTS_FAMILIES, check.violations
    assert any(inst.orders[i[r]] in v.message for v in check.violations if v.family == "due date")


@pytest.mark.parametrize("start", [0, -3])
def test_due_date_start_before_period_one(case: tuple[OffloadInstance, OffloadPlan], start: int) -> None:
    inst, plan = case
    plan.assignments.loc[0, "start"] = start
    check = verify(inst, plan, "free")
    assert "due date" in check.families()
    assert check.families() <= {"due date"} | PARTS_FAMILIES


@pytest.mark.parametrize("mode", MODES)
def test_parts_balance(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    stock = _flows(inst, plan)[2]
    rows = _purchase_rows(plan, inst, stock)
    short = rows[rows["quantity"] > rows["min_after"]]
    assert len(short), "every witness purchase is needed somewhere"
    victim = short.index[0]
    site, part = plan.purchases.loc[victim, "site"], plan.purchases.loc[victim, "part"]
    plan.purchases = plan.purchases.drop(index=victim)
    check = verify(inst, plan, mode)
    assert not check.ok
    expected = {"parts balance"} if mode == "free" else {"parts balance", "replenishment"}
    assert check.families() == expected, check.violations
    messages = [v.message for v in check.violations if v.family == "parts balance"]
    assert all(m.startswith(f"site {site} part {part} ") for m in messages)


def test_shortage_at_a_site_that_ships_nothing_is_not_a_lane_violation(
        case: tuple[OffloadInstance, OffloadPlan]) -> None:
    """A negative stock is a parts-balance violation; "ships 0 but holds only -1" is not
    a lane violation at a site that ships nothing."""
    inst, plan = case
    site = next(s for s in inst.sites if s not in set(plan.shipments["from_site"]))
    part = inst.parts[0]
    plan.purchases = plan.purchases[~((plan.purchases["site"] == site) & (plan.purchases["part"] == part))]
    check = verify(inst, plan, "free")
    assert "parts balance" in check.families()
    lane = [v.message for v in check.violations if v.family == "lane"]
    assert not lane, lane[:3]
    assert check.families() == {"parts balance"}


def test_storage(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    huge = int(inst.storage_capacity[0, 0]) + 1
    plan.purchases = pd.concat([plan.purchases, pd.DataFrame(
        [{"site": inst.sites[0], "part": inst.parts[0], "period": 1, "quantity": huge}])], ignore_index=True)
    for mode in MODES:
        check = verify(inst, plan, mode)
        assert not check.ok
        assert {"storage", "purchase"} <= check.families()  # the purchase limit is at most the capacity
        assert check.families() <= {"storage", "purchase", "replenishment"}
        assert any(v.message.startswith(f"site {inst.sites[0]} part {inst.parts[0]} period 1:")
                   for v in check.violations if v.family == "storage")


def test_storage_alone_within_the_purchase_limit(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    stock = _flows(inst, plan)[2]
    room = inst.storage_capacity[:, :, None] - np.maximum.accumulate(stock[:, :, ::-1], axis=2)[:, :, ::-1]
    fits = (room < inst.purchase_limit[:, :, None]) & (room >= 0)
    j, n, t = np.argwhere(fits)[0]  # buying the limit at t overflows the storage from t on
    qty = int(inst.purchase_limit[j, n]) - _bought(plan, inst.sites[j], inst.parts[n], int(t) + 1)
    assert qty > 0
    plan.purchases = pd.concat([plan.purchases, pd.DataFrame(
        [{"site": inst.sites[j], "part": inst.parts[n], "period": int(t) + 1, "quantity": qty}])], ignore_index=True)
    check = verify(inst, plan, "free")
    assert check.families() == {"storage"}, check.violations


def test_purchase_limit_and_negative_purchases(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    bad = copy.deepcopy(plan)
    bad.purchases.loc[0, "quantity"] = -1
    assert "purchase" in verify(inst, bad, "free").families()
    bad = copy.deepcopy(plan)
    bad.purchases.loc[0, "period"] = inst.horizon + 1
    assert "purchase" in verify(inst, bad, "free").families()


@pytest.mark.parametrize("mode", MODES)
def test_lane_self_shipment(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    row = plan.shipments.iloc[0]
    plan.shipments = pd.concat([plan.shipments, pd.DataFrame([{
        "from_site": row["from_site"], "to_site": row["from_site"], "part": row["part"],
        "period": int(row["period"]), "arrival_period": int(row["arrival_period"]), "quantity": 1}])],
        ignore_index=True)
    check = verify(inst, plan, mode)
    assert check.families() == {"lane"}, check.violations
    row_ref = f"transshipments.csv row {len(plan.shipments) + 1}: "  # header is row 1
    assert f"{row_ref}ships from a site to itself" in [v.message for v in check.violations]
    assert all(v.message.startswith(row_ref) for v in check.violations)


@pytest.mark.parametrize("shift", [-1, 1])
def test_lane_wrong_arrival_period(case: tuple[OffloadInstance, OffloadPlan], shift: int) -> None:
    inst, plan = case
    plan.shipments.loc[0, "arrival_period"] += shift
    check = verify(inst, plan, "free")
    assert "lane" in check.families()
    assert any("transshipment time" in v.message for v in check.violations if v.family == "lane")
    assert check.families() <= {"lane", "parts balance", "storage"}


def test_lane_arrival_after_horizon(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    sidx = {s: k for k, s in enumerate(inst.sites)}
    row = plan.shipments.iloc[0]
    tt = int(inst.transshipment_time[sidx[row["from_site"]], sidx[row["to_site"]]])
    plan.shipments = pd.concat([plan.shipments, pd.DataFrame([{
        "from_site": row["from_site"], "to_site": row["to_site"], "part": row["part"],
        "period": inst.horizon, "arrival_period": inst.horizon + tt, "quantity": 0}])], ignore_index=True)
    check = verify(inst, plan, "free")
    assert check.families() == {"lane"}
    assert any("horizon" in v.message for v in check.violations)


def test_lane_departure_beyond_stock(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    stock = _flows(inst, plan)[2]
    sidx, pidx = {s: k for k, s in enumerate(inst.sites)}, {p: k for k, p in enumerate(inst.parts)}
    row = plan.shipments.iloc[0]
    j, n, t = sidx[row["from_site"]], pidx[row["part"]], int(row["period"])
    before = inst.initial_stock[j, n] if t == 1 else stock[j, n, t - 2]
    plan.shipments.loc[0, "quantity"] = int(before) + _bought(plan, row["from_site"], row["part"], t) + 1
    check = verify(inst, plan, "free")
    assert "lane" in check.families()
    assert any(f"site {row['from_site']} part {row['part']} period {t}: ships" in v.message
               for v in check.violations if v.family == "lane")
    assert check.families() <= {"lane", "parts balance", "storage"}


def test_lane_missing_from_the_instance(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    sidx = {s: k for k, s in enumerate(inst.sites)}
    f, t = sidx[plan.shipments.loc[0, "from_site"]], sidx[plan.shipments.loc[0, "to_site"]]
    closed = copy.deepcopy(inst)
    closed.lane[f, t] = False
    check = verify(closed, plan, "free")
    assert "lane" in check.families()
    assert any("no lane" in v.message for v in check.violations)


@pytest.mark.parametrize("mode", MODES)
def test_replenishment(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    stock = _flows(inst, plan)[2]
    rows = _purchase_rows(plan, inst, stock)
    spare = rows[rows["quantity"] <= rows["min_after"]]  # stock stays >= 0 without it
    assert len(spare), "no witness purchase can be dropped without a shortage"
    plan.purchases = plan.purchases.drop(index=spare.index[0])
    check = verify(inst, plan, mode)
    if mode == "free":
        assert check.ok, check.violations  # fewer purchases are fine when the rule does not apply
    else:
        assert check.families() == {"replenishment"}, check.violations
        row = spare.iloc[0]
        assert any(v.message.startswith(f"site {row['site']} part {row['part']} period {row['period']}:")
                   for v in check.violations)


def test_replenishment_extra_purchase(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    stock = _flows(inst, plan)[2]
    room = inst.storage_capacity[:, :, None] - np.maximum.accumulate(stock[:, :, ::-1], axis=2)[:, :, ::-1]
    j, n, t = np.argwhere(room >= 1)[0]
    plan.purchases = pd.concat([plan.purchases, pd.DataFrame(
        [{"site": inst.sites[j], "part": inst.parts[n], "period": int(t) + 1, "quantity": 1}])], ignore_index=True)
    assert "replenishment" in verify(inst, plan, "sS").families()
    assert verify(inst, plan, "sS").families() <= {"replenishment", "purchase"}


@pytest.mark.parametrize("mode", MODES)
def test_assignment_dropped_order(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    dropped = plan.assignments.loc[0, "order"]
    plan.assignments = plan.assignments.drop(index=0)
    check = verify(inst, plan, mode)
    assert "assignment" in check.families()
    assert check.families() <= {"assignment"} | PARTS_FAMILIES
    assert any("not assigned" in v.message and dropped in v.message for v in check.violations)


def test_assignment_duplicated_order(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    row = plan.assignments.iloc[3]
    plan.assignments = pd.concat([plan.assignments, plan.assignments.iloc[[3]]], ignore_index=True)
    # buy the second copy's parts as it starts, so that the stock stays as in the witness
    i = inst.orders.index(row["order"])
    plan.purchases = pd.concat([plan.purchases, pd.DataFrame(
        [{"site": row["site"], "part": inst.parts[n], "period": int(row["start"]), "quantity": int(q)}
         for n, q in enumerate(inst.parts_required[i]) if q > 0])], ignore_index=True)
    check = verify(inst, plan, "free")
    assert "assignment" in check.families()
    assert check.families() <= {"assignment", "station", "capacity", "purchase"}, check.violations
    assert any("more than once" in v.message and row["order"] in v.message for v in check.violations)


def test_assignment_unknown_or_ineligible_site(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    unknown = copy.deepcopy(plan)
    unknown.assignments.loc[0, "site"] = "NOWHERE"
    check = verify(inst, unknown, "free")
    assert "assignment" in check.families()
    assert any("NOWHERE" in v.message for v in check.violations)
    i, j, _ = _indices(inst, plan)
    restricted = copy.deepcopy(inst)
    restricted.eligible[i[0], j[0]] = False
    check = verify(restricted, plan, "free")
    assert check.families() == {"assignment"}
    assert any("cannot be made" in v.message and inst.orders[i[0]] in v.message for v in check.violations)


@pytest.mark.parametrize("mode", MODES)
def test_cost(case: tuple[OffloadInstance, OffloadPlan], mode: str) -> None:
    inst, plan = case
    cost = verify(inst, plan, mode).total_cost
    check = verify(inst, plan, mode, objective=cost + 1000)
    assert check.families() == {"cost"}
    assert check.total_cost == pytest.approx(cost)  # the recomputed cost does not move
    assert verify(inst, plan, mode, objective=cost * (1 + 1e-9)).ok
    plan.summary = {"objective": cost - 1000}
    assert verify(inst, plan, mode).families() == {"cost"}


def test_format_non_integer_start(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    plan.assignments["start"] = plan.assignments["start"].astype(object)
    plan.assignments.loc[0, "start"] = "soon"
    check = verify(inst, plan, "free")
    assert not check.ok
    assert check.families() == {"format"}


def test_mode_defaults_to_the_plan_summary(case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    stock = _flows(inst, plan)[2]
    rows = _purchase_rows(plan, inst, stock)
    plan.purchases = plan.purchases.drop(index=rows[rows["quantity"] <= rows["min_after"]].index[0])
    plan.summary = {"replenishment": "sS"}
    assert verify(inst, plan).families() == {"replenishment"}
    plan.summary = {"replenishment": "free"}
    assert verify(inst, plan).ok


# ---------------------------------------------------------------------- command line
def _plantwise_verify(inst_dir: Path, plan_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "plantwise", "offload", "verify", str(inst_dir), str(plan_dir)],
                          capture_output=True, text=True, timeout=120)


def test_cli_verify(tmp_path: Path, case: tuple[OffloadInstance, OffloadPlan]) -> None:
    inst, plan = case
    inst_dir, plan_dir = tmp_path / "instance", tmp_path / "plan"
    inst.save(inst_dir)
    plan.summary = {"replenishment": "sS"}
    plan.summary["objective"] = verify(inst, plan).total_cost  # a summary must state the cost it claims
    plan.save(plan_dir)

    proc = _plantwise_verify(inst_dir, plan_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 violations" in proc.stdout
    assert "Traceback" not in proc.stderr

    # the files round-trip: the loaded plan verifies in Python too, at the same cost
    loaded = load_plan(plan_dir)
    assert verify(inst, loaded).ok
    assert verify(inst, loaded).total_cost == pytest.approx(verify(inst, plan).total_cost)

    # crowd a site in assignments.csv
    rows, _, s = _crowd_site(inst, plan)
    assignments = pd.read_csv(plan_dir / "assignments.csv")
    assignments.loc[rows, "start"] = s
    assignments.to_csv(plan_dir / "assignments.csv", index=False)
    proc = _plantwise_verify(inst_dir, plan_dir)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "station" in output
    assert "0 violations" not in proc.stdout
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------- a solver's plan
def test_milp_plan_verifies_at_its_reported_cost(tmp_path: Path) -> None:
    inst = generate(20, seed=4)
    result = solve(inst, "milp", "free", SolveOptions(time_limit=20), baseline=False)
    assert result.plan is not None
    assert result.status in ("optimal", "feasible")
    objective = float(result.summary["objective"])
    check = verify(inst, result.plan, "free")
    assert check.ok, check.violations
    assert check.total_cost == pytest.approx(objective, rel=1e-6)
    assert result.result.objective == pytest.approx(objective, rel=1e-6)  # the solver's own objective
    assert check.cost_breakdown == pytest.approx(result.summary["cost_breakdown"])
    # and from the files alone
    result.plan.save(tmp_path / "plan")
    loaded = load_plan(tmp_path / "plan")
    again = verify(inst, loaded)  # mode and objective from summary.json
    assert again.ok, again.violations
    assert again.total_cost == pytest.approx(objective, rel=1e-6)
