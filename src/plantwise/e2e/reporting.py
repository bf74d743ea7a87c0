"""The document's tables for an e2e plan, as CSV and in an HTML report.

Tables (document 001, Tables 13-15, 24-27, 31): production per line and day, line
utilisation per line and day (a heat map in the report), distribution per DC and day,
the inventory position per plant and day (SKUs over target / between target and minimum /
between minimum and 0 / below 0), inter-plant transfers per day, the cost breakdown, and
for the configurator the path it took.

The report adds, from the re-simulated plan (:func:`plantwise.e2e.evaluate.simulate` on the
verifier's reading of the plan, never the summary):

* **stockouts**: DC backlog in unit-days (a unit short for a day counts 1) per DC, per SKU
  and per day, the stockout cost (``penalties.stockout`` per unit-day) and its share of
  the total cost;
* **inventory against target and minimum**: on-hand stock over the days against the
  targets and minimums (per plant, the plant's and its DCs' totals; and the SKUs furthest
  under their minimum, network-wide), and per stock point the position-days below target
  and below minimum with the shortfall under the minimum.

Units: quantities in units (of product), time in days ``1..T``, costs in the instance's
currency, line time in hours.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plantwise.core.verification import Verification
from plantwise.e2e.evaluate import Simulation, simulate
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.plan import E2EPlan
from plantwise.e2e.verifier import plan_arrays, verify
from plantwise.report import HtmlReport, percent, summary_seconds, summary_value
from plantwise.report.html import replan_section

POSITION_CLASSES = ("over target", "between target and minimum", "between minimum and 0", "below 0")
TOP_SKUS = 6  # SKUs drawn against their target and minimum
TOP_ROWS = 20  # rows of the per-SKU stockout table shown
EPS = 1e-6  # units


def _days(inst: E2EInstance) -> list[str]:
    return [f"day {t + 1}" for t in range(inst.horizon)]


def simulation(inst: E2EInstance, plan: E2EPlan) -> Simulation:
    """The plan re-simulated from its decision tables, as the verifier reads them."""
    return simulate(inst, *plan_arrays(inst, plan, Verification()))


def tables(inst: E2EInstance, plan: E2EPlan, sim: Simulation | None = None) -> dict[str, pd.DataFrame]:
    """Every CSV table of the report, computed from the instance and the plan's decisions."""
    production, shipments, transfers = plan_arrays(inst, plan, Verification())
    sim = sim or simulate(inst, production, shipments, transfers)
    days = _days(inst)
    T = inst.horizon
    L = len(inst.lines)
    per_line = np.zeros((L, T))
    np.add.at(per_line, inst.pair_line, production)
    prod = pd.DataFrame(per_line, columns=days)
    prod.insert(0, "line", inst.lines)
    prod.insert(1, "plant", [inst.plants[p] for p in inst.line_plant])
    util = pd.DataFrame(np.round(100 * sim.line_hours / np.maximum(inst.hours, 1e-12), 2), columns=days)
    util.insert(0, "line", inst.lines)
    util.insert(1, "plant", [inst.plants[p] for p in inst.line_plant])
    per_dc = np.zeros((len(inst.dcs), T))
    np.add.at(per_dc, inst.dc_pos_dc[inst.ship_to], shipments)
    dist = pd.DataFrame(per_dc, columns=days)
    dist.insert(0, "dc", inst.dcs)
    dist.insert(1, "plant", [inst.plants[p] for p in inst.dc_plant])
    # inventory position: each plant's network stock of a SKU (plant + its DCs, backlog
    # negative) against the network's summed target and minimum
    P, S = len(inst.plants), len(inst.skus)
    net = np.zeros((P, S, T))
    target = np.zeros((P, S))
    minimum = np.zeros((P, S))
    stocked = np.zeros((P, S), dtype=bool)
    np.add.at(net, (inst.plant_pos_plant, inst.plant_pos_sku), sim.plant_stock)
    np.add.at(target, (inst.plant_pos_plant, inst.plant_pos_sku), inst.plant_target)
    np.add.at(minimum, (inst.plant_pos_plant, inst.plant_pos_sku), inst.plant_minimum)
    stocked[inst.plant_pos_plant, inst.plant_pos_sku] = True
    dplant = inst.dc_plant[inst.dc_pos_dc]
    np.add.at(net, (dplant, inst.dc_pos_sku), sim.dc_stock - sim.dc_backlog)
    np.add.at(target, (dplant, inst.dc_pos_sku), inst.dc_target)
    np.add.at(minimum, (dplant, inst.dc_pos_sku), inst.dc_minimum)
    stocked[dplant, inst.dc_pos_sku] = True
    rows = []
    eps = 1e-6
    for p in range(P):
        n, tg, mn = net[p][stocked[p]], target[p][stocked[p]][:, None], minimum[p][stocked[p]][:, None]
        classes = (n >= tg - eps, (n < tg - eps) & (n >= mn - eps), (n < mn - eps) & (n >= -eps), n < -eps)
        for name, mask in zip(POSITION_CLASSES, classes, strict=True):
            rows.append([inst.plants[p], name, *mask.sum(axis=0).tolist()])
        rows.append([inst.plants[p], "total", *([int(stocked[p].sum())] * T)])
    position = pd.DataFrame(rows, columns=["plant", "position", *days])
    moves = np.zeros((max(len(inst.transfer_from), 1), T))
    if len(inst.move_from):
        np.add.at(moves, inst.move_lane, transfers)
    trans = pd.DataFrame(moves[: len(inst.transfer_from)], columns=days)
    trans.insert(0, "from_plant", [inst.plants[p] for p in inst.transfer_from])
    trans.insert(1, "to_plant", [inst.plants[p] for p in inst.transfer_to])
    costs = pd.DataFrame({"cost": list(sim.costs), "value": list(sim.costs.values())})
    costs.loc[len(costs)] = ["total", sim.total]
    return {"production_by_line": prod, "line_utilisation": util, "distribution_by_dc": dist,
            "inventory_position": position, "transfers_by_day": trans, "cost_breakdown": costs}


