"""The four families' HTML reports: one signature, offline plotly loaded from one shared
``plotly.min.js`` per folder, units on every axis and numeric column, both summary schemas,
the e2e stockout section and the acceptance decisions with their rejection reasons.

Each family is solved once per module on a tiny instance with a short time limit.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from plantwise.core.options import SolveOptions
from plantwise.report import html as report_html
from plantwise.report.html import PLOTLY_JS, HtmlReport, ensure_plotly_js, plotly_js, summary_value

MAX_HTML_BYTES = 1_000_000
TIME_WORDS = ("period", "day", "hour", "time")  # an axis in these needs no "(unit)"
INDEX_COLUMNS = ("day", "period", "step", "iteration", "phase", "deadline period", "delivery period")
COMMON_KEYS = ("family", "method", "status", "objective", "sense", "bound", "gap", "verified", "violations",
               "input_checksum", "plantwise_version", "solver", "solver_version", "options", "timings",
               "started_at", "cost_breakdown", "message")


def _solve(family: str) -> Callable[..., Any]:
    """The family's ``solve`` (``methods`` after the pipeline redesign, ``solve`` before)."""
    for name in ("methods", "solve"):
        try:
            return importlib.import_module(f"plantwise.{family}.{name}").solve
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(f"no solve function for {family}")


def _plan(result: Any) -> Any:
    """The plan of a solve result (the acceptance family returns the plan itself)."""
    plan = getattr(result, "plan", result)
    assert plan is not None, getattr(result, "summary", result)
    return plan


def _write(family: str) -> Callable[..., Path]:
    return importlib.import_module(f"plantwise.{family}.reporting").write_report


# ---------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def offload() -> tuple[Any, Any]:
    from plantwise.offload.generator import generate

    inst = generate(6, 2, 20)
    return inst, _plan(_solve("offload")(inst, "milp", None, SolveOptions(time_limit=3, threads=1), baseline=False))


@pytest.fixture(scope="module")
def e2e() -> tuple[Any, Any]:
    from plantwise.e2e.generator import generate

    inst = generate(3, 1, 6)  # scenario 3: plant A cannot cover its demand, so DCs stock out
    return inst, _plan(_solve("e2e")(inst, "decomposed", SolveOptions(time_limit=10, threads=1)))


@pytest.fixture(scope="module")
def schedule() -> tuple[Any, Any]:
    from plantwise.schedule.generator import document_scenario

    inst = document_scenario(2)
    return inst, _plan(_solve("schedule")(inst, "cost", SolveOptions(time_limit=5, threads=1)))


@pytest.fixture(scope="module")
def acceptance() -> tuple[Any, Any]:
    from plantwise.acceptance.generator import generate

    inst = generate(6, 1)
    return inst, _plan(_solve("acceptance")(inst, "centralized", SolveOptions(time_limit=10, threads=1)))


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[HtmlReport]]:
    """Every :class:`HtmlReport` written during the test, to inspect its figures."""
    written: list[HtmlReport] = []
    original = HtmlReport.write

    def write(self: HtmlReport, path: str | Path) -> Path:
        written.append(self)
        return original(self, path)

    monkeypatch.setattr(report_html.HtmlReport, "write", write)
    yield written


FAMILIES = ("offload", "e2e", "schedule", "acceptance")


@pytest.fixture(params=FAMILIES)
def solved(request: pytest.FixtureRequest) -> tuple[str, Any, Any]:
    inst, plan = request.getfixturevalue(request.param)
    return request.param, inst, plan


# ---------------------------------------------------------------------------------- html reading
class _Tables(HTMLParser):
    """Section ids and the data tables (those with a ``<thead>``) of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, Any]] = []  # ("section", id) or ("table", (headers, rows))
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._table: tuple[list[str], list[list[str]]] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "h3") and dict(attrs).get("id"):
            self.items.append(("section", dict(attrs)["id"]))
        elif tag == "table":
            self._table = ([], [])
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            (self._table[0].extend if self._head else self._table[1].append)(self._row)  # type: ignore[operator]
            self._row = None
        elif tag == "thead":
            self._head = False
        elif tag == "table" and self._table is not None:
            if self._table[0]:
                self.items.append(("table", self._table))
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(section id, headers, rows) of every data table of ``page``."""
    parser = _Tables()
    parser.feed(page)
    section, out = "", []
    for kind, value in parser.items:
        if kind == "section":
            section = value
        else:
            out.append((section, value[0], value[1]))
    return out


