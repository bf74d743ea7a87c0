"""Re-planning in the workspace: a run's plan re-planned after a changes file (a new run linked to
its parent, its dataset the changed instance as a scenario, compare showing the changes); bad
changes refused naming event and field; the store migrated from the first schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from support import FAST, settings_for, wait_final

from plantwise.workspace.app import create_app
from plantwise.workspace.db import make_engine, upgrade


def test_replan_a_run_in_the_workspace(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path / "store"))) as c:
        dataset = c.post("/api/datasets/generate", json={"family": "offload", "options": {
            "orders": 12, "seed": 2, "horizon": 25, "replenishment": "free"}}).json()
        parent = c.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 30, **FAST["offload"]}).json()
        assert wait_final(c.get, parent["id"])["status"] == "succeeded"
        plan = c.get(f"/api/runs/{parent['id']}/plan/assignments", params={"sort": "start"}).json()
        late = [r[0] for r in plan["rows"] if r[2] >= 8]
        changes = {"now": 4, "freeze_until": 7, "change_penalty": 1000,
                   "events": [{"kind": "cancel_order", "order": late[0]}]}
        bad = c.post(f"/api/runs/{parent['id']}/replan", json={"changes": {"now": 4, "events": [
            {"kind": "explode", "order": "x"}]}})
        assert bad.status_code == 422 and "event 1 (explode)" in bad.text
        assert bad.json()["errors"][0]["column"] == "kind"
        r = c.post(f"/api/runs/{parent['id']}/replan", json={"changes": changes, "time_limit": 30})
        assert r.status_code == 202, r.text
        child = wait_final(c.get, r.json()["id"])
        assert child["status"] == "succeeded" and child["kind"] == "replan" and child["parent_id"] == parent["id"]
        detail = c.get(f"/api/runs/{child['id']}").json()
        assert detail["summary"]["kpis"]["changes"] >= 1 and detail["summary"]["verified"] is True
        assert "changes.csv" in {a["name"] for a in detail["artifacts"]}
        scenario = c.get(f"/api/datasets/{child['dataset_id']}").json()
        assert scenario["source"] == "replan" and scenario["base_id"] == dataset["id"]
        assert scenario["changes"]["tables"]["orders"]["removed_count"] == 1
        cmp = c.get("/api/compare", params=[("runs", parent["id"]), ("runs", child["id"])]).json()
        moved = next(d for d in cmp["decisions"] if d["table"] == "assignments")
        assert [row[0] for row in moved["rows"] if row[-1] == "only in A"] == [late[0]]
        page = c.get(f"/runs/{child['id']}")
        assert page.status_code == 200 and 'id="replan-of"' in page.text and 'id="compare-parent"' in page.text
        form = c.post(f"/ui/runs/{parent['id']}/replan", data={"changes": "now: 99\n"})
        assert form.status_code == 422 and "outside the horizon" in form.text


def test_replan_a_schedule_run_after_a_machine_down(tmp_path: Path) -> None:
    """The same action for another family (hours, CP-SAT): the changed instance's downtime
    table is stored in the scenario and its diff."""
    with TestClient(create_app(settings_for(tmp_path / "store"))) as c:
        dataset = c.post("/api/datasets/generate", json={"family": "schedule", "options": {"scenario": 2}}).json()
        parent = c.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 30}).json()
        assert wait_final(c.get, parent["id"])["status"] == "succeeded"
        changes = {"now": 28, "freeze_until": 32, "change_penalty": 100,
                   "events": [{"kind": "machine_down", "machine": "COA1", "from": 48, "to": 56}]}
        r = c.post(f"/api/runs/{parent['id']}/replan", json={"changes": changes, "time_limit": 30})
        assert r.status_code == 202, r.text
        child = wait_final(c.get, r.json()["id"])
        assert child["status"] == "succeeded" and child["kind"] == "replan", child
        detail = c.get(f"/api/runs/{child['id']}").json()
        assert detail["summary"]["verified"] is True and detail["summary"]["family"] == "schedule"
        scenario = c.get(f"/api/datasets/{child['dataset_id']}").json()
        assert scenario["changes"]["tables"]["machine_downtime"]["added_count"] == 1


def test_a_store_of_the_first_schema_is_migrated(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from plantwise.workspace.db import MIGRATIONS

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO datasets VALUES ('d1','offload','x',1,NULL,'upload','2026-01-01','c','',"
                          "'[]','{}','{}','{}')"))
        c.execute(sa.text("INSERT INTO runs (id, family, dataset_id, label, method, options, status, cancel_requested,"
                          " attempts, created_at, progress, message) VALUES ('r1','offload','d1','','milp','{}',"
                          "'succeeded',0,1,'2026-01-01','{}','')"))
    upgrade(engine)
    with engine.connect() as c:
        row = c.execute(sa.text("SELECT kind, parent_id, changes FROM runs WHERE id='r1'")).one()
        head = c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert tuple(row) == ("solve", None, None) and head == "0002"
    engine.dispose()


@pytest.mark.parametrize("store", ["postgresql"])
def test_the_replan_columns_exist_on_postgresql(store: str, pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("runs")}
    assert {"kind", "parent_id", "changes"} <= columns
    engine.dispose()