def stockout_tables(inst: E2EInstance, sim: Simulation) -> dict[str, pd.DataFrame]:
    """DC backlog per DC, per SKU (SKUs short only, largest first) and per day; headers carry units."""
    backlog = sim.dc_backlog  # [B, T]
    rate = inst.penalties.stockout
    dcs, skus = np.array(inst.dcs, object), np.array(inst.skus, object)
    per_pos = backlog.sum(axis=1)
    pos = pd.DataFrame({"dc": dcs[inst.dc_pos_dc], "sku": skus[inst.dc_pos_sku], "unit_days": per_pos,
                        "short": per_pos > EPS, "end": backlog[:, -1] if inst.horizon else 0.0})
    by_dc = np.zeros((len(inst.dcs), inst.horizon))
    np.add.at(by_dc, inst.dc_pos_dc, backlog)
    total = rate * float(backlog.sum())
    dc = pd.DataFrame({
        "dc": inst.dcs, "plant": [inst.plants[p] for p in inst.dc_plant],
        "SKUs short (SKUs)": pos.groupby("dc")["short"].sum().reindex(inst.dcs, fill_value=0).astype(int).to_numpy(),
        "backlog (unit-days)": by_dc.sum(axis=1),
        "peak backlog (units)": by_dc.max(axis=1, initial=0.0),
        "backlog at the end (units)": pos.groupby("dc")["end"].sum().reindex(inst.dcs, fill_value=0.0).to_numpy(),
        "stockout cost (currency)": rate * by_dc.sum(axis=1),
    })
    dc["share of the stockout cost (%)"] = 100 * dc["stockout cost (currency)"] / total if total > 0 else 0.0
    sku = (pos[pos["short"]].groupby("sku", sort=False)
           .agg(dcs=("short", "sum"), unit_days=("unit_days", "sum"), end=("end", "sum")).reset_index()
           .sort_values(["unit_days", "sku"], ascending=[False, True]))
    sku = pd.DataFrame({"sku": sku["sku"], "DCs short (DCs)": sku["dcs"].astype(int),
                        "backlog (unit-days)": sku["unit_days"], "backlog at the end (units)": sku["end"],
                        "stockout cost (currency)": rate * sku["unit_days"]}).reset_index(drop=True)
    day = pd.DataFrame({"day": np.arange(1, inst.horizon + 1), "demand (units)": inst.demand.sum(axis=0),
                        "backlog at the end of the day (units)": backlog.sum(axis=0),
                        "DC-SKU positions short (positions)": (backlog > EPS).sum(axis=0),
                        "stockout cost (currency)": rate * backlog.sum(axis=0)})
    return {"dc": dc, "sku": sku, "day": day}