def table_in(page: str, section: str) -> pd.DataFrame:
    """The first data table under the heading ``id=section``."""
    for sec, headers, rows in tables(page):
        if sec == section:
            return pd.DataFrame(rows, columns=headers)
    raise AssertionError(f"no table in section {section!r}")


def key_values(page: str) -> dict[str, str]:
    """The summary's key-value rows (``<tr><th>key</th><td>value</td></tr>``) of ``page``."""
    return dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", page))


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def assert_offline_page(path: Path) -> str:
    """``path`` is a small page that loads plotly from the one ``plotly.min.js`` beside it."""
    assert path.name == "report.html" and path.is_file()
    page = path.read_text(encoding="utf-8")
    assert path.stat().st_size < MAX_HTML_BYTES, path.stat().st_size
    assert '<script src="plotly.min.js"></script>' in page
    assert "plotly.js v" not in page and "Copyright 2012" not in page  # the bundle's banner: not inlined
    plotly_files = [p.name for p in path.parent.iterdir() if "plotly" in p.name.lower()]
    assert plotly_files == [PLOTLY_JS], plotly_files
    assert (path.parent / PLOTLY_JS).read_bytes() == plotly_js()
    return page


def assert_units(page: str, figures: list[Any]) -> None:
    """Every axis title and every numeric column header carries a unit."""
    assert figures, "the report has no figure"
    for fig in figures:
        layout = fig.to_plotly_json()["layout"]
        titled = {"x": 0, "y": 0}
        for name, axis in layout.items():
            if not re.fullmatch(r"[xy]axis\d*", name):
                continue
            title = ((axis.get("title") or {}).get("text") or "").strip()
            if not title:
                continue
            titled[name[0]] += 1
            if axis.get("type") != "category":
                assert "(" in title or title.lower().startswith(TIME_WORDS), (layout.get("title"), name, title)
        assert titled["x"] and titled["y"], (layout.get("title"), titled)
        for trace in fig.data:
            colorbar = getattr(trace, "colorbar", None)
            if trace.type == "heatmap":
                assert colorbar is not None and "(" in (colorbar.title.text or ""), layout.get("title")
    for section, headers, rows in tables(page):
        for c, header in enumerate(headers):
            cells = [r[c] for r in rows if c < len(r) and r[c] != ""]
            if cells and all(_number(v) is not None for v in cells) and header not in INDEX_COLUMNS:
                assert "(" in header, (section, header)


# ---------------------------------------------------------------------------------- every family
def test_one_signature_offline_page_and_units(solved: tuple[str, Any, Any], tmp_path: Path,
                                              pages: list[HtmlReport]) -> None:
    family, inst, plan = solved
    out = _write(family)(inst, plan, tmp_path / "plan")
    assert out == tmp_path / "plan" / "report.html"
    page = assert_offline_page(out)
    assert [p.name for p in (tmp_path / "plan").iterdir() if p.name.startswith(".")] == []  # no temp file left
    assert len(pages) == 1
    assert_units(page, pages[0].figures)
    assert "independent verification</th><td>passed" in page


def test_a_second_report_in_the_folder_shares_plotly(solved: tuple[str, Any, Any], tmp_path: Path) -> None:
    family, inst, plan = solved
    folder = tmp_path / "plan"
    _write(family)(inst, plan, folder)
    js = folder / PLOTLY_JS
    before = js.stat().st_ino, js.stat().st_mtime_ns
    _write(family)(inst, plan, folder)
    assert (js.stat().st_ino, js.stat().st_mtime_ns) == before  # identical: not rewritten
    assert_offline_page(folder / "report.html")


def _new_schema(summary: dict[str, Any], family: str) -> dict[str, Any]:
    """``summary`` moved to the new layout: common keys on top, the rest under kpis and details."""
    details_keys = {"solve_seconds", "model", "rop_iterations", "path", "phase", "baseline_status", "baseline_gap",
                    "baseline_bound", "baseline_cost_breakdown", "lp_bound", "bound_source", "history"}
    new: dict[str, Any] = {"family": family, "kpis": {}, "details": {}}
    for key, value in summary.items():
        if key in COMMON_KEYS:
            new[key] = value
        else:
            new["details" if key in details_keys else "kpis"][key] = value
    return new


def test_both_summary_schemas_give_the_same_report(solved: tuple[str, Any, Any], tmp_path: Path) -> None:
    family, inst, plan = solved
    old = _write(family)(inst, plan, tmp_path / "old").read_text(encoding="utf-8")
    moved = copy.copy(plan)
    moved.summary = _new_schema(dict(plan.summary), family)
    assert moved.summary.get("kpis")
    new = _write(family)(inst, moved, tmp_path / "new").read_text(encoding="utf-8")
    assert key_values(new) == key_values(old)


