"""Offload instances: typed input of document 000's model, loading, validation, saving.

Tables (one CSV per entity, or one sheet each in an ``.xlsx`` workbook) and units are
documented in ``docs/models/offload.md``. Periods are integers ``1..T``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from plantwise.core.errors import ErrorCollector, InputError
from plantwise.core.scalars import ScalarSpec, check_scalars
from plantwise.core.tables import (
    Column,
    Table,
    TableSpec,
    check_references,
    frames_checksum,
    index_of,
    load_instance,
    save_tables,
    tables_from_frames,
)

REPLENISHMENT_MODES = ("sS", "free")

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "sites",
        (
            Column("site", "str", unit="id", doc="a manufacturing site j"),
            Column("stations", "int", 0, unit="stations", doc="manufacturing stations L_j"),
        ),
        key=("site",),
        unknown_columns="error",
    ),
    TableSpec(
        "product_capacity",
        (
            Column("site", "str", unit="id", doc="a site of sites.csv"),
            Column("product_type", "str", unit="id", doc="a product type v (the types are the ones listed here)"),
            Column("capacity", "int", 0, unit="orders", doc="orders of the type in process at once, C_jv"),
        ),
        key=("site", "product_type"),
        doc="one row for every site and product type",
        unknown_columns="error",
    ),
    TableSpec(
        "parts",
        (
            Column("part", "str", unit="id", doc="a part type n"),
            Column("unit_cost", "float", 0, unit="currency/unit", doc="purchase cost MC_n"),
            Column("holding_cost", "float", 0, unit="currency/unit/period", doc="h_n, charged on end-of-period stock"),
        ),
        key=("part",),
        unknown_columns="error",
    ),
    TableSpec(
        "site_parts",
        (
            Column("site", "str", unit="id", doc="a site of sites.csv"),
            Column("part", "str", unit="id", doc="a part of parts.csv"),
            Column("initial_stock", "int", 0, unit="units", doc="stock before period 1, b_jn0"),
            Column("storage_capacity", "int", 0, unit="units", doc="warehouse space c_jn"),
            Column("reorder_point", "int", 0, unit="units", doc="s_jn, at most order_up_to"),
            Column("order_up_to", "int", 0, unit="units", doc="S_jn, at most storage_capacity"),
            Column("purchase_limit", "int", 0, unit="units/period", doc="most that can be bought in one period"),
        ),
        key=("site", "part"),
        doc="one row for every site and part",
        unknown_columns="error",
    ),
    TableSpec(
        "orders",
        (
            Column("order", "str", unit="id", doc="an order i"),
            Column("product_type", "str", unit="id", doc="its product type, a type of product_capacity.csv"),
            Column("due_period", "int", 1, unit="period", doc="PSSD_i, at most the horizon T"),
            Column("initial_site", "str", unit="id", doc="a_ij, the site the order is planned at"),
        ),
        key=("order",),
        unknown_columns="error",
    ),
    TableSpec(
        "order_parts",
        (
            Column("order", "str", unit="id", doc="an order of orders.csv"),
            Column("part", "str", unit="id", doc="a part of parts.csv"),
            Column("quantity", "int", 0, unit="units", doc="P_in, parts the order needs (absent pair = 0)"),
        ),
        key=("order", "part"),
        unknown_columns="error",
    ),
    TableSpec(
        "order_sites",
        (
            Column("order", "str", unit="id", doc="an order of orders.csv"),
            Column("site", "str", unit="id", doc="a site that can make it (absent pair = it cannot)"),
            Column("processing_time", "int", 1, unit="periods", doc="PT_ij"),
            Column("shipping_time", "int", 0, unit="periods", doc="ST_ij, to the customer"),
            Column("processing_cost", "float", 0, unit="currency", doc="PC_ij"),
            Column("shipping_cost", "float", 0, unit="currency", doc="SC_ij"),
        ),
        key=("order", "site"),
        unknown_columns="error",
    ),
    TableSpec(
        "lanes",
        (
            Column("from_site", "str", unit="id", doc="shipping site"),
            Column("to_site", "str", unit="id", doc="receiving site, another site"),
            Column("transshipment_time", "int", 1, unit="periods", doc="TT"),
            Column("fixed_cost", "float", 0, unit="currency/shipping period",
                   doc="TC, in every period in which anything is shipped"),
        ),
        key=("from_site", "to_site"),
        doc="parts may be shipped on these lanes (absent = no lane)",
        unknown_columns="error",
    ),
)
# what changes over time (re-planning's disruptions, or a planner's known calendar): optional
# tables, written only when they have rows
DISRUPTION_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "site_downtime",
        (
            Column("site", "str", unit="id", doc="a site of sites.csv"),
            Column("period", "int", 1, unit="period", doc="a period 1..T"),
            Column("stations_lost", "int", 0, unit="stations", doc="stations out of use in the period, at most L_j"),
        ),
        key=("site", "period"), doc="stations out of use by period (absent = all stations work)",
        unknown_columns="error", optional=True,
    ),
    TableSpec(
        "purchase_limits",
        (
            Column("site", "str", unit="id", doc="a site of sites.csv"),
            Column("part", "str", unit="id", doc="a part of parts.csv"),
            Column("period", "int", 1, unit="period", doc="a period 1..T"),
            Column("purchase_limit", "int", 0, unit="units/period",
                   doc="most that can be bought in this period (replaces site_parts' purchase_limit)"),
        ),
        key=("site", "part", "period"), doc="purchase limits by period (absent = site_parts' limit)",
        unknown_columns="error", optional=True,
    ),
    TableSpec(
        "lane_closures",
        (
            Column("from_site", "str", unit="id", doc="shipping site of a lane of lanes.csv"),
            Column("to_site", "str", unit="id", doc="receiving site of that lane"),
            Column("period", "int", 1, unit="period", doc="a period 1..T in which nothing departs on the lane"),
        ),
        key=("from_site", "to_site", "period"), doc="lane-periods in which nothing may depart",
        unknown_columns="error", optional=True,
    ),
    TableSpec(
        "stock_adjustments",
        (
            Column("site", "str", unit="id", doc="a site of sites.csv"),
            Column("part", "str", unit="id", doc="a part of parts.csv"),
            Column("period", "int", 1, unit="period", doc="a period 1..T"),
            Column("quantity", "int", None, unit="units",
                   doc="added to the end-of-period stock (negative: a loss), e.g. a stock count"),
        ),
        key=("site", "part", "period"), doc="stock corrections (absent = none)",
        unknown_columns="error", optional=True,
    ),
)
SPECS = SPECS + DISRUPTION_SPECS
SPEC_BY_NAME = {s.name: s for s in SPECS}

SCALAR_SPECS: tuple[ScalarSpec, ...] = (
    ScalarSpec("name", "str", unit="text", doc="label of the instance (default: the folder or workbook name)"),
    ScalarSpec("horizon", "int", minimum=1, maximum=10_000, required=True, unit="periods",
               doc="number of periods T (at most 10,000: the model grows with orders x sites x T)"),
    ScalarSpec("replenishment", "choice", choices=REPLENISHMENT_MODES, default="sS", unit="mode",
               doc="(s,S) purchasing, or free purchases; the command line's --replenishment overrides it"),
)


@dataclass
class OffloadInstance:
    """Input of the offload model. Arrays are indexed by position in the id lists.

    ``eligible[i, j]`` is False where ``order_sites`` has no row for (order i, site j):
    the order cannot be made there. ``lane[j, k]`` is True where parts may be shipped
    from site j to site k, taking ``transshipment_time[j, k]`` periods and costing
    ``lane_fixed_cost[j, k]`` in every period in which anything is shipped.
    """

    sites: list[str]
    parts: list[str]
    product_types: list[str]
    orders: list[str]
    horizon: int
    replenishment: str
    stations: np.ndarray  # [J]
    type_capacity: np.ndarray  # [J, V]
    unit_cost: np.ndarray  # [N]
    holding_cost: np.ndarray  # [N]
    initial_stock: np.ndarray  # [J, N]
    storage_capacity: np.ndarray  # [J, N]
    reorder_point: np.ndarray  # [J, N]
    order_up_to: np.ndarray  # [J, N]
    purchase_limit: np.ndarray  # [J, N]
    order_type: np.ndarray  # [I] index into product_types
    due: np.ndarray  # [I]
    initial_site: np.ndarray  # [I] index into sites
    parts_required: np.ndarray  # [I, N]
    eligible: np.ndarray  # [I, J] bool
    processing_time: np.ndarray  # [I, J]
    shipping_time: np.ndarray  # [I, J]
    processing_cost: np.ndarray  # [I, J]
    shipping_cost: np.ndarray  # [I, J]
    lane: np.ndarray  # [J, J] bool
    transshipment_time: np.ndarray  # [J, J]
    lane_fixed_cost: np.ndarray  # [J, J]
    name: str = "offload"
    # what changes over time (DISRUPTION_SPECS); None = nothing does
    stations_lost: np.ndarray | None = None  # [J, T]
    period_purchase_limit: np.ndarray | None = None  # [J, N, T]; -1 = site_parts' limit
    lane_closed: np.ndarray | None = None  # [J, J, T] bool: nothing departs
    stock_adjustment: np.ndarray | None = None  # [J, N, T]: added to the end-of-period stock

    def stations_by_period(self) -> np.ndarray:
        """L_jt = L_j - stations lost in period t, ``[J, T]``."""
        base = np.repeat(self.stations[:, None], self.horizon, axis=1)
        return base if self.stations_lost is None else base - self.stations_lost

    def purchase_limit_by_period(self) -> np.ndarray:
        """The purchase limit of site j, part n in period t, ``[J, N, T]``."""
        base = np.repeat(self.purchase_limit[:, :, None], self.horizon, axis=2)
        if self.period_purchase_limit is None:
            return base
        return np.where(self.period_purchase_limit >= 0, self.period_purchase_limit, base)

    def lane_open_by_period(self) -> np.ndarray:
        """``[J, J, T]`` bool: lane (j, k) exists and parts may depart on it in period t."""
        base = np.repeat(self.lane[:, :, None], self.horizon, axis=2)
        return base if self.lane_closed is None else base & ~self.lane_closed

    def adjustment_by_period(self) -> np.ndarray:
        """a_jnt, added to the end-of-period stock, ``[J, N, T]``."""
        if self.stock_adjustment is None:
            return np.zeros((self.num_sites, self.num_parts, self.horizon), dtype=np.int64)
        return self.stock_adjustment

    @property
    def num_orders(self) -> int:
        return len(self.orders)

    @property
    def num_sites(self) -> int:
        return len(self.sites)

    @property
    def num_parts(self) -> int:
        return len(self.parts)

    def last_start(self) -> np.ndarray:
        """Latest start period of order i at site j so that it completes by its due
        period: ``due_i - PT_ij - ST_ij + 1`` (0 or less: impossible; -1 if ineligible)."""
        last = self.due[:, None] - self.processing_time - self.shipping_time + 1
        last = np.minimum(last, self.horizon - self.processing_time + 1)
        return np.where(self.eligible, last, -1)

    def lanes_list(self) -> tuple[np.ndarray, np.ndarray]:
        """(from, to) site indices of every lane, in row-major order."""
        src, dst = np.nonzero(self.lane)
        return src, dst

    def checksum(self) -> str:
        return frames_checksum(self.to_frames(), f"{self.horizon}|{self.replenishment}")

    # ------------------------------------------------------------------ tables
    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The instance as the tables of ``SPECS``."""
        J, N, V = self.num_sites, self.num_parts, len(self.product_types)
        sites = np.array(self.sites, dtype=object)
        parts = np.array(self.parts, dtype=object)
        types = np.array(self.product_types, dtype=object)
        orders = np.array(self.orders, dtype=object)
        jj, vv = np.meshgrid(np.arange(J), np.arange(V), indexing="ij")
        sj, sn = np.meshgrid(np.arange(J), np.arange(N), indexing="ij")
        oi, on = np.nonzero(self.parts_required)
        ei, ej = np.nonzero(self.eligible)
        lf, lt = self.lanes_list()
        return {
            "sites": pd.DataFrame({"site": sites, "stations": self.stations}),
            "product_capacity": pd.DataFrame(
                {"site": sites[jj.ravel()], "product_type": types[vv.ravel()],
                 "capacity": self.type_capacity.ravel()}
            ),
            "parts": pd.DataFrame(
                {"part": parts, "unit_cost": self.unit_cost, "holding_cost": self.holding_cost}
            ),
            "site_parts": pd.DataFrame(
                {
                    "site": sites[sj.ravel()],
                    "part": parts[sn.ravel()],
                    "initial_stock": self.initial_stock.ravel(),
                    "storage_capacity": self.storage_capacity.ravel(),
                    "reorder_point": self.reorder_point.ravel(),
                    "order_up_to": self.order_up_to.ravel(),
                    "purchase_limit": self.purchase_limit.ravel(),
                }
            ),
            "orders": pd.DataFrame(
                {"order": orders, "product_type": types[self.order_type],
                 "due_period": self.due, "initial_site": sites[self.initial_site]}
            ),
            "order_parts": pd.DataFrame(
                {"order": orders[oi], "part": parts[on], "quantity": self.parts_required[oi, on]}
            ),
            "order_sites": pd.DataFrame(
                {
                    "order": orders[ei],
                    "site": sites[ej],
                    "processing_time": self.processing_time[ei, ej],
                    "shipping_time": self.shipping_time[ei, ej],
                    "processing_cost": self.processing_cost[ei, ej],
                    "shipping_cost": self.shipping_cost[ei, ej],
                }
            ),
            "lanes": pd.DataFrame(
                {"from_site": sites[lf], "to_site": sites[lt],
                 "transshipment_time": self.transshipment_time[lf, lt],
                 "fixed_cost": self.lane_fixed_cost[lf, lt]}
            ),
            **self._disruption_frames(),
        }

    def _disruption_frames(self) -> dict[str, pd.DataFrame]:
        """The tables of :data:`DISRUPTION_SPECS` that have rows."""
        sites, parts = np.array(self.sites, dtype=object), np.array(self.parts, dtype=object)
        out: dict[str, pd.DataFrame] = {}
        if self.stations_lost is not None and self.stations_lost.any():
            j, t = np.nonzero(self.stations_lost)
            out["site_downtime"] = pd.DataFrame({"site": sites[j], "period": t + 1,
                                                 "stations_lost": self.stations_lost[j, t]})
        if self.period_purchase_limit is not None and (self.period_purchase_limit >= 0).any():
            j, n, t = np.nonzero(self.period_purchase_limit >= 0)
            out["purchase_limits"] = pd.DataFrame({"site": sites[j], "part": parts[n], "period": t + 1,
                                                   "purchase_limit": self.period_purchase_limit[j, n, t]})
        if self.lane_closed is not None and self.lane_closed.any():
            j, k, t = np.nonzero(self.lane_closed)
            out["lane_closures"] = pd.DataFrame({"from_site": sites[j], "to_site": sites[k], "period": t + 1})
        if self.stock_adjustment is not None and self.stock_adjustment.any():
            j, n, t = np.nonzero(self.stock_adjustment)
            out["stock_adjustments"] = pd.DataFrame({"site": sites[j], "part": parts[n], "period": t + 1,
                                                     "quantity": self.stock_adjustment[j, n, t]})
        return out

    def save(self, path: str | Path) -> None:
        """Write the instance as a folder of CSVs + ``instance.yaml`` (or an ``.xlsx``)."""
        save_tables(
            path, self.to_frames(),
            {"name": self.name, "horizon": int(self.horizon), "replenishment": self.replenishment},
        )


