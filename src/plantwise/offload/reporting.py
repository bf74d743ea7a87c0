"""HTML report of an offload plan: timeline, station utilisation, parts stock against
(s,S), transshipments, and cost against the baseline.

:func:`write_report` reads the instance and the plan; every figure it shows is recomputed
by :func:`plantwise.offload.verifier.verify` and :func:`describe_assignments` (cost, stock,
orders offloaded and per site, lane-periods), the summary only for what the plan alone
cannot tell (status, bound, the baseline, timings). Periods are the instance's ``1..T``,
costs in the instance's currency, stock and shipments in units.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from plantwise.offload.instance import OffloadInstance
from plantwise.offload.plan import OffloadPlan, describe_assignments
from plantwise.offload.verifier import verify
from plantwise.report import HtmlReport, percent, summary_seconds, summary_value
from plantwise.report.html import replan_section

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


def write_report(inst: OffloadInstance, plan: OffloadPlan, out_dir: str | Path) -> Path:
    """Write ``out_dir/report.html`` (and ``plotly.min.js`` once per folder); returns the html path."""
    out_dir = Path(out_dir)
    s = plan.summary
    mode = str(summary_value(s, "replenishment", inst.replenishment))
    check = verify(inst, plan, mode)
    described = describe_assignments(inst, plan.assignments)
    total = check.total_cost
    base = summary_value(s, "baseline_cost")
    base_value = float(base) if isinstance(base, int | float) else None  # type: ignore[arg-type]
    saving = None if not base_value else (base_value - total) / base_value
    per_site = described["site"].value_counts().reindex(inst.sites, fill_value=0)
    solver = " ".join(str(v) for v in (summary_value(s, "solver"), summary_value(s, "solver_version")) if v)
    rep = HtmlReport(f"Offload plan — {inst.name}")
    rep.heading("Summary")
    rep.key_values(
        {
            "status": summary_value(s, "status"),
            "method": f"{summary_value(s, 'method')}" + (f" ({solver})" if solver else ""),
            "replenishment": mode,
            "total cost, recomputed (currency)": total,
            "proven lower bound (currency)": summary_value(s, "bound"),
            "gap": percent(summary_value(s, "gap"), 4),
            "baseline cost: all orders at their initial site (currency)": base_value,
            "baseline status / gap": f"{summary_value(s, 'baseline_status', 'n/a')} / "
                                     f"{percent(summary_value(s, 'baseline_gap'))}",
            "saving against the baseline": percent(saving),
            "orders offloaded (orders)": f"{int(described['offloaded'].sum())} of {inst.num_orders}",
            "orders per site (orders)": {k: int(v) for k, v in per_site.items()},
            "transshipment lane-periods (lane-periods)": check.lane_periods,
            "solve time (s)": summary_seconds(s),
            "independent verification": "passed" if check.ok else f"{len(check.violations)} violations",
        }
    )
    if not check.ok:
        for v in check.violations[:10]:
            rep.paragraph(str(v), warn=True)

    replan_section(rep, s, out_dir)
    rep.heading("Cost against the baseline")
    cats = list(check.cost_breakdown)
    fig = go.Figure(go.Bar(name="plan", x=cats, y=[check.cost_breakdown[c] for c in cats], marker_color="#2f6fbf"))
    base_breakdown = summary_value(s, "baseline_cost_breakdown")
    if isinstance(base_breakdown, dict):
        fig.add_bar(name="baseline", x=cats, y=[base_breakdown.get(c, 0.0) for c in cats], marker_color="#9aa5b1")
    fig.update_layout(barmode="group", title="Cost by component", xaxis={"title": "cost component", "type": "category"},
                      yaxis_title="cost (currency)")
    rep.figure(fig)
    costs = pd.DataFrame({"component": [*cats, "total"], "plan": [*(check.cost_breakdown[c] for c in cats), total]})
    if isinstance(base_breakdown, dict):
        base_values = [float(base_breakdown.get(c, 0.0)) for c in cats]
        costs["baseline"] = [*base_values, sum(base_values)]
    rep.table(costs, units={"plan": "currency", "baseline": "currency"})

    rep.heading("Orders per site over time")
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
                    customdata=np.c_[sub["start"], sub["processing_end"], sub["initial_site"], sub["due_period"]],
                    hovertemplate="%{y}: periods %{customdata[0]}–%{customdata[1]} | initial site %{customdata[2]}, "
                                  "due period %{customdata[3]}<extra></extra>")
        ship = sub["completion"] - sub["processing_end"]
        fig.add_bar(y=sub["order"], x=ship, base=sub["processing_end"], orientation="h",
                    name=f"{site} shipping", marker_color=colour, opacity=0.35, marker_line_width=0)
    fig.update_layout(barmode="overlay", height=max(400, 9 * inst.num_orders + 120),
                      xaxis_title="time (periods from the start)",
                      title="Processing (solid) and shipping to the customer (light), by site",
                      yaxis={"title": "order", "type": "category", "autorange": "reversed",
                             "showticklabels": inst.num_orders <= 150})
    rep.figure(fig)

    rep.heading("Station utilisation")
    util = station_utilisation(inst, described)
    fig = go.Figure(go.Heatmap(z=100 * util, x=np.arange(1, inst.horizon + 1), y=inst.sites, zmin=0, zmax=100,
                               colorscale="Blues", colorbar={"title": "stations busy (%)"},
                               hovertemplate="site %{y}, period %{x}: %{z:.0f} % of stations busy<extra></extra>"))
    fig.update_layout(title="Share of stations busy per site and period", xaxis_title="period",
                      yaxis={"title": "site", "type": "category"}, height=320)
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
        fig.update_yaxes(title_text="stock (units)", row=j + 1, col=1)
    for n in range(N):
        fig.update_xaxes(title_text="period", row=J, col=n + 1)
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
                          xaxis_title="departure (period)", yaxis_title="shipped (units)")
        rep.figure(fig)
        rep.table(sh.drop(columns=["lane"]).rename(columns={"period": "departure (period)",
                                                             "arrival_period": "arrival (period)",
                                                             "quantity": "quantity (units)"}))
    else:
        rep.paragraph("No transshipments in this plan.")
    rep.heading("Purchases")
    p = plan.purchases
    if len(p):
        pivot = pd.pivot_table(p, index=["site", "part"], columns="period", values="quantity", aggfunc="sum",
                               fill_value=0)
        pivot.columns = [f"period {c} (units)" for c in pivot.columns]
        rep.table(pivot.reset_index())
    else:
        rep.paragraph("No purchases in this plan.")
    return rep.write(out_dir / "report.html")