def test_summary_value_looks_at_the_top_then_kpis_then_details() -> None:
    s = {"a": 1, "b": None, "kpis": {"b": 2, "c": 3}, "details": {"c": 4, "d": 5}}
    assert [summary_value(s, k) for k in "abcd"] == [1, 2, 3, 5]
    assert summary_value(s, "e", "none") == "none"
    assert summary_value(None, "a", 0) == 0
    assert summary_value({"kpis": "not a mapping"}, "a") is None


def test_plotly_js_is_written_once_atomically_and_repaired(tmp_path: Path) -> None:
    js = ensure_plotly_js(tmp_path)
    first = js.stat().st_ino
    assert ensure_plotly_js(tmp_path).stat().st_ino == first
    js.write_text("truncated")
    assert ensure_plotly_js(tmp_path).read_bytes() == plotly_js()
    assert sorted(p.name for p in tmp_path.iterdir()) == [PLOTLY_JS]
    rep = HtmlReport("tables only")
    rep.table(pd.DataFrame({"x (units)": [1.0]}))
    page = rep.write(tmp_path / "bare" / "page.html").read_text(encoding="utf-8")
    assert "plotly.min.js" not in page and not (tmp_path / "bare" / PLOTLY_JS).exists()


# ---------------------------------------------------------------------------------- schedule
def test_schedule_report_of_a_bare_job_shop(tmp_path: Path, pages: list[HtmlReport]) -> None:
    from plantwise.schedule.shop import read_jsplib

    source = tmp_path / "tiny.jsp"
    source.write_text("3 3\n0 3 1 2 2 2\n0 2 2 1 1 4\n1 4 2 3 0 1\n")
    shop = read_jsplib(source)
    plan = _plan(_solve("schedule")(shop, "makespan", SolveOptions(time_limit=5, threads=1)))
    page = assert_offline_page(_write("schedule")(shop, plan, tmp_path / "plan"))
    assert "<title>plantwise schedule: tiny.jsp</title>" in page
    assert "makespan (time units)" in page
    assert_units(page, pages[0].figures)
    assert not any(fig.layout.shapes for fig in pages[0].figures)  # no calendar breaks drawn


def test_schedule_report_draws_the_calendar_breaks(schedule: tuple[Any, Any], tmp_path: Path,
                                                   pages: list[HtmlReport]) -> None:
    inst, plan = schedule
    page = _write("schedule")(inst, plan, tmp_path).read_text(encoding="utf-8")
    assert f"<title>plantwise schedule: {inst.name}</title>" in page
    gantt = [f for f in pages[0].figures if "Gantt" in (f.layout.title.text or "")]
    assert gantt and all(len(f.layout.shapes) == min(len(inst.calendar.breaks()), 60) for f in gantt)
    assert (tmp_path / "cost_breakdown.csv").is_file()


# ---------------------------------------------------------------------------------- e2e
def test_e2e_report_shows_the_stockouts_and_their_share(e2e: tuple[Any, Any], tmp_path: Path) -> None:
    from plantwise.e2e.reporting import simulation, target_table

    inst, plan = e2e
    sim = simulation(inst, plan)
    assert sim.dc_backlog.sum() > 0, "the instance was chosen to stock out"
    page = _write("e2e")(inst, plan, tmp_path).read_text(encoding="utf-8")
    assert "id='stockouts'" in page
    share = sim.costs["stockout"] / sim.total
    assert key_values(page)["stockout share of the total cost"] == f"{100 * share:.1f} %"
    by_dc = table_in(page, "stockouts-by-dc")
    assert sum(_number(v) or 0 for v in by_dc["backlog (unit-days)"]) == pytest.approx(sim.dc_backlog.sum(), abs=1)
    assert set(by_dc["dc"]) == set(inst.dcs)
    by_sku = table_in(page, "stockouts-by-sku")
    assert len(by_sku) == len({inst.skus[k] for k in inst.dc_pos_sku[sim.dc_backlog.sum(axis=1) > 1e-6]})
    # inventory against target and minimum: its penalties add up to the cost breakdown's
    targets = target_table(inst, sim)
    assert targets["under-target cost (currency)"].sum() == pytest.approx(sim.costs["under_target"], rel=1e-9)
    assert targets["under-minimum cost (currency)"].sum() == pytest.approx(sim.costs["under_minimum"], rel=1e-9)
    assert "id='inventory-vs-target'" in page
    shown = table_in(page, "inventory-vs-target")
    assert set(shown["stock point"]) <= set(inst.plants) | set(inst.dcs) and len(shown) == len(targets)
    for name in ("production_by_line", "line_utilisation", "distribution_by_dc", "inventory_position",
                 "transfers_by_day", "cost_breakdown"):
        assert (tmp_path / f"{name}.csv").is_file()