# ---------------------------------------------------------------------- loading


def load(path: str | Path) -> OffloadInstance:
    """Load and validate an instance from a CSV folder or an Excel workbook.

    Raises :class:`InputErrors` listing every defect (file, row, column, message): every
    unreadable file, bad cell and bad setting together, then the cross-table rules.
    """
    return load_instance(path, SPECS, lambda values, source: check_scalars(values, SCALAR_SPECS, source), from_tables)


def from_frames(frames: dict[str, pd.DataFrame], horizon: int, replenishment: str = "sS",
                name: str = "offload") -> OffloadInstance:
    """Build and validate an instance from pandas frames (the Python API)."""
    tables = tables_from_frames(frames, SPECS)
    return from_tables(
        tables, {"horizon": horizon, "replenishment": replenishment}, "instance.yaml", name=name
    )


def _settings(scalars: Mapping[str, object] | None, source: str) -> tuple[dict[str, object], list[InputError]]:
    """``scalars`` checked against :data:`SCALAR_SPECS`."""
    return check_scalars(scalars, SCALAR_SPECS, source)


def from_tables(
    tables: dict[str, Table], scalars: Mapping[str, object] | None, scalar_source: str, name: str = "offload"
) -> OffloadInstance:
    """Cross-table validation and assembly into arrays. Every defect is collected; a bad
    setting skips only the rules that need it."""
    err = ErrorCollector()
    settings, errors = _settings(scalars, scalar_source)
    err.extend(errors)
    horizon = settings["horizon"]
    horizon_ok = isinstance(horizon, int)
    replenishment = str(settings["replenishment"])

    t_sites, t_cap, t_parts = tables["sites"], tables["product_capacity"], tables["parts"]
    t_sp, t_orders = tables["site_parts"], tables["orders"]
    t_op, t_os, t_lanes = tables["order_parts"], tables["order_sites"], tables["lanes"]
    sites = t_sites.frame["site"].tolist()
    parts = t_parts.frame["part"].tolist()
    orders = t_orders.frame["order"].tolist()
    types = list(dict.fromkeys(t_cap.frame["product_type"].tolist()))
    J, N, V, I = len(sites), len(parts), len(types), len(orders)
    for table, what in ((t_sites, "site"), (t_parts, "part"), (t_orders, "order")):
        if len(table.frame) == 0:
            err.errors.append(table.error(None, None, f"no {what}s given"))

    # unknown ids
    err.extend(check_references(t_cap, "site", sites, "site"))
    err.extend(check_references(t_sp, "site", sites, "site"))
    err.extend(check_references(t_sp, "part", parts, "part"))
    err.extend(check_references(t_orders, "product_type", types, "product type (not in product_capacity.csv)"))
    err.extend(check_references(t_orders, "initial_site", sites, "site"))
    err.extend(check_references(t_op, "order", orders, "order"))
    err.extend(check_references(t_op, "part", parts, "part"))
    err.extend(check_references(t_os, "order", orders, "order"))
    err.extend(check_references(t_os, "site", sites, "site"))
    err.extend(check_references(t_lanes, "from_site", sites, "site"))
    err.extend(check_references(t_lanes, "to_site", sites, "site"))
    # per-row rules do not need the ids, so they are reported together with unknown ids

    # per-row rules
    f = t_sp.frame
    for idx in np.flatnonzero((f["reorder_point"] > f["order_up_to"]).to_numpy()):
        err.errors.append(t_sp.error(int(idx), "reorder_point",
                                     f"s = {f['reorder_point'].iloc[idx]} exceeds S = {f['order_up_to'].iloc[idx]}"))
    for idx in np.flatnonzero((f["order_up_to"] > f["storage_capacity"]).to_numpy()):
        S, cap = f["order_up_to"].iloc[idx], f["storage_capacity"].iloc[idx]
        err.errors.append(t_sp.error(int(idx), "order_up_to", f"S = {S} exceeds storage capacity {cap}"))
    for idx in np.flatnonzero((f["initial_stock"] > f["storage_capacity"]).to_numpy()):
        b0, cap = f["initial_stock"].iloc[idx], f["storage_capacity"].iloc[idx]
        err.errors.append(t_sp.error(int(idx), "initial_stock", f"initial stock {b0} exceeds storage capacity {cap}"))
    fo = t_orders.frame
    for idx in np.flatnonzero((fo["due_period"] > horizon).to_numpy() if horizon_ok else []):
        due = fo["due_period"].iloc[idx]
        message = f"due period {due} is beyond the horizon T = {horizon}"
        err.errors.append(t_orders.error(int(idx), "due_period", message))
    fl = t_lanes.frame
    for idx in np.flatnonzero((fl["from_site"] == fl["to_site"]).to_numpy()):
        err.errors.append(t_lanes.error(int(idx), "to_site", "a lane must join two different sites"))
    err.raise_if_any()

    # completeness of site x type and site x part tables
    jv = set(zip(t_cap.frame["site"], t_cap.frame["product_type"], strict=True))
    for s in sites:
        for v in types:
            if (s, v) not in jv:
                err.errors.append(t_cap.error(None, "capacity", f"no row for site '{s}', product type '{v}'"))
    jn = set(zip(t_sp.frame["site"], t_sp.frame["part"], strict=True))
    for s in sites:
        for p in parts:
            if (s, p) not in jn:
                err.errors.append(t_sp.error(None, "site", f"no row for site '{s}', part '{p}'"))
    err.raise_if_any()

    # assemble arrays
    stations = t_sites.frame["stations"].to_numpy(np.int64)
    type_capacity = np.zeros((J, V), dtype=np.int64)
    type_capacity[index_of(t_cap.frame["site"], sites), index_of(t_cap.frame["product_type"], types)] = \
        t_cap.frame["capacity"].to_numpy()
    jx, nx = index_of(f["site"], sites), index_of(f["part"], parts)

    def site_part(col: str) -> np.ndarray:
        out = np.zeros((J, N), dtype=np.int64)
        out[jx, nx] = f[col].to_numpy()
        return out

    parts_required = np.zeros((I, N), dtype=np.int64)
    parts_required[index_of(t_op.frame["order"], orders), index_of(t_op.frame["part"], parts)] = \
        t_op.frame["quantity"].to_numpy()
    oi, oj = index_of(t_os.frame["order"], orders), index_of(t_os.frame["site"], sites)
    eligible = np.zeros((I, J), dtype=bool)
    eligible[oi, oj] = True

    def order_site(col: str, dtype: type) -> np.ndarray:
        out = np.zeros((I, J), dtype=dtype)
        out[oi, oj] = t_os.frame[col].to_numpy()
        return out

    lane = np.zeros((J, J), dtype=bool)
    lf, lt = index_of(fl["from_site"], sites), index_of(fl["to_site"], sites)
    lane[lf, lt] = True
    transshipment_time = np.zeros((J, J), dtype=np.int64)
    transshipment_time[lf, lt] = fl["transshipment_time"].to_numpy()
    lane_fixed_cost = np.zeros((J, J))
    lane_fixed_cost[lf, lt] = fl["fixed_cost"].to_numpy()

    assert isinstance(horizon, int)
    disruptions = _disruptions(tables, sites, parts, horizon, stations, lane, err)
    err.raise_if_any()
    inst = OffloadInstance(
        sites=sites, parts=parts, product_types=types, orders=orders, horizon=horizon,
        replenishment=replenishment, stations=stations, type_capacity=type_capacity,
        unit_cost=t_parts.frame["unit_cost"].to_numpy(float),
        holding_cost=t_parts.frame["holding_cost"].to_numpy(float),
        initial_stock=site_part("initial_stock"), storage_capacity=site_part("storage_capacity"),
        reorder_point=site_part("reorder_point"), order_up_to=site_part("order_up_to"),
        purchase_limit=site_part("purchase_limit"),
        order_type=index_of(fo["product_type"], types), due=fo["due_period"].to_numpy(np.int64),
        initial_site=index_of(fo["initial_site"], sites), parts_required=parts_required,
        eligible=eligible, processing_time=order_site("processing_time", np.int64),
        shipping_time=order_site("shipping_time", np.int64),
        processing_cost=order_site("processing_cost", float),
        shipping_cost=order_site("shipping_cost", float),
        lane=lane, transshipment_time=transshipment_time, lane_fixed_cost=lane_fixed_cost, name=name,
        **disruptions,
    )

    # orders that cannot be made in time anywhere / not at their initial site
    last = inst.last_start()
    impossible = ~(last >= 1).any(axis=1)
    for i in np.flatnonzero(impossible):
        if not eligible[i].any():
            err.errors.append(
                t_orders.error(int(i), "order", "no row in order_sites.csv: the order cannot be made anywhere")
            )
            continue
        need = (inst.processing_time[i] + inst.shipping_time[i])[eligible[i]].min()
        err.errors.append(t_orders.error(
            int(i), "due_period",
            f"order '{orders[i]}' cannot complete by period {inst.due[i]} at any site "
            f"(fastest processing + shipping takes {need} periods)"))
    for i in np.flatnonzero(~eligible[np.arange(I), np.maximum(inst.initial_site, 0)]):
        site = sites[inst.initial_site[i]]
        err.errors.append(
            t_orders.error(int(i), "initial_site", f"initial site '{site}' has no order_sites.csv row for this order")
        )
    err.raise_if_any()
    return inst