class StockPoints(NamedTuple):
    """The plant or the DC stock positions, with on-hand stock ``[n, T]`` and their levels ``[n]``."""

    kind: str  # "plant" or "DC"
    location: np.ndarray  # plant or DC name per position
    sku: np.ndarray  # SKU index per position
    on_hand: np.ndarray  # [n, T] end-of-day stock on hand (backlog not counted)
    target: np.ndarray
    minimum: np.ndarray
    initial: np.ndarray
    plant: np.ndarray  # plant index per position (a DC's: its serving plant)


def _positions(inst: E2EInstance, sim: Simulation) -> tuple[StockPoints, StockPoints]:
    """Plant positions and DC positions."""
    plants, dcs = np.array(inst.plants, object), np.array(inst.dcs, object)
    return (
        StockPoints("plant", plants[inst.plant_pos_plant], inst.plant_pos_sku, np.maximum(sim.plant_stock, 0.0),
                    inst.plant_target, inst.plant_minimum, np.maximum(inst.plant_initial, 0.0), inst.plant_pos_plant),
        StockPoints("DC", dcs[inst.dc_pos_dc], inst.dc_pos_sku, sim.dc_stock, inst.dc_target, inst.dc_minimum,
                    np.maximum(inst.dc_initial, 0.0), inst.dc_plant[inst.dc_pos_dc]),
    )


def target_table(inst: E2EInstance, sim: Simulation) -> pd.DataFrame:
    """Per stock point (plant, then DC): SKU-days below target and below minimum, the shortfall under
    the minimum and the two penalties; headers carry units."""
    pen = inst.penalties
    rows = []
    for sp in _positions(inst, sim):
        kind, on_hand, target, minimum = sp.kind, sp.on_hand, sp.target, sp.minimum
        names = inst.plants if kind == "plant" else inst.dcs
        frame = pd.DataFrame({"location": sp.location,
                              "bt": (on_hand < target[:, None] - EPS).sum(axis=1),
                              "bm": (on_hand < minimum[:, None] - EPS).sum(axis=1),
                              "gt": np.maximum(target[:, None] - on_hand, 0.0).sum(axis=1),
                              "gm": np.maximum(minimum[:, None] - on_hand, 0.0).sum(axis=1)})
        for name in names:
            grp = frame[frame["location"] == name]
            days = len(grp) * inst.horizon
            if not days:
                continue
            rows.append({"stock point": name, "kind": kind, "SKUs stocked (SKUs)": len(grp),
                         "stocked (SKU-days)": days,
                         "below target (SKU-days)": int(grp["bt"].sum()),
                         "below target (%)": 100 * grp["bt"].sum() / days,
                         "below minimum (SKU-days)": int(grp["bm"].sum()),
                         "below minimum (%)": 100 * grp["bm"].sum() / days,
                         "SKUs ever below minimum (SKUs)": int((grp["bm"] > 0).sum()),
                         "shortfall under minimum (unit-days)": float(grp["gm"].sum()),
                         "under-target cost (currency)": pen.under_target * float(grp["gt"].sum()),
                         "under-minimum cost (currency)": pen.under_minimum * float(grp["gm"].sum())})
    return pd.DataFrame(rows)


