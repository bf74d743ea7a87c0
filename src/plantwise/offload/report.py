"""HTML report of an offload plan: timeline, station utilisation, parts stock against
(s,S), transshipments, and cost against the baseline. Reads the instance and the plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plantwise.offload.instance import OffloadInstance
from plantwise.offload.plan import OffloadPlan, describe_assignments
from plantwise.offload.verify import verify
from plantwise.report import HtmlReport

SITE_COLOURS = ["#2f6fbf", "#d9822b", "#2e9e6a", "#8e5cc2", "#c2415c", "#5c7080"]


def station_utilisation(inst: OffloadInstance, assignments: pd.DataFrame) -> np.ndarray:
    """[J, T] share of stations busy per site and period (``assignments`` described)."""
    J, T = inst.num_sites, inst.horizon
    sidx = {s: k for k, s in enumerate(inst.sites)}
    occ = np.zeros((J, T + 1))
    a = assignments
    j = a["site"].map(sidx).to_numpy()
    s = a["start"].astype(int).to_numpy()
    e = a["processing_end"].astype(int).to_numpy()
    np.add.at(occ, (j, s - 1), 1)
    np.add.at(occ, (j, e), -1)
    return np.cumsum(occ, axis=1)[:, :T] / np.maximum(inst.stations[:, None], 1)


def write_report(inst: OffloadInstance, plan: OffloadPlan, path: str | Path) -> Path:
    s = plan.summary
    mode = str(s.get("replenishment", inst.replenishment))
    check = verify(inst, plan, mode)
    rep = HtmlReport(f"Offload plan — {inst.name}")
    rep.heading("Summary")
    base = s.get("baseline_cost")
    rep.key_values(
        {
            "status": s.get("status"),
            "method": f"{s.get('method')} ({s.get('solver')} {s.get('solver_version')})",
            "replenishment": mode,
            "objective": s.get("objective"),
            "proven bound": s.get("bound"),
            "gap": "n/a" if s.get("gap") is None else f"{100 * float(s['gap']):.4f} %",  # type: ignore[arg-type]
            "baseline cost (all orders at initial site)": base,
            "baseline status / gap": f"{s.get('baseline_status')} / "
            + ("n/a" if s.get("baseline_gap") is None else f"{100 * float(s['baseline_gap']):.3f} %"),  # type: ignore[arg-type]
            "saving against baseline": "n/a" if s.get("saving_pct") is None else f"{s['saving_pct']:.3f} %",
            "orders offloaded": f"{s.get('offloaded_orders')} of {inst.num_orders}",
            "orders per site": s.get("orders_per_site"),
            "solve seconds": s.get("solve_seconds"),
            "independent verification": "passed" if check.ok else f"{len(check.violations)} violations",
        }
    )

    rep.heading("Cost against the baseline")
    cats = list(check.cost_breakdown)
    fig = go.Figure(go.Bar(name="plan", x=cats, y=[check.cost_breakdown[c] for c in cats], marker_color="#2f6fbf"))
    base_breakdown = s.get("baseline_cost_breakdown")
    if isinstance(base_breakdown, dict):
        fig.add_bar(name="baseline", x=cats, y=[base_breakdown.get(c, 0.0) for c in cats], marker_color="#9aa5b1")
    fig.update_layout(barmode="group", title="Cost by component", yaxis_title="cost")
    rep.figure(fig)

    rep.heading("Orders per site over time")
    described = describe_assignments(inst, plan.assignments)
    a = described.sort_values(["site", "start", "order"])
    fig = go.Figure()
    for k, site in enumerate(inst.sites):
        sub = a[a["site"] == site]
        if sub.empty:
            continue
        colour = SITE_COLOURS[k % len(SITE_COLOURS)]
        dur = sub["processing_end"] - sub["start"] + 1
        fig.add_bar(y=sub["order"], x=dur, base=sub["start"] - 1, orientation="h", name=f"{site} processing",
                    marker_color=colour, marker_line_width=0,
                    customdata=np.c_[sub["initial_site"], sub["due_period"]],
                    hovertemplate="%{y}: periods %{base}–%{x} | initial site %{customdata[0]}, "
                                  "due %{customdata[1]}<extra></extra>")
        ship = sub["completion"] - sub["processing_end"]
        fig.add_bar(y=sub["order"], x=ship, base=sub["processing_end"], orientation="h",
                    name=f"{site} shipping", marker_color=colour, opacity=0.35, marker_line_width=0)
    fig.update_layout(barmode="overlay", height=max(400, 9 * inst.num_orders + 120), xaxis_title="period",
                      title="Processing (solid) and shipping to the customer (light), by site",
                      yaxis={"autorange": "reversed", "showticklabels": inst.num_orders <= 150})
    rep.figure(fig)

    rep.heading("Station utilisation")
    util = station_utilisation(inst, described)
    fig = go.Figure(go.Heatmap(z=util, x=np.arange(1, inst.horizon + 1), y=inst.sites, zmin=0, zmax=1,
                               colorscale="Blues", colorbar={"title": "busy share"}))
    fig.update_layout(title="Share of stations busy per site and period", xaxis_title="period", height=320)
    rep.figure(fig)

    rep.heading("Parts stock against (s, S)")
    stock = check.stock if check.stock is not None else np.zeros((inst.num_sites, inst.num_parts, inst.horizon))
    J, N = inst.num_sites, inst.num_parts
    fig = make_subplots(rows=J, cols=N, shared_xaxes=True, subplot_titles=[f"{s_} · {p}" for s_ in inst.sites
                                                                             for p in inst.parts])
    periods = np.arange(0, inst.horizon + 1)
    for j in range(J):
        for n in range(N):
            series = np.r_[inst.initial_stock[j, n], stock[j, n]]
            show = j == 0 and n == 0
            fig.add_scatter(x=periods, y=series, mode="lines", line={"color": "#2f6fbf", "shape": "hv"},
                            name="stock", showlegend=show, row=j + 1, col=n + 1)
            for level, name, colour in ((inst.reorder_point[j, n], "s", "#c2415c"),
                                        (inst.order_up_to[j, n], "S", "#2e9e6a"),
                                        (inst.storage_capacity[j, n], "storage", "#9aa5b1")):
                fig.add_scatter(x=[0, inst.horizon], y=[level, level], mode="lines", name=name, showlegend=show,
                                line={"color": colour, "dash": "dot", "width": 1}, row=j + 1, col=n + 1)
    fig.update_layout(height=230 * J, title="End-of-period stock per site (rows) and part (columns)")
    rep.figure(fig)

    rep.heading("Transshipments")
    sh = plan.shipments
    if len(sh):
        sh = sh.copy()
        sh["lane"] = sh["from_site"] + " → " + sh["to_site"]
        agg = sh.groupby(["lane", "period"], as_index=False)["quantity"].sum()
        fig = go.Figure()
        for lane, sub in agg.groupby("lane"):
            fig.add_bar(x=sub["period"], y=sub["quantity"], name=str(lane))
        fig.update_layout(barmode="stack", title="Units shipped per lane and departure period",
                          xaxis_title="departure period", yaxis_title="units")
        rep.figure(fig)
        rep.table(sh.drop(columns=["lane"]))
    else:
        rep.paragraph("No transshipments in this plan.")
    rep.heading("Purchases")
    p = plan.purchases
    if len(p):
        rep.table(pd.pivot_table(p, index=["site", "part"], columns="period", values="quantity", aggfunc="sum",
                                 fill_value=0).reset_index())
    return rep.write(path)
