"""The document's tables for an e2e plan, as CSV and in an HTML report.

Tables (document 001, Tables 13-15, 24-27, 31): production per line and day, line
utilisation per line and day (a heat map in the report), distribution per DC and day,
the inventory position per plant and day (SKUs over target / between target and minimum /
between minimum and 0 / below 0), inter-plant transfers per day, the cost breakdown, and
for the configurator the path it took.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from plantwise.core.verification import Verification
from plantwise.e2e.evaluate import simulate
from plantwise.e2e.instance import E2EInstance
from plantwise.e2e.plan import E2EPlan
from plantwise.e2e.verify import plan_arrays
from plantwise.report import HtmlReport

POSITION_CLASSES = ("over target", "between target and minimum", "between minimum and 0", "below 0")


def _days(inst: E2EInstance) -> list[str]:
    return [f"day {t + 1}" for t in range(inst.horizon)]


def tables(inst: E2EInstance, plan: E2EPlan) -> dict[str, pd.DataFrame]:
    """Every report table, computed from the instance and the plan's decisions."""
    production, shipments, transfers = plan_arrays(inst, plan, Verification())
    sim = simulate(inst, production, shipments, transfers)
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


def write_report(inst: E2EInstance, plan: E2EPlan, folder: str | Path) -> Path:
    """Write the tables as CSV next to the plan and the HTML report ``report.html``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tabs = tables(inst, plan)
    for name, frame in tabs.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    s = plan.summary
    rep = HtmlReport(f"Production and distribution plan — {inst.name}")
    rep.heading("Summary")
    gap = s.get("gap")
    rep.key_values({
        "status": s.get("status"), "method": s.get("method"), "objective (total cost)": s.get("objective"),
        "proven bound": s.get("bound"), "bound from": s.get("bound_source"),
        "gap": "n/a" if gap is None else f"{100 * float(gap):.3f} %",  # type: ignore[arg-type]
        "solve seconds": s.get("solve_seconds"), "instance": inst.describe(),
        "verified independently": s.get("verified"),
    })
    if s.get("path"):
        rep.heading(f"Configurator path: phase {s.get('phase')}")
        steps = pd.DataFrame([{
            "step": st["name"], "phase": st["phase"], "algorithm": st["algorithm"],
            "seconds": round(st["seconds"], 2), "cost": st["cost"], "evaluations": st["evaluations"],
            "fits": "" if st["fits"] is None else ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in
                                                           st["fits"].items())} for st in s["path"]])  # type: ignore[union-attr]
        rep.table(steps)
        for st in s["path"]:  # type: ignore[union-attr]
            if st.get("utilisation"):
                rep.paragraph(f"{st['name']}: daily utilisation per plant (%)")
                util = pd.DataFrame({p: [round(100 * u, 1) for u in v] for p, v in st["utilisation"].items()},
                                    index=_days(inst)).T.reset_index(names="plant")
                rep.table(util)
    rep.heading("Cost breakdown")
    rep.table(tabs["cost_breakdown"])
    rep.heading("Production per line and day (units)")
    rep.table(tabs["production_by_line"])
    rep.heading("Line utilisation per line and day (%)")
    util = tabs["line_utilisation"]
    fig = go.Figure(go.Heatmap(z=util[_days(inst)].to_numpy(), x=_days(inst), y=util["line"], colorscale="YlOrRd",
                               zmin=0, zmax=100, colorbar={"title": "%"}))
    fig.update_layout(title="Line utilisation", height=120 + 40 * len(inst.lines))
    rep.figure(fig)
    rep.table(util)
    rep.heading("Distribution per DC and day (units shipped)")
    rep.table(tabs["distribution_by_dc"])
    rep.heading("Inventory position (number of SKUs per plant network)")
    rep.paragraph("A plant network's stock of a SKU is the plant's plus its DCs' (backlog counts negative), "
                  "against their summed target and minimum.")
    rep.table(tabs["inventory_position"])
    rep.heading("Inter-plant transfers (units leaving per day)")
    rep.table(tabs["transfers_by_day"])
    return rep.write(folder / "report.html")
