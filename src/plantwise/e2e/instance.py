"""End-to-end planning instances (document 001): plants, lines, SKUs, DCs, demand, lanes.

Tables (one CSV per entity, or one sheet each in an ``.xlsx`` workbook) and their units
are documented in ``docs/models/e2e.md``. Days are integers ``1..T``.

Index sets, all precomputed here once (never rebuilt inside a model):

* ``K`` line-SKU pairs (``line_skus.csv``): what each line may make, at which rate;
* ``A`` plant-SKU positions (``plant_skus.csv``): stock points at plants;
* ``B`` DC-SKU positions (``dc_skus.csv``): stock points at DCs, where demand occurs;
* shipment arcs: (plant position, DC position) pairs joined by a ``dc_lanes.csv`` lane;
* transfer arcs: (plant position, plant position) pairs joined by a transfer lane.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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

MINIMUM_SHARE = 0.9  # minimum inventory defaults to 0.9 x target (document 001, Eq. 4)

SPECS: tuple[TableSpec, ...] = (
    TableSpec("plants", (Column("plant", "str", unit="id", doc="a plant"),), key=("plant",),
              unknown_columns="error"),
    TableSpec(
        "lines",
        (
            Column("line", "str", unit="id", doc="a production line"),
            Column("plant", "str", unit="id", doc="plant the line belongs to"),
            Column("hours_per_day", "float", 0, unit="h/day", doc="available hours on a normal day H"),
        ),
        key=("line",),
        unknown_columns="error",
    ),
    TableSpec(
        "line_calendar",
        (
            Column("line", "str", unit="id", doc="a line of lines.csv"),
            Column("day", "int", 1, unit="day", doc="a day 1..T"),
            Column("hours", "float", 0, unit="h", doc="available hours that day (maintenance, downtime)"),
        ),
        key=("line", "day"),
        doc="overrides of hours_per_day; may be empty",
        unknown_columns="error",
    ),
    TableSpec(
        "skus",
        (
            Column("sku", "str", unit="id", doc="a SKU"),
            Column("product_type", "str", required=False, default="", unit="text", doc="product type (informative)"),
            Column("holding_cost", "float", 0, required=False, default=0.0, unit="currency/unit/day",
                   doc="on end-of-day stock"),
        ),
        key=("sku",),
        unknown_columns="error",
    ),
    TableSpec(
        "line_skus",
        (
            Column("line", "str", unit="id", doc="a line of lines.csv"),
            Column("sku", "str", unit="id", doc="a SKU the line can make (its plant must stock it)"),
            Column("rate", "float", 1e-9, unit="units/h", doc="production rate r"),
            Column("moq", "float", 0, required=False, default=0.0, unit="units", doc="minimum lot when producing"),
            Column("setup_hours", "float", 0, required=False, default=0.0, unit="h", doc="per day produced"),
            Column("setup_cost", "float", 0, required=False, default=0.0, unit="currency", doc="per day produced"),
        ),
        key=("line", "sku"),
        unknown_columns="error",
    ),
    TableSpec(
        "plant_skus",
        (
            Column("plant", "str", unit="id", doc="a plant of plants.csv"),
            Column("sku", "str", unit="id", doc="a SKU stocked at the plant"),
            Column("initial_inventory", "float", 0, required=False, default=0.0, unit="units",
                   doc="stock before day 1"),
            Column("target", "float", 0, required=False, default=0.0, unit="units", doc="target inventory"),
            Column("minimum", "float", 0, required=False, unit="units",
                   doc="minimum inventory, at most target; blank = 0.9 x target"),
        ),
        key=("plant", "sku"),
        unknown_columns="error",
    ),
    TableSpec(
        "dcs",
        (Column("dc", "str", unit="id", doc="a distribution centre"),
         Column("plant", "str", unit="id", doc="serving plant")),
        key=("dc",),
        unknown_columns="error",
    ),
    TableSpec(
        "dc_skus",
        (
            Column("dc", "str", unit="id", doc="a DC of dcs.csv"),
            Column("sku", "str", unit="id", doc="a SKU stocked at the DC"),
            Column("initial_inventory", "float", 0, required=False, default=0.0, unit="units",
                   doc="stock before day 1"),
            Column("target", "float", 0, required=False, default=0.0, unit="units", doc="target inventory"),
            Column("minimum", "float", 0, required=False, unit="units",
                   doc="minimum inventory, at most target; blank = 0.9 x target"),
        ),
        key=("dc", "sku"),
        unknown_columns="error",
    ),
    TableSpec(
        "demand",
        (
            Column("dc", "str", unit="id", doc="a DC of dcs.csv"),
            Column("sku", "str", unit="id", doc="a SKU with a dc_skus.csv row for the DC"),
            Column("day", "int", 1, unit="day", doc="a day 1..T"),
            Column("quantity", "float", 0, unit="units", doc="demand that day"),
        ),
        key=("dc", "sku", "day"),
        unknown_columns="error",
    ),
    TableSpec(
        "dc_lanes",
        (
            Column("plant", "str", unit="id", doc="shipping plant"),
            Column("dc", "str", unit="id", doc="receiving DC"),
            Column("cost_per_unit", "float", 0, unit="currency/unit", doc="shipping cost"),
            Column("lead_time", "int", 0, unit="days", doc="days in transit"),
        ),
        key=("plant", "dc"),
        unknown_columns="error",
    ),
    TableSpec(
        "transfer_lanes",
        (
            Column("from_plant", "str", unit="id", doc="shipping plant"),
            Column("to_plant", "str", unit="id", doc="receiving plant, another plant"),
            Column("cost_per_unit", "float", 0, unit="currency/unit", doc="transfer cost"),
            Column("lead_time", "int", 0, unit="days", doc="days in transit"),
        ),
        key=("from_plant", "to_plant"),
        doc="may be empty",
        unknown_columns="error",
    ),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}

PENALTY_KEYS = ("over_target", "under_target", "under_minimum", "stockout")
DEFAULT_PENALTIES = {"over_target": 1.0, "under_target": 10.0, "under_minimum": 100.0, "stockout": 1500.0}
PENALTY_DOCS = {"over_target": "inventory over its target", "under_target": "inventory under its target",
                "under_minimum": "inventory under its minimum (in addition to under_target)",
                "stockout": "DC demand not met on its day (backlog)"}

SCALAR_SPECS: tuple[ScalarSpec, ...] = (
    ScalarSpec("name", "str", unit="text", doc="label of the instance (default: the folder or workbook name)"),
    ScalarSpec("horizon", "int", minimum=1, maximum=3_660, required=True, unit="days",
               doc="days T (at most 3,660: ten years of days)"),
    ScalarSpec("allow_stockout", "bool", default=True, unit="true/false",
               doc="true: unmet DC demand is backlogged and penalised; false: every demand must be met from stock"),
    ScalarSpec("penalties", "mapping", unit="", doc="penalties per unit and day", item="penalty", fields=tuple(
        ScalarSpec(key, "float", minimum=0, default=DEFAULT_PENALTIES[key], unit="currency/unit/day",
                   doc=PENALTY_DOCS[key]) for key in PENALTY_KEYS)),
)


@dataclass
class Penalties:
    """Penalties per unit and day: inventory over target, under target, under minimum
    (in addition to under target), and DC stockout (backlog)."""

    over_target: float = 1.0
    under_target: float = 10.0
    under_minimum: float = 100.0
    stockout: float = 1500.0

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in PENALTY_KEYS}


@dataclass
class E2EInstance:
    """Input of the production + distribution model; arrays indexed by position.

    Line-SKU pairs ``k``: ``pair_line[k]``, ``pair_sku[k]``, ``rate[k]`` (units/h),
    ``moq[k]``, ``setup_hours[k]``, ``setup_cost[k]``; ``pair_position[k]`` is the plant
    position (plant-SKU) that receives the output. ``hours[l, t]`` are the available
    hours of line ``l`` on day ``t+1`` after the calendar. Plant positions ``a`` and DC
    positions ``b`` carry initial inventory, target and minimum; ``demand[b, t]``.
    """

    name: str
    horizon: int
    plants: list[str]
    lines: list[str]
    skus: list[str]
    dcs: list[str]
    line_plant: np.ndarray  # [L]
    hours_per_day: np.ndarray  # [L]
    hours: np.ndarray  # [L, T]
    product_type: list[str]  # [S]
    holding_cost: np.ndarray  # [S]
    pair_line: np.ndarray  # [K]
    pair_sku: np.ndarray  # [K]
    rate: np.ndarray  # [K]
    moq: np.ndarray  # [K]
    setup_hours: np.ndarray  # [K]
    setup_cost: np.ndarray  # [K]
    plant_pos_plant: np.ndarray  # [A]
    plant_pos_sku: np.ndarray  # [A]
    plant_initial: np.ndarray  # [A]
    plant_target: np.ndarray  # [A]
    plant_minimum: np.ndarray  # [A]
    dc_plant: np.ndarray  # [D] serving plant
    dc_pos_dc: np.ndarray  # [B]
    dc_pos_sku: np.ndarray  # [B]
    dc_initial: np.ndarray  # [B]
    dc_target: np.ndarray  # [B]
    dc_minimum: np.ndarray  # [B]
    demand: np.ndarray  # [B, T]
    lane_plant: np.ndarray  # [R] dc lanes
    lane_dc: np.ndarray  # [R]
    lane_cost: np.ndarray  # [R]
    lane_lead: np.ndarray  # [R]
    transfer_from: np.ndarray  # [Q] plant index
    transfer_to: np.ndarray  # [Q]
    transfer_cost: np.ndarray  # [Q]
    transfer_lead: np.ndarray  # [Q]
    penalties: Penalties = field(default_factory=Penalties)
    allow_stockout: bool = True
    # derived index sets (filled by __post_init__)
    pair_position: np.ndarray = field(init=False)
    ship_from: np.ndarray = field(init=False)  # [E] plant position
    ship_to: np.ndarray = field(init=False)  # [E] dc position
    ship_lane: np.ndarray = field(init=False)  # [E] lane index
    move_from: np.ndarray = field(init=False)  # [F] plant position
    move_to: np.ndarray = field(init=False)  # [F] plant position
    move_lane: np.ndarray = field(init=False)  # [F] transfer lane index
    # defects that do not stop a plan but a planner must see (not part of the checksum)
    warnings: list[InputError] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        S = len(self.skus)
        P = len(self.plants)
        pos_of = np.full((P, S), -1, dtype=np.int64)
        pos_of[self.plant_pos_plant, self.plant_pos_sku] = np.arange(len(self.plant_pos_plant))
        self.position_index = pos_of
        self.pair_position = pos_of[self.line_plant[self.pair_line], self.pair_sku]
        # shipment arcs: every DC position x every lane into its DC whose plant stocks the SKU
        dpos = pd.DataFrame({"b": np.arange(len(self.dc_pos_dc)), "dc": self.dc_pos_dc, "sku": self.dc_pos_sku})
        lanes = pd.DataFrame({"lane": np.arange(len(self.lane_dc)), "dc": self.lane_dc, "plant": self.lane_plant})
        arcs = dpos.merge(lanes, on="dc").sort_values(["b", "lane"], kind="stable")
        a = pos_of[arcs["plant"].to_numpy(np.int64), arcs["sku"].to_numpy(np.int64)] if len(arcs) else np.zeros(0, int)
        keep = a >= 0
        self.ship_from = a[keep].astype(np.int64)
        self.ship_to = arcs["b"].to_numpy(np.int64)[keep]
        self.ship_lane = arcs["lane"].to_numpy(np.int64)[keep]
        # transfer arcs: every plant position x every transfer lane out of its plant, if the
        # receiving plant stocks the SKU too
        ppos = pd.DataFrame({"a": np.arange(len(self.plant_pos_plant)), "plant": self.plant_pos_plant,
                             "sku": self.plant_pos_sku})
        tl = pd.DataFrame({"lane": np.arange(len(self.transfer_from)), "plant": self.transfer_from,
                           "to": self.transfer_to})
        moves = ppos.merge(tl, on="plant").sort_values(["a", "lane"], kind="stable")
        dest = pos_of[moves["to"].to_numpy(np.int64), moves["sku"].to_numpy(np.int64)] if len(moves) else \
            np.zeros(0, int)
        keep = dest >= 0
        self.move_from = moves["a"].to_numpy(np.int64)[keep]
        self.move_to = dest[keep].astype(np.int64)
        self.move_lane = moves["lane"].to_numpy(np.int64)[keep]

    # ----------------------------------------------------------------- sizes
    @property
    def num_pairs(self) -> int:
        return len(self.pair_line)

    @property
    def num_plant_positions(self) -> int:
        return len(self.plant_pos_plant)

    @property
    def num_dc_positions(self) -> int:
        return len(self.dc_pos_dc)

    @property
    def ship_lead(self) -> np.ndarray:
        return self.lane_lead[self.ship_lane]

    @property
    def ship_cost(self) -> np.ndarray:
        return self.lane_cost[self.ship_lane]

    @property
    def move_lead(self) -> np.ndarray:
        return self.transfer_lead[self.move_lane]

    @property
    def move_cost(self) -> np.ndarray:
        return self.transfer_cost[self.move_lane]

    def pair_capacity(self) -> np.ndarray:
        """Most units pair ``k`` can make on day ``t``: ``r_k (H_lt - setup_hours_k)^+``, [K, T]."""
        hours = self.hours[self.pair_line] - self.setup_hours[:, None]
        return self.rate[:, None] * np.maximum(hours, 0.0)

    def checksum(self) -> str:
        return frames_checksum(self.to_frames(), repr((self.horizon, self.penalties.as_dict(), self.allow_stockout)))

    def describe(self) -> str:
        return (f"{self.name}: {len(self.plants)} plants, {len(self.lines)} lines, {len(self.skus)} SKUs, "
                f"{len(self.dcs)} DCs, {self.horizon} days, {self.num_pairs} line-SKU pairs, "
                f"{self.num_dc_positions} DC-SKU positions, demand {self.demand.sum():,.0f} units")

    # ----------------------------------------------------------------- tables
    def to_frames(self) -> dict[str, pd.DataFrame]:
        plants = np.array(self.plants, dtype=object)
        lines = np.array(self.lines, dtype=object)
        skus = np.array(self.skus, dtype=object)
        dcs = np.array(self.dcs, dtype=object)
        cal_l, cal_t = np.nonzero(~np.isclose(self.hours, self.hours_per_day[:, None]))
        dem_b, dem_t = np.nonzero(self.demand)
        return {
            "plants": pd.DataFrame({"plant": plants}),
            "lines": pd.DataFrame({"line": lines, "plant": plants[self.line_plant],
                                   "hours_per_day": self.hours_per_day}),
            "line_calendar": pd.DataFrame({"line": lines[cal_l], "day": cal_t + 1,
                                           "hours": self.hours[cal_l, cal_t]}),
            "skus": pd.DataFrame({"sku": skus, "product_type": self.product_type,
                                  "holding_cost": self.holding_cost}),
            "line_skus": pd.DataFrame({"line": lines[self.pair_line], "sku": skus[self.pair_sku], "rate": self.rate,
                                       "moq": self.moq, "setup_hours": self.setup_hours,
                                       "setup_cost": self.setup_cost}),
            "plant_skus": pd.DataFrame({"plant": plants[self.plant_pos_plant], "sku": skus[self.plant_pos_sku],
                                        "initial_inventory": self.plant_initial, "target": self.plant_target,
                                        "minimum": self.plant_minimum}),
            "dcs": pd.DataFrame({"dc": dcs, "plant": plants[self.dc_plant]}),
            "dc_skus": pd.DataFrame({"dc": dcs[self.dc_pos_dc], "sku": skus[self.dc_pos_sku],
                                     "initial_inventory": self.dc_initial, "target": self.dc_target,
                                     "minimum": self.dc_minimum}),
            "demand": pd.DataFrame({"dc": dcs[self.dc_pos_dc[dem_b]], "sku": skus[self.dc_pos_sku[dem_b]],
                                    "day": dem_t + 1, "quantity": self.demand[dem_b, dem_t]}),
            "dc_lanes": pd.DataFrame({"plant": plants[self.lane_plant], "dc": dcs[self.lane_dc],
                                      "cost_per_unit": self.lane_cost, "lead_time": self.lane_lead}),
            "transfer_lanes": pd.DataFrame({"from_plant": plants[self.transfer_from],
                                            "to_plant": plants[self.transfer_to],
                                            "cost_per_unit": self.transfer_cost,
                                            "lead_time": self.transfer_lead}),
        }

    def scalars(self) -> dict[str, object]:
        return {"name": self.name, "horizon": int(self.horizon), "allow_stockout": bool(self.allow_stockout),
                "penalties": self.penalties.as_dict()}

    def save(self, path: str | Path) -> None:
        """Write the instance as a folder of CSVs + ``instance.yaml`` (or an ``.xlsx``)."""
        save_tables(path, self.to_frames(), self.scalars())


# ---------------------------------------------------------------------- loading


def load(path: str | Path) -> E2EInstance:
    """Load and validate an instance from a CSV folder or an Excel workbook.

    Raises :class:`InputErrors` listing every defect (file, row, column, message): every
    unreadable file, bad cell and bad setting together, then the cross-table rules.
    """
    return load_instance(path, SPECS, lambda values, source: check_scalars(values, SCALAR_SPECS, source), from_tables)


def from_frames(frames: dict[str, pd.DataFrame], scalars: dict[str, object]) -> E2EInstance:
    """Build and validate an instance from pandas frames and a scalars mapping (Python API)."""
    name = str(scalars.get("name") or "e2e")
    return from_tables(tables_from_frames(frames, SPECS), scalars, "instance.yaml", name=name)


def _scalars(scalars: Mapping[str, object] | None, source: str
             ) -> tuple[int | None, Penalties, bool, list[InputError]]:
    """Horizon (None if invalid), penalties and ``allow_stockout``, checked against :data:`SCALAR_SPECS`."""
    settings, errors = check_scalars(scalars, SCALAR_SPECS, source)
    penalties: dict[str, float] = settings["penalties"]  # type: ignore[assignment]
    horizon = settings["horizon"]
    return (horizon if isinstance(horizon, int) else None, Penalties(**penalties),
            bool(settings["allow_stockout"]), errors)


def from_tables(tables: dict[str, Table], scalars: Mapping[str, object] | None, source: str,
                name: str = "e2e") -> E2EInstance:
    """Cross-table validation and assembly into arrays. Every defect is collected; a bad
    setting skips only the rules that need it."""
    err = ErrorCollector()
    horizon, penalties, allow_stockout, errors = _scalars(scalars, source)
    err.extend(errors)
    tp, tl, tc, ts = tables["plants"], tables["lines"], tables["line_calendar"], tables["skus"]
    tk, tps, td, tds = tables["line_skus"], tables["plant_skus"], tables["dcs"], tables["dc_skus"]
    tdem, tlane, ttr = tables["demand"], tables["dc_lanes"], tables["transfer_lanes"]
    plants = tp.frame["plant"].tolist()
    lines = tl.frame["line"].tolist()
    skus = ts.frame["sku"].tolist()
    dcs = td.frame["dc"].tolist()
    for table, what in ((tp, "plant"), (tl, "line"), (ts, "SKU"), (td, "DC")):
        if len(table.frame) == 0:
            err.errors.append(table.error(None, None, f"no {what}s given"))
    refs = [
        (tl, "plant", plants, "plant"), (tc, "line", lines, "line"), (tk, "line", lines, "line"),
        (tk, "sku", skus, "SKU"), (tps, "plant", plants, "plant"), (tps, "sku", skus, "SKU"),
        (td, "plant", plants, "plant"), (tds, "dc", dcs, "DC"), (tds, "sku", skus, "SKU"),
        (tdem, "dc", dcs, "DC"), (tdem, "sku", skus, "SKU"), (tlane, "plant", plants, "plant"),
        (tlane, "dc", dcs, "DC"), (ttr, "from_plant", plants, "plant"), (ttr, "to_plant", plants, "plant"),
    ]
    for table, col, valid, what in refs:
        err.extend(check_references(table, col, valid, what))
    for table in (tc, tdem) if horizon is not None else ():
        f = table.frame
        for idx in np.flatnonzero((f["day"] > horizon).to_numpy()):
            err.errors.append(table.error(int(idx), "day",
                                          f"day {f['day'].iloc[idx]} is beyond the horizon T = {horizon}"))
    f = ttr.frame
    for idx in np.flatnonzero((f["from_plant"] == f["to_plant"]).to_numpy()):
        err.errors.append(ttr.error(int(idx), "to_plant", "a transfer lane must join two different plants"))
    for table in (tps, tds):
        f = table.frame
        explicit = f["minimum"].notna()
        for idx in np.flatnonzero((explicit & (f["minimum"] > f["target"] + 1e-9)).to_numpy()):
            message = f"minimum {f['minimum'].iloc[idx]:g} exceeds target {f['target'].iloc[idx]:g}"
            err.errors.append(table.error(int(idx), "minimum", message))
    err.raise_if_any()

    # cross-table consistency
    line_plant = index_of(tl.frame["plant"], plants)
    plant_of_line = dict(zip(lines, tl.frame["plant"], strict=True))
    stocked_plant = set(zip(tps.frame["plant"], tps.frame["sku"], strict=True))
    for idx, (line, sku) in enumerate(zip(tk.frame["line"], tk.frame["sku"], strict=True)):
        if (plant_of_line[line], sku) not in stocked_plant:
            err.errors.append(tk.error(idx, "sku", f"plant '{plant_of_line[line]}' of line '{line}' has no "
                                                  f"plant_skus.csv row for SKU '{sku}'"))
    stocked_dc = set(zip(tds.frame["dc"], tds.frame["sku"], strict=True))
    for idx, (dc, sku) in enumerate(zip(tdem.frame["dc"], tdem.frame["sku"], strict=True)):
        if (dc, sku) not in stocked_dc:
            err.errors.append(tdem.error(idx, "sku", f"DC '{dc}' has no dc_skus.csv row for SKU '{sku}'"))
    err.raise_if_any()
    assert horizon is not None
    T = horizon

    S, D = len(skus), len(dcs)
    hours_per_day = tl.frame["hours_per_day"].to_numpy(float)
    hours = np.repeat(hours_per_day[:, None], T, axis=1)
    hours[index_of(tc.frame["line"], lines), tc.frame["day"].to_numpy(np.int64) - 1] = tc.frame["hours"].to_numpy(float)

    def minimum(frame: pd.DataFrame) -> np.ndarray:
        m = frame["minimum"].to_numpy(float)
        return np.where(np.isnan(m), MINIMUM_SHARE * frame["target"].to_numpy(float), m)

    dc_pos_dc = index_of(tds.frame["dc"], dcs)
    dc_pos_sku = index_of(tds.frame["sku"], skus)
    pos_of = np.full((D, S), -1, dtype=np.int64)
    pos_of[dc_pos_dc, dc_pos_sku] = np.arange(len(dc_pos_dc))
    demand = np.zeros((len(dc_pos_dc), T))
    demand[pos_of[index_of(tdem.frame["dc"], dcs), index_of(tdem.frame["sku"], skus)],
           tdem.frame["day"].to_numpy(np.int64) - 1] = tdem.frame["quantity"].to_numpy(float)

    inst = E2EInstance(
        name=name, horizon=T, plants=plants, lines=lines, skus=skus, dcs=dcs,
        line_plant=line_plant, hours_per_day=hours_per_day, hours=hours,
        product_type=ts.frame["product_type"].tolist(), holding_cost=ts.frame["holding_cost"].to_numpy(float),
        pair_line=index_of(tk.frame["line"], lines), pair_sku=index_of(tk.frame["sku"], skus),
        rate=tk.frame["rate"].to_numpy(float), moq=tk.frame["moq"].to_numpy(float),
        setup_hours=tk.frame["setup_hours"].to_numpy(float), setup_cost=tk.frame["setup_cost"].to_numpy(float),
        plant_pos_plant=index_of(tps.frame["plant"], plants), plant_pos_sku=index_of(tps.frame["sku"], skus),
        plant_initial=tps.frame["initial_inventory"].to_numpy(float), plant_target=tps.frame["target"].to_numpy(float),
        plant_minimum=minimum(tps.frame),
        dc_plant=index_of(td.frame["plant"], plants), dc_pos_dc=dc_pos_dc, dc_pos_sku=dc_pos_sku,
        dc_initial=tds.frame["initial_inventory"].to_numpy(float), dc_target=tds.frame["target"].to_numpy(float),
        dc_minimum=minimum(tds.frame), demand=demand,
        lane_plant=index_of(tlane.frame["plant"], plants), lane_dc=index_of(tlane.frame["dc"], dcs),
        lane_cost=tlane.frame["cost_per_unit"].to_numpy(float), lane_lead=tlane.frame["lead_time"].to_numpy(np.int64),
        transfer_from=index_of(ttr.frame["from_plant"], plants), transfer_to=index_of(ttr.frame["to_plant"], plants),
        transfer_cost=ttr.frame["cost_per_unit"].to_numpy(float),
        transfer_lead=ttr.frame["lead_time"].to_numpy(np.int64),
        penalties=penalties, allow_stockout=allow_stockout,
    )
    # every DC position with demand needs a lane from a plant that stocks the SKU, unless
    # its own initial stock covers the demand
    served = np.zeros(inst.num_dc_positions, dtype=bool)
    served[inst.ship_to] = True
    short = ~served & (demand.sum(axis=1) > inst.dc_initial + 1e-9)
    for b in np.flatnonzero(short):
        message = (f"DC '{dcs[dc_pos_dc[b]]}' needs SKU '{skus[dc_pos_sku[b]]}' but no dc_lanes.csv lane "
                   "reaches it from a plant that stocks it")
        if allow_stockout:
            continue  # a plan exists (with stockouts); the report shows it
        err.errors.append(tds.error(int(b), "sku", message))
    err.raise_if_any()
    inst.warnings = moq_warnings(inst, tk.error)
    return inst


def moq_warnings(inst: E2EInstance, error: Callable[[int, str, str], InputError]) -> list[InputError]:
    """A warning for every line-SKU pair whose MOQ exceeds the most it can make on its best day,
    ``moq_k > max_t r_k (H_lt - setup_hours_k)^+``: that pair can never produce."""
    best = inst.pair_capacity().max(axis=1) if inst.horizon else np.zeros(inst.num_pairs)
    never = np.flatnonzero(inst.moq > best + 1e-9)
    return [error(int(k), "moq", f"MOQ {inst.moq[k]:g} units exceeds the most line '{inst.lines[inst.pair_line[k]]}' "
                                 f"can make of SKU '{inst.skus[inst.pair_sku[k]]}' in a day ({best[k]:g} units): "
                                 "this pair can never produce") for k in never]
