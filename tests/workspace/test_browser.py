"""Real-browser tests of the workspace: Playwright drives Debian's chromium against a real
``plantwise serve`` subprocess — upload, solve with live progress, the plan view and its
downloads per family; comparing two runs; editing cells into a scenario.

``PLANTWISE_SCREENSHOTS=1`` also writes the README's screenshot to docs/images/workspace.png.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from support import FAST, FINAL, TINY, serve, wait_final

import plantwise

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1280, "height": 900}
README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "workspace.png"
FINAL_TIMEOUT_MS = 120_000
STATUSES = ("queued", "running", *FINAL)

# records every status the badge shows in sessionStorage, which survives the page's own reload
RECORD_STATUSES = """() => {
  const key = "plantwise-statuses";
  const note = () => {
    const seen = JSON.parse(sessionStorage.getItem(key) || "[]");
    const text = document.querySelector("#run-status").textContent.trim();
    if (seen[seen.length - 1] !== text) { seen.push(text); sessionStorage.setItem(key, JSON.stringify(seen)); }
  };
  note();
  new MutationObserver(note).observe(document.querySelector("#run-status"),
                                     {childList: true, subtree: true, characterData: true});
  window.plantwiseNotReloaded = true;
}"""


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium); the browser tests need it")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``plantwise serve`` (one worker) for the module's tests; yields its base URL."""
    data = tmp_path_factory.mktemp("browser") / "data"
    with serve(data, "--workers", "1") as (base, _proc):
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(30_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield p
        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


# ---------------------------------------------------------------------- helpers


def instance_zip(family: str, folder: Path) -> Path:
    """The tiny instance of ``family`` as a flat zip of its files."""
    fam = plantwise.families()[family]
    inst = fam.generate(fam.generate_params(**TINY[family]))
    src = folder / f"{family}-instance"
    src.mkdir()
    inst.save(src)
    target = folder / f"{family}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(src.iterdir()):
            if path.is_file():
                zf.write(path, path.name)
    return target


def upload_dataset(client: httpx.Client, family: str, folder: Path) -> dict[str, Any]:
    path = instance_zip(family, folder)
    r = client.post("/api/datasets", data={"family": family, "name": f"{family} tiny"},
                    files={"file": (path.name, path.read_bytes(), "application/zip")})
    assert r.status_code == 201, r.text
    return r.json()


def submit_api(client: httpx.Client, dataset_id: str, family: str, label: str) -> str:
    body = {"dataset_id": dataset_id, "method": FAST[family]["method"], "params": FAST[family]["params"],
            "time_limit": 20, "label": label}
    r = client.post("/api/runs", json=body)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def set_field(page: Any, name: str, value: Any) -> None:
    """Fill a form control of the run form by name: a select or a text input."""
    field = page.locator(f'#run-form [name="{name}"]')
    assert field.count() == 1, f"no field {name} in the run form"
    assert field.is_enabled(), f"the field {name} is disabled (another method's fieldset?)"
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(str(value))
    else:
        field.fill(str(value).lower() if isinstance(value, bool) else str(value))


def download(page: Any, selector: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    dl = info.value
    assert dl.failure() is None, dl.failure()
    target = folder / dl.suggested_filename
    dl.save_as(target)
    assert target.stat().st_size > 0, f"{selector}: empty download"
    return target


def screenshot(page: Any, path: Path, full_page: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    assert path.is_file() and path.stat().st_size > 0, f"no screenshot at {path}"


# ---------------------------------------------------------------------- upload, solve, plan, download


@pytest.mark.parametrize("family", ["offload", "e2e", "schedule", "acceptance"])
def test_upload_solve_plan_download(page: Any, server: str, family: str, tmp_path: Path) -> None:
    upload = instance_zip(family, tmp_path)
    method, params = FAST[family]["method"], FAST[family]["params"]

    # upload
    page.goto(server + "/")
    page.select_option("#upload-form select[name=family]", family)
    page.set_input_files("#upload-form input[name=file]", str(upload))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert re.search(r"/datasets/[^/?]+$", page.url), f"not on a dataset page: {page.url}"
    assert page.locator("#message").count() == 0, page.locator("#message").inner_text()
    assert family in page.locator("#dataset-title").inner_text()
    dataset_id = page.url.rsplit("/", 1)[1]

    # submit
    page.select_option("#run-form select[name=method]", method)
    assert page.locator(f'#run-form fieldset.method-options[data-method="{method}"]').is_visible()
    page.fill("#run-form input[name=time_limit]", "20")
    for name, value in params.items():
        set_field(page, f"param.{method}.{name}", value)
    with page.expect_navigation():
        page.click("#submit-run")
    assert re.search(r"/runs/[^/?]+$", page.url), f"not on a run page: {page.url}"
    run_id = page.url.rsplit("/", 1)[1]

    # live progress: the badge follows the run; on a final state the page reloads itself
    page.wait_for_selector("#status-box")
    assert page.locator("#status-box").get_attribute("data-run") == run_id
    first = page.locator("#run-status .badge").inner_text().strip()
    assert first in STATUSES
    for cell in ("#p-incumbent", "#p-bound", "#p-gap", "#p-elapsed"):
        assert page.locator(cell).count() == 1
    if first not in FINAL:
        assert page.locator("#status-box").get_attribute("data-final") == "false"
        assert page.locator("#cancel-run").is_visible()
        page.evaluate(RECORD_STATUSES)
    page.wait_for_selector("#verification", timeout=FINAL_TIMEOUT_MS)
    page.wait_for_load_state("load")
    if first not in FINAL:
        # the page reloaded itself (our marker is gone) after the live stream showed a final state
        assert page.evaluate("window.plantwiseNotReloaded === undefined")
        seen = page.evaluate("JSON.parse(sessionStorage.getItem('plantwise-statuses') || '[]')")
        assert seen[0] == first and seen[-1] in FINAL, seen
        assert all(s in STATUSES for s in seen), seen
    assert page.locator("#status-box").get_attribute("data-final") == "true"
    assert page.locator("#run-status .badge").inner_text().strip() == "succeeded"
    assert page.locator("#cancel-run").count() == 0
    page.wait_for_selector("#verified")

    state = httpx.get(f"{server}/api/runs/{run_id}").json()
    assert state["status"] == "succeeded" and state["dataset_id"] == dataset_id
    assert state["method"] == method
    assert state["options"]["time_limit"] == 20
    summary = state.get("summary") or {}
    if state["objective"] is not None:  # a final page shows the run's result, not its last progress event
        shown = float(page.locator("#p-incumbent").inner_text().replace(",", ""))
        assert shown == pytest.approx(state["objective"], rel=1e-5, abs=0.01)
    assert summary.get("verified") is True
    if family == "offload":
        # the form's parameters reached the run; the instance's own replenishment rule was kept
        assert state["options"]["params"].get("baseline") is False
        assert "replenishment" not in state["options"]["params"], state["options"]
        assert summary.get("params", {}).get("replenishment", "free") == "free"

    # the plan view: headline, key figures, costs, figures, plan tables
    assert page.locator("#headline").count() == 1
    assert page.locator("#kpis").count() == 1 and page.locator("#kpis tr").count() > 0
    assert page.locator("#costs").count() == 1
    figures = page.locator(".plotly-figure")
    assert figures.count() >= 1, "no figures on the plan page"
    for k in range(figures.count()):
        fig = figures.nth(k)
        fig.locator(".main-svg").first.wait_for(state="attached")
        assert "js-plotly-plot" in (fig.get_attribute("class") or ""), f"figure {k + 1} is not a plotly plot"
    if page.locator("#progress-chart .main-svg").count():  # the solve's history, titled (plotly.js >= 3: {text})
        assert page.locator("#progress-chart .gtitle").text_content() == "incumbent and bound"
        assert page.locator("#progress-chart .xtitle").text_content() == "seconds"
    tables = page.locator("table.data")
    assert tables.count() >= 1, "no plan table"
    assert page.locator("table.data tbody tr").count() > 0, "the plan table has no rows"
    assert page.locator("nav.tabs a").count() >= 1

    shot = tmp_path / f"{family}-plan.png"
    screenshot(page, shot)
    if family == "offload" and os.environ.get("PLANTWISE_SCREENSHOTS") == "1":
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, README_SHOT, full_page=False)
        assert README_SHOT.stat().st_size < 500_000

    # downloads
    xlsx = download(page, "#download-xlsx", tmp_path)
    assert xlsx.suffix == ".xlsx" and xlsx.read_bytes()[:2] == b"PK"
    with zipfile.ZipFile(xlsx) as zf:
        assert any(n.startswith("xl/worksheets/") for n in zf.namelist())
    plan_zip = download(page, "#download-zip", tmp_path)
    assert plan_zip.suffix == ".zip"
    with zipfile.ZipFile(plan_zip) as zf:
        names = zf.namelist()
        assert "summary.json" in names, names
        assert any(n.endswith(".csv") for n in names), names
        assert b'"verified"' in zf.read("summary.json")


# ---------------------------------------------------------------------- compare


def test_compare_two_runs(page: Any, server: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        base = upload_dataset(client, "offload", tmp_path)
        orders = client.get(f"/api/datasets/{base['id']}/tables/orders").json()
        columns = orders["columns"]
        due = columns.index("due_period")
        # the first order falls due a period earlier: the scenario's plan must start it earlier
        edits = [{"table": "orders", "row": 0, "column": "due_period", "value": 10}]
        assert int(orders["rows"][0][due]) > 10
        r = client.post(f"/api/datasets/{base['id']}/scenarios", json={"name": "urgent order", "edits": edits})
        assert r.status_code == 201, r.text
        scenario = r.json()
        run_a = submit_api(client, base["id"], "offload", "base plan")
        run_b = submit_api(client, scenario["id"], "offload", "urgent-order plan")
        for run_id in (run_a, run_b):
            assert wait_final(client.get, run_id)["status"] == "succeeded"

        page.goto(server + "/runs")
        for run_id in (run_a, run_b):
            box = page.locator(f'tr[data-run="{run_id}"] .compare-box')
            box.check()
            assert box.is_checked()
        with page.expect_navigation():
            page.click("#compare-button")
        assert urlparse(page.url).path == "/compare"
        ids = parse_qs(urlparse(page.url).query)["runs"]
        assert sorted(ids) == sorted([run_a, run_b])
        truth = client.get("/api/compare", params={"runs": ids})
        assert truth.status_code == 200, truth.text
        truth_json = truth.json()

    assert page.locator("#compare-error").count() == 0
    assert page.locator("#compare-table").is_visible()
    headers = page.locator("#compare-table thead th").all_inner_texts()
    assert any("base plan" in h for h in headers) and any("urgent-order plan" in h for h in headers), headers
    sections = page.locator("#decisions section.decision")
    shown = [(sections.nth(k).get_attribute("data-table"), int(sections.nth(k).get_attribute("data-count") or -1))
             for k in range(sections.count())]
    expected = [(d["table"], d["count"]) for d in truth_json["decisions"]]
    assert shown == expected and shown, (shown, expected)
    assert any(count > 0 for _, count in shown), f"the plans should differ: {shown}"
    for k, (_, count) in enumerate(shown):
        assert sections.nth(k).locator(".count").inner_text().strip() == str(count)
        if count:
            rows = sections.nth(k).locator("tbody tr").count()
            assert rows == min(count, 500)
    # the objective row of the page shows the API's objectives
    objective_row = page.locator("#compare-table tbody tr", has=page.locator("th", has_text=re.compile("^objective$")))
    shown_objectives = [float(t.replace(",", "")) for t in objective_row.locator("td").all_inner_texts()]
    assert shown_objectives == pytest.approx(truth_json["objective"], rel=1e-5, abs=0.01)
    screenshot(page, tmp_path / "compare.png")


# ---------------------------------------------------------------------- scenario editing


def test_scenario_cell_edit(page: Any, server: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        base = upload_dataset(client, "offload", tmp_path)

    page.goto(f"{server}/datasets/{base['id']}?table=orders")
    assert page.locator("table.editable").get_attribute("data-table") == "orders"
    cell = page.locator('table.editable td[data-row="1"][data-column="due_period"]')
    order = page.locator('table.editable td[data-row="1"][data-column="order"]').inner_text().strip()
    before = cell.inner_text().strip()
    after = str(int(before) + 3)
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(after)
    assert cell.inner_text().strip() == after
    assert "edited" in (cell.get_attribute("class") or "")
    assert page.locator("#edit-count").inner_text().startswith("1 cell")
    page.fill('#scenario-form input[name="name"]', "later due")
    with page.expect_navigation():
        page.click("#save-scenario")

    assert re.search(r"/datasets/[^/?]+$", page.url), page.url
    new_id = page.url.rsplit("/", 1)[1]
    assert new_id != base["id"]
    assert page.locator("#message").count() == 0
    diff = page.locator("#diff")
    assert diff.is_visible()
    assert "1 cell(s) changed" in diff.locator("h3").first.inner_text()
    rows = diff.locator("table.diff tbody tr")
    assert rows.count() == 1
    assert order in rows.first.locator("td").first.inner_text()
    assert rows.first.locator("td").nth(1).inner_text().strip() == "due_period"
    assert rows.first.locator("td.before").inner_text().strip() == before
    assert rows.first.locator("td.after").inner_text().strip() == after
    assert page.locator(f'p.note a[href="/datasets/{base["id"]}"]').count() == 1  # "scenario of" the base
    screenshot(page, tmp_path / "scenario.png")

    stored = httpx.get(f"{server}/api/datasets/{new_id}/tables/orders", params={"q": f"order={order}"}).json()
    assert str(stored["rows"][0][stored["columns"].index("due_period")]) == after
