"""The REST API over a real store and real spawned workers (FastAPI's TestClient), on tiny
instances of every family: upload valid and invalid data, generate, submit, poll to the end,
fetch the plan and its artifacts, cancel, compare, derive a scenario; on SQLite and, when a
server is available, on PostgreSQL."""

from __future__ import annotations

import io
import json
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from support import FAST, TINY, settings_for, wait_final

from plantwise.core.family import families
from plantwise.core.pipeline import verify_folder
from plantwise.core.summary import schema_errors
from plantwise.workspace.app import create_app


def _zip_instance(fam: str, folder: Path, **changes: Any) -> bytes:
    family = families()[fam]
    family.generate(family.generate_params(**(TINY[fam] | changes))).save(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.iterdir()):
            z.write(p, p.name)
    return buf.getvalue()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    app = create_app(settings_for(tmp_path_factory.mktemp(f"store-{request.param}"), url, workers=2))
    with TestClient(app) as c:
        c.store = request.param  # type: ignore[attr-defined]
        yield c


@pytest.fixture(scope="module")
def solved(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Per family: a dataset uploaded as a CSV zip, a run of it (submitted together, so both
    workers are busy), its final state."""
    out: dict[str, dict[str, Any]] = {}
    for fam in TINY:
        data = _zip_instance(fam, tmp_path_factory.mktemp(f"{fam}-upload"))
        r = client.post("/api/datasets", data={"family": fam, "name": f"{fam}-tiny"},
                        files={"file": (f"{fam}.zip", data, "application/zip")})
        assert r.status_code == 201, r.text
        dataset = r.json()
        r = client.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 30, **FAST[fam]})
        assert r.status_code == 202, r.text
        assert r.headers["location"] == f"/api/runs/{r.json()['id']}"
        assert r.json()["status"] in ("queued", "running")
        out[fam] = {"dataset": dataset, "run": r.json()}
    for fam in out:
        out[fam]["final"] = wait_final(client.get, out[fam]["run"]["id"])
    return out


@pytest.mark.parametrize("fam", list(TINY))
def test_run_lifecycle(client: TestClient, solved: dict[str, dict[str, Any]], fam: str, tmp_path: Path) -> None:
    final = solved[fam]["final"]
    assert final["status"] == "succeeded", final
    assert final["solve_status"] in ("optimal", "feasible")
    assert final["verified"] is True and final["attempts"] == 1
    run_id = final["id"]
    detail = client.get(f"/api/runs/{run_id}").json()
    summary = detail["summary"]
    assert schema_errors(summary) == []  # the contract's summary.json, as the CLI writes it
    assert summary["family"] == fam and summary["objective"] == pytest.approx(final["objective"])
    names = {a["name"] for a in detail["artifacts"]}
    assert {"summary.json", "report.html"} <= names

    plan = client.get(f"/api/runs/{run_id}/plan").json()
    assert plan["verification"] == {"verified": True, "violations": []}
    assert plan["tables"] and all(t["columns"] for t in plan["tables"].values())
    table = next(iter(plan["tables"]))
    page = client.get(f"/api/runs/{run_id}/plan/{table}", params={"limit": 5}).json()
    assert page["total"] == plan["tables"][table]["rows"] and len(page["rows"]) == min(5, page["total"])

    # the downloaded plan folder verifies against the downloaded dataset, outside the workspace
    z = client.get(f"/api/runs/{run_id}/download", params={"format": "zip"})
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(z.content)).extractall(tmp_path / "plan")
    d = client.get(f"/api/datasets/{final['dataset_id']}/download", params={"format": "zip"})
    zipfile.ZipFile(io.BytesIO(d.content)).extractall(tmp_path / "instance")
    family = families()[fam]
    check = verify_folder(family, family.load(tmp_path / "instance"), tmp_path / "plan")
    assert check.verification.ok and check.objective == pytest.approx(final["objective"])

    x = client.get(f"/api/runs/{run_id}/download", params={"format": "xlsx"})
    sheets = pd.read_excel(io.BytesIO(x.content), sheet_name=None)
    assert "summary" in sheets and set(plan["tables"]) <= set(sheets)
    report = client.get(f"/api/runs/{run_id}/artifacts/report.html")
    assert report.status_code == 200 and "plotly.min.js" in report.text
    assert client.get(f"/api/runs/{run_id}/artifacts/plotly.min.js").status_code == 200
    settings = client.app.state.settings  # the report's library is one file in the store, linked into each plan
    assert (settings.data_dir / "runs" / run_id / "plan" / "plotly.min.js").samefile(
        settings.data_dir / "assets" / "plotly.min.js")
    log = client.get(f"/api/runs/{run_id}/log")
    assert "attempt 1" in log.text and "finished: succeeded" in log.text
    assert int(log.headers["x-log-size"]) == len(log.content)
    assert client.get(f"/api/runs/{run_id}/log", params={"offset": len(log.content)}).text == ""

    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200 and 'id="verified"' in page.text and "plotly-figure" in page.text
    events = client.get(f"/api/runs/{run_id}/events")  # a final run: one event, then the stream ends
    assert events.headers["content-type"].startswith("text/event-stream")
    assert json.loads(events.text.split("data: ", 1)[1].split("\n", 1)[0])["status"] == "succeeded"


def test_workbook_round_trip_and_generate(client: TestClient, solved: dict[str, dict[str, Any]]) -> None:
    for fam, item in solved.items():
        dataset = item["dataset"]
        book = client.get(f"/api/datasets/{dataset['id']}/download", params={"format": "xlsx"})
        assert book.status_code == 200
        r = client.post("/api/datasets", data={"family": fam, "name": dataset["name"]},
                        files={"file": ("book.xlsx", book.content, "application/octet-stream")})
        assert r.status_code == 201, r.text
        again = r.json()
        assert again["checksum"] == dataset["checksum"]  # the same instance, a new version
        assert again["version"] > dataset["version"] and again["id"] != dataset["id"]
    r = client.post("/api/datasets/generate", json={"family": "acceptance", "options": {"orders": 5, "seed": 3}})
    assert r.status_code == 201 and r.json()["options"]["orders"] == 5 and r.json()["source"] == "generate"
    bad = client.post("/api/datasets/generate", json={"family": "acceptance", "options": {"orders": 0}})
    assert bad.status_code == 422 and "minimum" in bad.json()["detail"]
    bad = client.post("/api/datasets/generate", json={"family": "acceptance", "options": {"colour": 1}})
    assert bad.status_code == 422 and "colour" in bad.json()["detail"]
    assert client.post("/api/datasets/generate", json={"family": "nope"}).status_code == 422
    listed = client.get("/api/datasets", params={"family": "acceptance"}).json()
    assert listed and {d["family"] for d in listed} == {"acceptance"}


def test_invalid_upload_names_file_row_column_and_stores_nothing(client: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "inst"
    _zip_instance("offload", folder)
    orders = pd.read_csv(folder / "orders.csv", dtype=str)
    orders.loc[2, "due_period"] = "soon"
    orders.to_csv(folder / "orders.csv", index=False)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in sorted(folder.iterdir()):
            z.write(p, f"instance/{p.name}")  # a zipped folder works as well as zipped files
    before = len(client.get("/api/datasets", params={"limit": 1000}).json())
    r = client.post("/api/datasets", data={"family": "offload"}, files={"file": ("bad.zip", buf.getvalue())})
    assert r.status_code == 422
    errors = r.json()["errors"]
    first = {k: errors[0][k] for k in ("file", "row", "column")}
    assert first == {"file": "orders.csv", "row": 4, "column": "due_period"}
    assert len(client.get("/api/datasets", params={"limit": 1000}).json()) == before
    page = client.post("/ui/datasets/upload", data={"family": "offload"}, files={"file": ("bad.zip", buf.getvalue())})
    assert page.status_code == 422 and "orders.csv" in page.text and "due_period" in page.text


def _zip(entries: list[tuple[str, bytes]], symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return buf.getvalue()


@pytest.mark.parametrize(("entries", "symlink", "reason"), [
    ([("../evil.csv", b"x")], None, "outside"),
    ([("/abs.csv", b"x")], None, "outside"),
    ([("orders.csv", b"x")], "sites.csv", "symbolic link"),
    ([(f"f{k}.csv", b"x") for k in range(250)], None, "entries"),
    ([("a/b/c.csv", b"x")], None, "top level"),
    ([], None, "no file"),
])
def test_zip_slip_and_limits_refused(client: TestClient, entries: list[tuple[str, bytes]], symlink: str | None,
                                     reason: str) -> None:
    r = client.post("/api/datasets", data={"family": "offload"}, files={"file": ("x.zip", _zip(entries, symlink))})
    assert r.status_code == 422 and reason in r.json()["detail"]
    r = client.post("/api/datasets", data={"family": "offload"}, files={"file": ("x.txt", b"hello")})
    assert r.status_code == 422 and ".zip" in r.json()["detail"]


def test_scenario_with_diff_and_compare(client: TestClient, solved: dict[str, dict[str, Any]]) -> None:
    base = solved["offload"]["dataset"]
    orders = client.get(f"/api/datasets/{base['id']}/tables/orders").json()
    col = orders["columns"].index("due_period")
    order = orders["rows"][0][orders["columns"].index("order")]
    due = orders["rows"][0][col]
    r = client.post(f"/api/datasets/{base['id']}/scenarios",
                    json={"name": "tight", "edits": [{"table": "orders", "row": 0, "column": "due_period",
                                                      "value": due + 5}]})
    assert r.status_code == 201, r.text
    scenario = r.json()
    assert scenario["base_id"] == base["id"] and scenario["source"] == "scenario"
    changed = scenario["changes"]["tables"]["orders"]["changed"]
    assert changed == [{"key": {"order": order}, "column": "due_period", "before": str(due),
                        "after": str(due + 5)}]
    assert client.get(f"/api/datasets/{base['id']}").json()["checksum"] == base["checksum"]  # the base is unchanged

    # invalid edits are refused with the reason, nothing stored
    for edit, words in [({"table": "orders", "row": 999, "column": "due_period", "value": 3}, "outside"),
                        ({"table": "nope", "row": 0, "column": "x", "value": 3}, "no table"),
                        ({"table": "orders", "row": 0, "column": "due_period", "value": "later"}, "due_period"),
                        ({"table": "orders", "row": 0, "column": "due_period", "value": due}, "identical")]:
        bad = client.post(f"/api/datasets/{base['id']}/scenarios", json={"edits": [edit]})
        assert bad.status_code == 422, edit
        assert words in json.dumps(bad.json()), bad.json()
    files = client.post(f"/api/datasets/{base['id']}/scenarios/upload",
                        files=[("files", ("orders.csv", b"order,product_type\nX,Y\n"))])
    assert files.status_code == 422 and files.json()["errors"]

    run_b = client.post("/api/runs", json={"dataset_id": scenario["id"], "time_limit": 30, **FAST["offload"]}).json()
    state = wait_final(client.get, run_b["id"])
    assert state["status"] == "succeeded", state
    run_a = solved["offload"]["final"]["id"]
    cmp = client.get("/api/compare", params=[("runs", run_a), ("runs", run_b["id"])])
    assert cmp.status_code == 200, cmp.text
    result = cmp.json()
    assert result["runs"] == [run_a, run_b["id"]] and result["family"] == "offload"
    assert {row["key"] for row in result["headline"]} >= {"objective", "gap", "seconds", "status"}
    assert [d["table"] for d in result["decisions"]] == ["assignments", "purchases", "transshipments"]
    decision = result["decisions"][0]
    # the truth from the two plans' assignment tables
    a = pd.read_csv(io.BytesIO(client.get(f"/api/runs/{run_a}/artifacts/assignments.csv").content))
    b = pd.read_csv(io.BytesIO(client.get(f"/api/runs/{run_b['id']}/artifacts/assignments.csv").content))
    both = a.merge(b, on="order", suffixes=("_a", "_b"))
    moved = both[(both.site_a != both.site_b) | (both.start_a != both.start_b)]
    assert decision["count"] == len(moved) and decision["table"] == "assignments"
    assert sorted(r[0] for r in decision["rows"]) == sorted(moved["order"].astype(str))
    page = client.get("/compare", params=[("runs", run_a), ("runs", run_b["id"])])
    assert page.status_code == 200 and f'data-table="assignments" data-count="{len(moved)}"' in page.text
    other = solved["e2e"]["final"]["id"]
    assert client.get("/api/compare", params=[("runs", run_a), ("runs", other)]).status_code == 422
    assert client.get("/api/compare", params=[("runs", run_a)]).status_code == 422


def test_cancel_keeps_the_best_plan(client: TestClient) -> None:
    dataset = client.post("/api/datasets/generate",
                          json={"family": "offload", "options": {"orders": 60, "seed": 3, "horizon": 40}}).json()
    run = client.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 120,
                                         "method": "milp", "params": {"baseline": False}}).json()
    queued = client.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 5}).json()
    queued2 = client.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 5}).json()
    # the second worker takes one of the short runs: cancel both short ones, one may have started
    for extra in (queued, queued2):
        client.post(f"/api/runs/{extra['id']}/cancel")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for an incumbent before cancelling
        state = client.get(f"/api/runs/{run['id']}").json()
        if state["status"] == "running" and state["progress"].get("incumbent") is not None:
            break
        time.sleep(0.3)
    assert state["status"] == "running", state
    r = client.post(f"/api/runs/{run['id']}/cancel")
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    final = wait_final(client.get, run["id"], timeout=60)
    assert final["status"] == "interrupted" and final["solve_status"] == "interrupted"
    assert final["verified"] is True and final["objective"] is not None and "cancelled" in final["message"]
    assert client.get(f"/api/runs/{run['id']}").json()["summary"]["interrupted_by"] == "cancel"
    assert client.get(f"/api/runs/{run['id']}/plan").status_code == 200
    for extra in (queued, queued2):
        state = wait_final(client.get, extra["id"])
        assert state["status"] in ("cancelled", "interrupted", "succeeded")
    assert client.post(f"/api/runs/{run['id']}/cancel").json()["status"] == "interrupted"  # final stays final


def test_bad_requests_are_clear(client: TestClient, solved: dict[str, dict[str, Any]]) -> None:
    dataset = solved["offload"]["dataset"]["id"]
    for body, words in [({"dataset_id": "nope"}, "no dataset"),
                        ({"dataset_id": dataset, "method": "magic"}, "unknown method"),
                        ({"dataset_id": dataset, "params": {"colour": 1}}, "colour"),
                        ({"dataset_id": dataset, "time_limit": -1}, "time_limit")]:
        r = client.post("/api/runs", json=body)
        assert r.status_code in (404, 422) and words in r.json()["detail"], r.json()
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/api/runs/nope").json()["detail"] == "no run 'nope'"
    run_id = solved["offload"]["final"]["id"]
    assert client.get(f"/api/runs/{run_id}/artifacts/..%2Fsummary.json").status_code == 404
    assert client.get(f"/api/runs/{run_id}/artifacts/log.txt").status_code == 404  # only plan files
    assert client.get("/runs/nope").status_code == 404
