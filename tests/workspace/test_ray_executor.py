"""``--executor ray``: the supervisor sends each run as a Ray task (here to a local Ray
instance started by the test); the task reaches the same store, and a cancel stops it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import FAST, TINY, wait_final

from plantwise.workspace.app import create_app
from plantwise.workspace.settings import WorkspaceSettings

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install plantwise[ray])")


@pytest.fixture
def ray_local() -> None:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_runs_execute_as_ray_tasks(tmp_path: Path, ray_local: None) -> None:
    settings = WorkspaceSettings(data_dir=tmp_path / "store", executor="ray", workers=1, threads=1)
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/health").json()["executor"] == "ray"
        runs = []
        for fam in ("offload", "acceptance"):
            dataset = c.post("/api/datasets/generate", json={"family": fam, "options": TINY[fam]}).json()
            runs.append(c.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 20, **FAST[fam]}).json())
        for run in runs:
            final = wait_final(c.get, run["id"])
            assert final["status"] == "succeeded" and final["verified"] is True, final
            log = c.get(f"/api/runs/{run['id']}/log").text
            assert "worker ray:" in log