def _stock_lines(fig: go.Figure, days: np.ndarray, stock: np.ndarray, target: float, minimum: float, row: int,
                 col: int, legend: bool, name: str = "stock on hand") -> None:
    fig.add_scatter(x=days, y=stock, mode="lines", name=name, line={"color": "#2f6fbf", "shape": "hv"},
                    legendgroup=name, showlegend=legend, row=row, col=col)
    for level, label, colour, dash in ((target, "target", "#2e9e6a", "dash"), (minimum, "minimum", "#c2415c", "dot")):
        fig.add_scatter(x=[days[0], days[-1]], y=[level, level], mode="lines", name=label, legendgroup=label,
                        showlegend=legend, line={"color": colour, "dash": dash, "width": 1.5}, row=row, col=col)


def inventory_figures(inst: E2EInstance, sim: Simulation) -> list[go.Figure]:
    """Stock on hand against target and minimum: per plant (plant and its DCs, summed over SKUs), and
    for the ``TOP_SKUS`` SKUs furthest under their minimum (network-wide: plants and DCs summed)."""
    T, P = inst.horizon, len(inst.plants)
    days = np.arange(0, T + 1)
    positions = _positions(inst, sim)
    titles = [f"plant {p}: {what}" for p in inst.plants for what in ("plant stock", "its DCs' stock")]
    agg = make_subplots(rows=P, cols=2, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.12)
    for col, sp in enumerate(positions, start=1):
        for p in range(P):
            mine = sp.plant == p
            series = np.r_[sp.initial[mine].sum(), sp.on_hand[mine].sum(axis=0)]
            _stock_lines(agg, days, series, float(sp.target[mine].sum()), float(sp.minimum[mine].sum()), p + 1, col,
                         legend=p == 0 and col == 1)
            agg.update_yaxes(title_text="stock (units)", row=p + 1, col=col)
    for col in (1, 2):
        agg.update_xaxes(title_text="day", row=P, col=col)
    agg.update_layout(height=260 * P + 80, title="Stock on hand at the end of each day (day 0: the initial stock), "
                                                  "summed over SKUs, against the summed target and minimum")
    S = len(inst.skus)
    net = np.zeros((S, T))
    start = np.zeros(S)
    tgt, mnm, gap = np.zeros(S), np.zeros(S), np.zeros(S)
    for sp in positions:
        np.add.at(net, sp.sku, sp.on_hand)
        np.add.at(start, sp.sku, sp.initial)
        np.add.at(tgt, sp.sku, sp.target)
        np.add.at(mnm, sp.sku, sp.minimum)
        np.add.at(gap, sp.sku, np.maximum(sp.minimum[:, None] - sp.on_hand, 0).sum(axis=1))
    backlog = np.zeros((S, T))
    np.add.at(backlog, inst.dc_pos_sku, sim.dc_backlog)
    top = [k for k in np.argsort(-gap, kind="stable")[:TOP_SKUS] if gap[k] > EPS] or \
        list(np.argsort(-tgt, kind="stable")[:TOP_SKUS])
    rows = (len(top) + 1) // 2
    per = make_subplots(rows=max(rows, 1), cols=2, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=[f"SKU {inst.skus[k]}" for k in top])
    for n, k in enumerate(top):
        r, c = n // 2 + 1, n % 2 + 1
        _stock_lines(per, days, np.r_[start[k], net[k]], float(tgt[k]), float(mnm[k]), r, c, legend=n == 0)
        per.add_bar(x=days[1:], y=-backlog[k], name="DC backlog (negative)", marker_color="#c2415c", opacity=0.5,
                    legendgroup="backlog", showlegend=n == 0, row=r, col=c)
        per.update_yaxes(title_text="stock (units)", row=r, col=c)
    for c in (1, 2):
        per.update_xaxes(title_text="day", row=max(rows, 1), col=c)
    per.update_layout(height=240 * max(rows, 1) + 80,
                      title=f"The {len(top)} SKUs furthest under their minimum: stock on hand at plants and DCs "
                            "against the summed target and minimum; DC backlog below 0")
    return [agg, per]


