"""Shared helpers of the workspace tests (``from support import ...``; ``conftest.py`` puts this
folder on ``sys.path``): tiny instances per family, settings of a fresh store (real spawned
workers), a real ``plantwise serve`` subprocess, PostgreSQL when present."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plantwise.workspace.settings import WorkspaceSettings

# generator options of a tiny instance per family, and fast method parameters
TINY: dict[str, dict[str, Any]] = {
    "offload": {"orders": 8, "seed": 1, "horizon": 20, "replenishment": "free"},
    "e2e": {"scenario": 1, "seed": 1, "skus": 3},
    "schedule": {"scenario": 2},
    "acceptance": {"orders": 6, "seed": 1},
}
FAST: dict[str, dict[str, Any]] = {
    "offload": {"method": "milp", "params": {"baseline": False}},
    "e2e": {"method": "exact", "params": {}},
    "schedule": {"method": "exact", "params": {}},
    "acceptance": {"method": "centralized", "params": {}},
}
FINAL = ("succeeded", "failed", "cancelled", "interrupted")
PG_ENV = "PLANTWISE_TEST_DATABASE_URL"
PG_DEFAULT = "postgresql+psycopg://plantwise:plantwise@127.0.0.1:5432/plantwise_test"


def wait_final(get: Callable[[str], Any], run_id: str, timeout: float = 180.0) -> dict[str, Any]:
    """Poll ``GET /api/runs/{id}`` (``get`` is a client's ``get``) until the run is final."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = get(f"/api/runs/{run_id}").json()
        if state["status"] in FINAL:
            return state
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} not final after {timeout} s: {state}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(data: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None,
          timeout: float = 60.0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real ``plantwise serve`` subprocess on a free port; yields (base URL, process)."""
    port = port or free_port()
    log = open(data.parent / f"serve-{port}.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "plantwise", "serve", "--data", str(data), "--port", str(port),
                             *args], stdout=log, stderr=subprocess.STDOUT, env=os.environ | (env or {}))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"plantwise serve exited with {proc.returncode}: "
                                     + (data.parent / f"serve-{port}.log").read_text(errors="replace")[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=2).status_code in (200, 401):
                    break
            if time.monotonic() > deadline:
                raise AssertionError("plantwise serve did not come up")
            time.sleep(0.3)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def settings_for(data: Path, url: str = "", workers: int = 2) -> WorkspaceSettings:
    return WorkspaceSettings(data_dir=data, database_url=url, workers=workers, threads=1)


def pg_url_or_skip() -> str:
    """A PostgreSQL URL whose database is emptied first; the test skips with the reason without one."""
    url = os.environ.get(PG_ENV, PG_DEFAULT)
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.begin() as c:
            c.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"no PostgreSQL at {url.split('@')[-1]} ({type(exc).__name__}); .ci/services starts one, "
                    f"or set {PG_ENV}")
    return url