def test_e2e_report_without_stockouts_says_so(e2e: tuple[Any, Any], tmp_path: Path) -> None:
    inst, plan = e2e
    calm = dataclasses.replace(inst, demand=np.zeros_like(inst.demand))  # same plan, no demand: no backlog
    page = _write("e2e")(calm, plan, tmp_path).read_text(encoding="utf-8")
    assert "id='stockouts'" in page and "No stockouts" in page


# ---------------------------------------------------------------------------------- acceptance
def test_acceptance_report_lists_every_order_once_with_a_reason(acceptance: tuple[Any, Any],
                                                               tmp_path: Path) -> None:
    from plantwise.acceptance.reporting import REASONS
    from plantwise.acceptance.verifier import verify

    inst, plan = acceptance
    page = _write("acceptance")(inst, plan, tmp_path).read_text(encoding="utf-8")
    orders = table_in(page, "orders")
    assert sorted(orders["order"]) == sorted(inst.order_ids)  # each once
    accepted = set(plan.orders.loc[plan.orders["accepted"] == 1, "order"])
    for row in orders.itertuples(index=False):
        decision, reason = row.decision, row.reason  # type: ignore[attr-defined]
        assert decision == ("accepted" if row.order in accepted else "rejected")
        assert (reason in REASONS) if decision == "rejected" else reason == ""
    check = verify(inst, plan)
    agents = table_in(page, "agents").set_index("agent")["cost (currency)"]
    for agent, cost in check.cost_breakdown.items():
        assert _number(agents[agent]) == pytest.approx(cost, abs=0.01)
    load = table_in(page, "machine-load")
    assert sorted(load["machine"]) == sorted(inst.machines["machine"])
    delivered = plan.orders.loc[plan.orders["delivered"] == 1]
    if len(delivered):
        dl = table_in(page, "deliveries")
        assert sorted(dl["order"]) == sorted(delivered["order"])
        stated = delivered.set_index("order")["tardiness_hours"]
        for order, tardy in zip(dl["order"], dl["tardiness (h)"], strict=True):
            assert _number(tardy) == pytest.approx(stated[order], abs=0.01)


def test_acceptance_rejection_rule(acceptance: tuple[Any, Any]) -> None:
    """One rejected order, its economics edited: margin, deadline and capacity in turn."""
    from plantwise.acceptance.reporting import order_decisions

    inst, plan = acceptance
    plan = copy.deepcopy(plan)
    target = str(plan.orders["order"].iat[0])
    row = plan.orders["order"] == target
    plan.orders.loc[row, ["accepted", "delivered", "unmet", "delivery_period"]] = 0
    plan.orders.loc[row, "mode"] = ""
    plan.processing = plan.processing[plan.processing["order"] != target]
    o = inst.orders
    horizon = float(inst.horizon_hours)

    def reason(**changes: float) -> str:
        edited = o.copy()
        for column, value in changes.items():
            edited.loc[edited["order"] == target, column] = value
        decisions = order_decisions(dataclasses.replace(inst, orders=edited), plan).set_index("order")
        assert decisions.loc[target, "decision"] == "rejected"
        return str(decisions.loc[target, "reason"])

    assert reason(revenue=0.0) == "margin"
    # lots of revenue but due at once, and every hour late costs more than it: the deadline
    assert reason(revenue=1e7, deadline_hours=0.0, delay_penalty_per_hour=1e9) == "deadline"
    # lots of revenue, a whole horizon to deliver, no lateness penalty: only capacity can stop it
    few = dict(quantity=1, revenue=1e7, deadline_hours=horizon, delay_penalty_per_hour=0.0)
    assert reason(**few) == "capacity"
    # an order bigger than every transport mode carries in one period: capacity, said so
    big = float(inst.transport["capacity_per_period"].max()) + 1
    assert reason(quantity=big, revenue=1e12, deadline_hours=horizon, delay_penalty_per_hour=0.0) == "capacity"
    edited = o.copy()
    edited.loc[edited["order"] == target, "quantity"] = big
    edited.loc[edited["order"] == target, "revenue"] = 1e12
    detail = order_decisions(dataclasses.replace(inst, orders=edited), plan).set_index("order").loc[target, "detail"]
    assert "transport" in detail
