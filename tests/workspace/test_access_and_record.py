"""Access control (the token), refusing to bind beyond loopback without one, and a plan made by
the CLI (``plantwise demo``) recorded in the store and shown by the workspace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import TINY, serve, settings_for

from plantwise.core.family import families
from plantwise.core.pipeline import solve
from plantwise.workspace.app import create_app
from plantwise.workspace.record import record
from plantwise.workspace.settings import WorkspaceSettings, is_loopback


def test_token_guards_every_request(tmp_path: Path) -> None:
    settings = WorkspaceSettings(data_dir=tmp_path / "store", token="s3cret-token")
    with TestClient(create_app(settings, start_workers=False)) as c:
        for path in ("/api/families", "/api/runs", "/openapi.json"):
            r = c.get(path)
            assert r.status_code == 401 and "token" in r.json()["detail"]
        assert c.get("/").status_code == 401
        assert c.get("/api/families", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/families", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        r = c.get("/?token=s3cret-token", follow_redirects=False)  # a page opened with the token sets a cookie
        assert r.status_code == 303 and "token" not in r.headers["location"]
        assert "plantwise_token" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/").status_code == 200  # the cookie now
    assert "s3cret-token" not in repr(settings) and settings.for_worker()["token"] == ""


def test_serve_refuses_other_addresses_without_token(tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    done = subprocess.run([sys.executable, "-m", "plantwise", "serve", "--host", "0.0.0.0", "--data",
                           str(tmp_path / "d")], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert done.returncode == 2 and "--token" in done.stdout + done.stderr
    assert not (tmp_path / "d").exists()


def test_one_server_per_store(tmp_path: Path) -> None:
    with serve(tmp_path / "store", "--workers", "1") as (_base, proc):
        second = subprocess.run([sys.executable, "-m", "plantwise", "serve", "--data", str(tmp_path / "store"),
                                 "--port", "1"], capture_output=True, text=True, timeout=60,
                                env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
        assert second.returncode == 2 and f"pid {proc.pid}" in second.stdout + second.stderr
    assert not (tmp_path / "store" / "server.pid").exists()  # released when the server stopped


@pytest.mark.parametrize("fam", ["offload", "acceptance"])
def test_recorded_plan_shows_in_the_workspace(tmp_path: Path, fam: str) -> None:
    family = families()[fam]
    inst = family.generate(family.generate_params(**TINY[fam]))
    solution = solve(family, inst, time_limit=20, handle_signals=False)
    solution.save(tmp_path / "plan", inst)
    settings = settings_for(tmp_path / "store")
    dataset_id, run_id = record(settings, fam, inst, tmp_path / "plan", "demo")
    assert (tmp_path / "plan" / "summary.json").is_file()  # copied, not moved
    with TestClient(create_app(settings, start_workers=False)) as c:
        run = c.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "succeeded" and run["dataset_id"] == dataset_id and run["verified"] is True
        assert run["objective"] == pytest.approx(solution.objective)
        assert c.get(f"/api/datasets/{dataset_id}").json()["source"] == "demo"
        page = c.get(f"/runs/{run_id}")
        assert page.status_code == 200 and "plotly-figure" in page.text
