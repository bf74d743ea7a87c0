"""The job runner under load and under faults, against real ``plantwise serve`` subprocesses.

* load: 50 runs submitted at once by 16 threads to a server with 2 workers, 5 of them
  cancelled right away: every run ends final, none is lost or duplicated, every succeeded
  one has its verified plan and ran once, nothing is left running;
* the server killed (SIGKILL) mid-solve: its orphaned worker exits by itself, and the
  restarted server re-queues the run (attempt 2), which then runs again; the finished run's
  plan and every dataset are still there;
* the worker killed (SIGKILL) mid-solve: its run fails naming the worker and the signal, a
  new worker takes its place and solves the next run.

Solves are real; tests wait for states (timeouts are only safety limits)."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from support import FAST, FINAL, TINY, serve, wait_final

# an offload instance whose solve uses its whole time limit (sS replenishment proves slowly)
LONG = {"orders": 60, "seed": 3, "horizon": 40}
LONG_LIMIT = 60


def _until(what: str, check: Callable[[], Any], timeout: float = 120.0, every: float = 0.3) -> Any:
    """Poll ``check`` until it returns something truthy (returned); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not reached after {timeout} s (last: {last!r})")


def _generate(c: httpx.Client, family: str, options: dict[str, Any], name: str) -> dict[str, Any]:
    r = c.post("/api/datasets/generate", json={"family": family, "name": name, "options": options})
    assert r.status_code == 201, r.text
    return r.json()