def _disruptions(tables: Mapping[str, Table], sites: list[str], parts: list[str], horizon: int,
                 stations: np.ndarray, lane: np.ndarray, err: ErrorCollector) -> dict[str, np.ndarray | None]:
    """The arrays of :data:`DISRUPTION_SPECS` (None for an empty table), every defect named by
    file, row and column: unknown ids, periods outside 1..T, more stations lost than the site
    has, a closure of a lane that does not exist."""
    J, N, T = len(sites), len(parts), horizon
    out: dict[str, np.ndarray | None] = {"stations_lost": None, "period_purchase_limit": None,
                                         "lane_closed": None, "stock_adjustment": None}
    present = {name: tables[name] for name in ("site_downtime", "purchase_limits", "lane_closures",
                                               "stock_adjustments") if name in tables and len(tables[name].frame)}
    before = len(err.errors)
    for table in present.values():
        for column in ("site", "from_site", "to_site"):
            if column in table.frame:
                err.extend(check_references(table, column, sites, "site"))
        if "part" in table.frame:
            err.extend(check_references(table, "part", parts, "part"))
        for idx in np.flatnonzero((table.frame["period"] > T).to_numpy()):
            err.errors.append(table.error(int(idx), "period", f"period {table.frame['period'].iloc[idx]} is beyond "
                                                              f"the horizon T = {T}"))
    if len(err.errors) > before:
        return out
    if "site_downtime" in present:
        t = present["site_downtime"]
        j, period = index_of(t.frame["site"], sites), t.frame["period"].to_numpy(np.int64)
        lost = t.frame["stations_lost"].to_numpy(np.int64)
        for idx in np.flatnonzero(lost > stations[j]):
            err.errors.append(t.error(int(idx), "stations_lost", f"{lost[idx]} stations lost, but site "
                                                                 f"'{sites[j[idx]]}' has {stations[j[idx]]}"))
        arr = np.zeros((J, T), dtype=np.int64)
        arr[j, period - 1] = lost
        out["stations_lost"] = arr
    if "purchase_limits" in present:
        t = present["purchase_limits"]
        arr = np.full((J, N, T), -1, dtype=np.int64)
        arr[index_of(t.frame["site"], sites), index_of(t.frame["part"], parts), t.frame["period"].to_numpy(np.int64)
            - 1] = t.frame["purchase_limit"].to_numpy(np.int64)
        out["period_purchase_limit"] = arr
    if "lane_closures" in present:
        t = present["lane_closures"]
        j, k = index_of(t.frame["from_site"], sites), index_of(t.frame["to_site"], sites)
        for idx in np.flatnonzero(~lane[j, k]):
            err.errors.append(t.error(int(idx), "to_site", f"no lane {sites[j[idx]]} -> {sites[k[idx]]} in lanes.csv"))
        arr = np.zeros((J, J, T), dtype=bool)
        arr[j, k, t.frame["period"].to_numpy(np.int64) - 1] = True
        out["lane_closed"] = arr
    if "stock_adjustments" in present:
        t = present["stock_adjustments"]
        arr = np.zeros((J, N, T), dtype=np.int64)
        arr[index_of(t.frame["site"], sites), index_of(t.frame["part"], parts), t.frame["period"].to_numpy(np.int64)
            - 1] = t.frame["quantity"].to_numpy(np.int64)
        out["stock_adjustment"] = arr
    return out