def write_report(inst: E2EInstance, plan: E2EPlan, out_dir: str | Path) -> Path:
    """Write the tables as CSV and ``report.html`` into ``out_dir`` (plus ``plotly.min.js`` once per
    folder); returns the html path."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    sim = simulation(inst, plan)
    tabs = tables(inst, plan, sim)
    for name, frame in tabs.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    check = verify(inst, plan)
    s = plan.summary
    days = _days(inst)
    total = sim.total
    stockout_cost = sim.costs.get("stockout", 0.0)
    rep = HtmlReport(f"Production and distribution plan — {inst.name}")
    rep.heading("Summary")
    rep.key_values({
        "status": summary_value(s, "status"), "method": summary_value(s, "method"),
        "total cost, recomputed (currency)": total,
        "proven lower bound (currency)": summary_value(s, "bound"), "bound from": summary_value(s, "bound_source"),
        "gap": percent(summary_value(s, "gap")),
        "stockout cost (currency)": stockout_cost,
        "stockout share of the total cost": percent(stockout_cost / total if total > 0 else 0.0, 1),
        "solve time (s)": summary_seconds(s), "instance": inst.describe(),
        "independent verification": "passed" if check.ok else f"{len(check.violations)} violations",
    })
    for v in check.violations[:10]:
        rep.paragraph(str(v), warn=True)
    replan_section(rep, s, folder)
    path = summary_value(s, "path")
    if path:
        rep.heading(f"Configurator path: phase {summary_value(s, 'phase')}")
        steps = pd.DataFrame([{
            "step": st["name"], "phase": st["phase"], "algorithm": st["algorithm"],
            "seconds": round(st["seconds"], 2), "cost": st["cost"], "evaluations": st["evaluations"],
            "fits": "" if st["fits"] is None else ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in
                                                           st["fits"].items())} for st in path])  # type: ignore[union-attr]
        rep.table(steps, units={"seconds": "s", "cost": "currency", "evaluations": "evaluations"})
        for st in path:  # type: ignore[union-attr]
            if st.get("utilisation"):
                rep.paragraph(f"{st['name']}: daily utilisation per plant (%)")
                util = pd.DataFrame({p: [round(100 * u, 1) for u in v] for p, v in st["utilisation"].items()},
                                    index=days).T.reset_index(names="plant")
                rep.table(util, units=dict.fromkeys(days, "%"))
    rep.heading("Cost breakdown")
    costs = tabs["cost_breakdown"].copy()
    costs["share"] = 100 * costs["value"] / total if total > 0 else 0.0
    rep.table(costs.rename(columns={"cost": "component"}), units={"value": "currency", "share": "% of total"})
    _stockout_section(rep, inst, sim, total)
    _target_section(rep, inst, sim, total)
    rep.heading("Production per line and day (units)", anchor="production")
    rep.table(tabs["production_by_line"], units=dict.fromkeys(days, "units"))
    rep.heading("Line utilisation per line and day (%)", anchor="line-utilisation")
    util = tabs["line_utilisation"]
    fig = go.Figure(go.Heatmap(z=util[days].to_numpy(), x=days, y=util["line"], colorscale="YlOrRd",
                               zmin=0, zmax=100, colorbar={"title": "utilisation (%)"}))
    fig.update_layout(title="Line utilisation: hours used (production and setups) per available hour",
                      xaxis={"title": "day", "type": "category"}, yaxis={"title": "line", "type": "category"},
                      height=160 + 40 * len(inst.lines))
    rep.figure(fig)
    rep.table(util, units=dict.fromkeys(days, "%"))
    rep.heading("Distribution per DC and day (units shipped)", anchor="distribution")
    rep.table(tabs["distribution_by_dc"], units=dict.fromkeys(days, "units"))
    rep.heading("Inventory position (number of SKUs per plant network)", anchor="inventory-position")
    rep.paragraph("A plant network's stock of a SKU is the plant's plus its DCs' (backlog counts negative), "
                  "against their summed target and minimum.")
    rep.table(tabs["inventory_position"], units=dict.fromkeys(days, "SKUs"))
    rep.heading("Inter-plant transfers (units leaving per day)", anchor="transfers")
    moves = tabs["transfers_by_day"]
    if len(moves) and float(moves[days].to_numpy().sum()) > EPS:
        fig = go.Figure()
        for _, lane in moves.iterrows():
            if float(lane[days].sum()) > EPS:
                fig.add_bar(x=days, y=lane[days].to_numpy(dtype=float),
                            name=f"{lane['from_plant']} → {lane['to_plant']}")
        fig.update_layout(barmode="stack", title="Units leaving each day, per lane", xaxis={"title": "day",
                          "type": "category"}, yaxis_title="transferred (units)")
        rep.figure(fig)
    else:
        rep.paragraph("No inter-plant transfers in this plan.")
    rep.table(moves, units=dict.fromkeys(days, "units"))
    return rep.write(folder / "report.html")


def _stockout_section(rep: HtmlReport, inst: E2EInstance, sim: Simulation, total: float) -> None:
    rep.heading("Stockouts (DC backlog)", anchor="stockouts")
    backlog = sim.dc_backlog
    cost = sim.costs.get("stockout", 0.0)
    unit_days = float(backlog.sum())
    if unit_days <= EPS:
        rep.paragraph("No stockouts: every DC meets its demand from stock on every day.")
        return
    st = stockout_tables(inst, sim)
    per_day = backlog.sum(axis=0)
    peak = int(np.argmax(per_day))
    rep.paragraph(f"Demand a DC cannot meet from stock is backlogged and served later; each unit short costs "
                  f"{inst.penalties.stockout:,.2f} per day it waits. Stockouts cost {cost:,.2f}, "
                  f"{100 * cost / total if total > 0 else 0.0:.1f} % of the total cost.",
                  warn=total > 0 and cost / total >= 0.1)
    rep.key_values({
        "backlog (unit-days)": unit_days,
        "stockout cost (currency)": cost,
        "stockout share of the total cost": percent(cost / total if total > 0 else 0.0, 1),
        "stockout penalty (currency/unit/day)": inst.penalties.stockout,
        "DC-SKU positions ever short (positions)": f"{int((backlog.sum(axis=1) > EPS).sum())} of "
                                                     f"{inst.num_dc_positions}",
        "days with a backlog (days)": f"{int((per_day > EPS).sum())} of {inst.horizon}",
        "peak backlog (units)": f"{per_day[peak]:,.0f} on day {peak + 1}",
        "backlog at the end of the horizon (units)": float(backlog[:, -1].sum()),
        "demand over the horizon (units)": float(inst.demand.sum()),
    })
    fig = go.Figure()
    by_dc = np.zeros((len(inst.dcs), inst.horizon))
    np.add.at(by_dc, inst.dc_pos_dc, backlog)
    day_numbers = np.arange(1, inst.horizon + 1)
    for d in np.flatnonzero(by_dc.sum(axis=1) > EPS):
        fig.add_bar(x=day_numbers, y=by_dc[d], name=inst.dcs[d])
    fig.update_layout(barmode="stack", title="Backlog at the end of each day, per DC", xaxis_title="day",
                      yaxis_title="backlog (units)")
    rep.figure(fig)
    rep.heading("Per DC", level=3, anchor="stockouts-by-dc")
    rep.table(st["dc"])
    rep.heading("Per SKU", level=3, anchor="stockouts-by-sku")
    rep.paragraph("SKUs with a backlog, largest first; dc_inventory.csv has every DC, SKU and day.")
    rep.table(st["sku"], max_rows=TOP_ROWS)
    rep.heading("Per day", level=3, anchor="stockouts-by-day")
    rep.table(st["day"])


def _target_section(rep: HtmlReport, inst: E2EInstance, sim: Simulation, total: float) -> None:
    rep.heading("Inventory against target and minimum", anchor="inventory-vs-target")
    under = sim.costs.get("under_target", 0.0) + sim.costs.get("under_minimum", 0.0)
    rep.paragraph(f"On-hand stock below a position's target costs {inst.penalties.under_target:,.2f} and below its "
                  f"minimum a further {inst.penalties.under_minimum:,.2f} per unit and day; together "
                  f"{under:,.2f}, {100 * under / total if total > 0 else 0.0:.1f} % of the total cost. The totals "
                  "below are summed over SKUs, so one SKU over target can hide another under it: the table counts "
                  "each SKU at each stock point on each day.")
    for fig in inventory_figures(inst, sim):
        rep.figure(fig)
    rep.table(target_table(inst, sim))