def _submit(c: httpx.Client, dataset_id: str, time_limit: float, **extra: Any) -> dict[str, Any]:
    r = c.post("/api/runs", json={"dataset_id": dataset_id, "time_limit": time_limit, **FAST["offload"], **extra})
    assert r.status_code == 202, r.text
    return r.json()


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (from /proc)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _gone(pid: int) -> bool:
    """The process has exited (no /proc entry, or a zombie waiting for a reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _workers(server_pid: int) -> list[int]:
    """The server's spawned worker processes (not multiprocessing's resource tracker)."""
    return [p for p in _children(server_pid) if "spawn_main" in _cmdline(p) and not _gone(p)]


def _worker_pid_of(data: Path, run_id: str) -> int | None:
    """The pid of the worker holding the run (not in the API: read from the SQLite store)."""
    with sqlite3.connect(f"file:{data / 'workspace.sqlite'}?mode=ro", uri=True, timeout=30) as db:
        row = db.execute("SELECT worker_pid FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row[0] if row else None


def _running_with_progress(c: httpx.Client, run_id: str) -> dict[str, Any] | None:
    state = c.get(f"/api/runs/{run_id}").json()
    assert state["status"] in ("queued", "running"), state
    progress = state["progress"]
    return state if state["status"] == "running" and progress.get("incumbent") is not None else None


# ---------------------------------------------------------------------- load


def test_fifty_concurrent_runs_none_lost_none_duplicated(tmp_path: Path) -> None:
    data = tmp_path / "store"
    with serve(data, "--workers", "2") as (base, _proc), httpx.Client(base_url=base, timeout=60) as c:
        assert c.get("/api/health").json()["workers"] == 2
        dataset = _generate(c, "offload", TINY["offload"], "load")

        def submit(k: int) -> tuple[int, dict[str, Any]]:
            # 3 s: the tiny instance is not proven in 10 s either (free mode's lane charges), and
            # each run is only there to be queued, claimed once and finished
            r = c.post("/api/runs", json={"dataset_id": dataset["id"], "time_limit": 3, "label": f"load-{k}",
                                          **FAST["offload"]})
            return r.status_code, r.json()

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(submit, range(50)))
        assert [code for code, _ in answers] == [202] * 50, [a for a in answers if a[0] != 202]
        ids = [run["id"] for _, run in answers]
        assert len(set(ids)) == 50
        assert sorted(run["label"] for _, run in answers) == sorted(f"load-{k}" for k in range(50))

        # cancel five right away (the newest: most likely still queued)
        cancelled = ids[-5:]
        for run_id in cancelled:
            r = c.post(f"/api/runs/{run_id}/cancel")
            assert r.status_code == 202, r.text
            assert r.json()["status"] in ("cancelled", "running", "succeeded"), r.json()

        def all_final() -> list[dict[str, Any]] | None:
            runs = c.get("/api/runs", params={"limit": 1000}).json()
            return runs if all(r["status"] in FINAL for r in runs) and len(runs) >= 50 else None

        runs = _until("all 50 runs final", all_final, timeout=400, every=1.0)
        listed = [r["id"] for r in runs]
        assert len(listed) == 50 and sorted(listed) == sorted(ids)  # none lost, none duplicated, no stranger
        by_id = {r["id"]: r for r in runs}
        status = Counter(r["status"] for r in runs)
        assert sum(status.values()) == 50 and status["running"] == 0 and status["queued"] == 0, status
        for run_id in cancelled:
            assert by_id[run_id]["status"] in ("cancelled", "interrupted", "succeeded"), by_id[run_id]
            if by_id[run_id]["status"] == "cancelled":
                assert by_id[run_id]["attempts"] == 0 and by_id[run_id]["started_at"] is None
        for run_id in ids[:-5]:
            assert by_id[run_id]["status"] == "succeeded", by_id[run_id]
        for run in runs:
            if run["status"] != "succeeded":
                continue
            assert run["attempts"] == 1 and run["verified"] is True, run
            r = c.get(f"/api/runs/{run['id']}/plan")
            assert r.status_code == 200, r.text
            assert r.json()["verification"]["verified"] is True
            assert r.json()["summary"]["objective"] == run["objective"]
        assert status["succeeded"] >= 45, status


# ---------------------------------------------------------------------- server killed


def test_server_killed_mid_solve_run_recovered_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "store"
    with serve(data, "--workers", "1") as (base, proc), httpx.Client(base_url=base, timeout=60) as c:
        tiny = _generate(c, "offload", TINY["offload"], "tiny")
        long = _generate(c, "offload", LONG, "long")
        done = wait_final(c.get, _submit(c, tiny["id"], 10)["id"])
        assert done["status"] == "succeeded", done
        plan_before = c.get(f"/api/runs/{done['id']}/plan").json()
        run = _submit(c, long["id"], LONG_LIMIT)
        state = _until("the long run solving", lambda: _running_with_progress(c, run["id"]))
        assert state["attempts"] == 1
        # it runs long: still solving seconds into the solve
        _until("the long run solving for seconds",
               lambda: (lambda s: s["status"] == "running" and (s["progress"].get("elapsed") or 0) >= 3)(
                   c.get(f"/api/runs/{run['id']}").json()), timeout=60)
        workers = _workers(proc.pid)
        assert len(workers) == 1, (workers, _children(proc.pid))
        assert _worker_pid_of(data, run["id"]) == workers[0]

        proc.kill()  # SIGKILL: no shutdown, the run is left 'running' in the store
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        # the orphan notices its server is gone and exits by itself (safety limit only)
        _until("the orphaned worker exited", lambda: _gone(workers[0]), timeout=10, every=0.1)

    # the store as the killed server left it: the run 'running' under the dead worker's lease
    with sqlite3.connect(f"file:{data / 'workspace.sqlite'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT status, attempts FROM runs WHERE id = ?", (run["id"],)).fetchone() == ("running", 1)

    with serve(data, "--workers", "1") as (base, proc), httpx.Client(base_url=base, timeout=60) as c:
        state = c.get(f"/api/runs/{run['id']}").json()
        assert state["status"] in ("queued", "running"), state
        assert "re-queued" in state["message"], state
        assert state["attempts"] == (1 if state["status"] == "queued" else 2), state
        # claimed again by the new server's worker: attempt 2, solving again
        state = _until("the recovered run solving again", lambda: _running_with_progress(c, run["id"]))
        assert state["attempts"] == 2, state
        assert _worker_pid_of(data, run["id"]) in _workers(proc.pid)
        log = c.get(f"/api/runs/{run['id']}/log").text
        assert "server restart: run requeued" in log and "attempt 2" in log
        r = c.post(f"/api/runs/{run['id']}/cancel")  # no need to wait out its time limit again
        assert r.status_code == 202, r.text
        final = wait_final(c.get, run["id"], timeout=120)
        assert final["status"] in ("succeeded", "interrupted"), final
        assert final["attempts"] == 2
        if final["objective"] is not None:
            assert c.get(f"/api/runs/{run['id']}/plan").status_code == 200

        # what the killed server had finished is still there
        for dataset in (tiny, long):
            r = c.get(f"/api/datasets/{dataset['id']}")
            assert r.status_code == 200 and r.json()["checksum"] == dataset["checksum"], r.text
        assert {d["id"] for d in c.get("/api/datasets").json()} == {tiny["id"], long["id"]}
        r = c.get(f"/api/runs/{done['id']}/plan")
        assert r.status_code == 200 and r.json() == plan_before
        assert c.get(f"/api/runs/{done['id']}").json()["status"] == "succeeded"
        runs = c.get("/api/runs").json()
        assert sorted(r["id"] for r in runs) == sorted([done["id"], run["id"]])
        assert all(r["status"] in FINAL for r in runs)


# ---------------------------------------------------------------------- worker killed


def test_worker_killed_mid_solve_fails_its_run_and_is_replaced(tmp_path: Path) -> None:
    data = tmp_path / "store"
    with serve(data, "--workers", "1") as (base, proc), httpx.Client(base_url=base, timeout=60) as c:
        tiny = _generate(c, "offload", TINY["offload"], "tiny")
        long = _generate(c, "offload", LONG, "long")
        run = _submit(c, long["id"], LONG_LIMIT)
        _until("the long run solving", lambda: _running_with_progress(c, run["id"]))
        pid = _worker_pid_of(data, run["id"])
        assert pid is not None and pid in _workers(proc.pid)

        os.kill(pid, signal.SIGKILL)
        final = wait_final(c.get, run["id"], timeout=60)
        assert final["status"] == "failed", final
        message = final["message"]
        assert "worker" in message and str(pid) in message and "SIGKILL" in message, message
        assert final["progress"].get("phase") == "failed"
        assert "SIGKILL" in c.get(f"/api/runs/{run['id']}/log").text

        # a new worker took its place: the next run is solved
        _until("a new worker", lambda: [p for p in _workers(proc.pid) if p != pid])
        assert c.get("/api/health").json()["workers"] == 1
        nxt = wait_final(c.get, _submit(c, tiny["id"], 10)["id"], timeout=120)
        assert nxt["status"] == "succeeded" and nxt["attempts"] == 1, nxt
        assert _worker_pid_of(data, nxt["id"]) not in (None, pid)
        assert c.get(f"/api/runs/{nxt['id']}/plan").json()["verification"]["verified"] is True
        assert proc.poll() is None  # the server itself was not affected
