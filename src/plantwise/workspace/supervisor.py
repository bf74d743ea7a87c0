"""The supervisor: keeps the job runner going beside the web server.

* ``local`` (the default): ``workers`` spawned worker processes
  (:func:`plantwise.workspace.worker.worker_main`), each claiming runs from the job table.
  A worker that dies (killed, crashed) is noticed within a second: the run it held fails
  with the reason (its exit code or signal) and a new worker takes its place.
* ``ray``: the supervisor claims runs itself and sends each as a Ray task
  (:func:`plantwise.workspace.worker.execute_remote`) to the cluster at ``ray_address``,
  at most ``workers`` at once; a task that raises fails its run with Ray's reason. The
  Ray workers must reach the same database and data folder (PostgreSQL and a shared file
  system on a real cluster). Ray is imported only for this executor.

On start it first recovers runs a previous server left ``running``
(:func:`plantwise.workspace.runs.recover`). On stop it sends SIGTERM to its workers (a
running solve stops and keeps its best plan) and waits, then kills what is left.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
from typing import Any

from sqlalchemy import Engine

from plantwise.workspace.runs import claim, fail_lost, recover
from plantwise.workspace.settings import WorkspaceSettings

TICK = 0.5
STOP_WAIT = 15.0


def describe_exit(code: int | None) -> str:
    if code is None:
        return "is still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    def __init__(self, settings: WorkspaceSettings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.stop_event = threading.Event()
        self.processes: list[Any] = []
        self.thread: threading.Thread | None = None
        self.recovered: dict[str, list[str]] = {}
        self._ray_inflight: dict[Any, tuple[str, str]] = {}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.recovered = recover(self.engine, self.settings)
        if self.settings.executor == "ray":
            import ray

            if not ray.is_initialized():
                ray.init(address=self.settings.ray_address or None, ignore_reinit_error=True,
                         log_to_driver=False, include_dashboard=False)
        else:
            self.context = mp.get_context("spawn")
            self.processes = [self._spawn() for _ in range(self.settings.workers)]
        self.thread = threading.Thread(target=self._loop, daemon=True, name="plantwise-supervisor")
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        for proc in self.processes:
            if proc.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            proc.join(timeout=STOP_WAIT)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
            self._reap(proc, "when the server stopped")
        for ref, (_run_id, token) in list(self._ray_inflight.items()):
            with contextlib.suppress(Exception):
                import ray

                ray.cancel(ref)
            fail_lost(self.engine, self.settings, token=token, reason="the server stopped while the Ray task ran")
            del self._ray_inflight[ref]

    # ------------------------------------------------------------------ local processes
    def _spawn(self) -> Any:
        from plantwise.workspace.worker import worker_main

        proc = self.context.Process(target=worker_main, args=(self.settings.for_worker(), os.getpid()),
                                    name="plantwise-worker", daemon=False)
        proc.start()
        return proc

    def _reap(self, proc: Any, when: str = "mid-solve") -> None:
        fail_lost(self.engine, self.settings, pid=proc.pid,
                  reason=f"failed: the worker process (pid {proc.pid}) {describe_exit(proc.exitcode)} {when}")

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.is_alive()]

    def _loop(self) -> None:
        while not self.stop_event.wait(TICK):
            try:
                if self.settings.executor == "ray":
                    self._ray_tick()
                else:
                    self._local_tick()
            except Exception as exc:  # the supervisor must outlive a busy store
                print(f"plantwise supervisor: {type(exc).__name__}: {exc}", flush=True)

    def _local_tick(self) -> None:
        for k, proc in enumerate(self.processes):
            if not proc.is_alive() and not self.stop_event.is_set():
                proc.join(timeout=1)
                self._reap(proc)
                self.processes[k] = self._spawn()

    # ------------------------------------------------------------------ Ray
    def _ray_tick(self) -> None:
        import ray

        from plantwise.workspace.worker import execute_remote, new_token

        if self._ray_inflight:
            done, _ = ray.wait(list(self._ray_inflight), num_returns=len(self._ray_inflight), timeout=0)
            for ref in done:
                run_id, token = self._ray_inflight.pop(ref)
                try:
                    ray.get(ref)
                except Exception as exc:
                    fail_lost(self.engine, self.settings, token=token,
                              reason=f"failed: the Ray task of this run failed: {type(exc).__name__}: {exc}")
        remote = ray.remote(num_cpus=self.settings.solver_threads, max_retries=0)(execute_remote)
        while len(self._ray_inflight) < self.settings.workers and not self.stop_event.is_set():
            token = new_token("ray")
            run_id = claim(self.engine, token)
            if run_id is None:
                break
            self._ray_inflight[remote.remote(self.settings.for_worker(), run_id, token)] = (run_id, token)
