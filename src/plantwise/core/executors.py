"""Run independent tasks in-process, in a local process pool, or on Ray — behind one interface.

Every executor maps a function over a sequence and returns the results **in input order**::

    with get_executor("process", workers=2) as ex:
        costs = ex.map(evaluate_scenario, scenarios)

Rules for ``fn``: for :class:`ProcessExecutor` and :class:`RayExecutor` it must be picklable,
i.e. a top-level function (or a ``functools.partial`` of one) importable by the worker
processes; items and results must be picklable too. :class:`SerialExecutor` has no such
restriction and is the default.

Ray is an optional dependency (``pip install 'plantwise[ray]'``); it is imported only when a
:class:`RayExecutor` is created.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import ModuleType, TracebackType
from typing import Any, Protocol, Self, runtime_checkable

__all__ = [
    "AGENT_EXECUTORS",
    "EXECUTORS",
    "AgentPool",
    "Executor",
    "ProcessExecutor",
    "RayExecutor",
    "SerialExecutor",
    "get_executor",
]

EXECUTORS = ("serial", "process", "ray")

_RAY_MISSING = "Ray is not installed: pip install 'plantwise[ray]'"


@runtime_checkable
class Executor(Protocol):
    """Runs independent tasks; ``map`` returns results in the order of ``items``."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _ExecutorBase:
    """Context-manager plumbing shared by the concrete executors."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SerialExecutor(_ExecutorBase):
    """Runs every task in the calling process, one after the other (the default)."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return [fn(item) for item in items]

    def __repr__(self) -> str:
        return "SerialExecutor()"


def _default_mp_context() -> multiprocessing.context.BaseContext:
    # 'fork' is unsafe in a process that runs threads (HiGHS, OR-Tools, BLAS); 'forkserver' is
    # safe and starts workers quickly on Linux, 'spawn' is the portable fallback elsewhere.
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


class ProcessExecutor(_ExecutorBase):
    """Runs tasks in a local pool of ``workers`` processes (default: ``os.cpu_count()``).

    The pool uses the ``forkserver`` start method on Linux and ``spawn`` elsewhere, so ``fn``
    must be a picklable top-level function. The pool starts lazily on the first ``map`` and
    is reused until :meth:`close`.
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        items = list(items)
        if not items:
            return []
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_default_mp_context())
        chunksize = max(1, len(items) // (4 * self.workers))
        return list(self._pool.map(fn, items, chunksize=chunksize))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"


def _import_ray() -> ModuleType:
    try:
        return importlib.import_module("ray")
    except ImportError as err:
        raise RuntimeError(_RAY_MISSING) from err


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


class RayExecutor(_ExecutorBase):
    """Runs tasks as Ray remote tasks, locally or on a cluster at ``address``.

    If Ray is not initialised yet, the constructor starts it with
    ``ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
    ignore_reinit_error=True)`` (or connects to ``address``) and shuts it down again on
    :meth:`close`; a Ray runtime started by someone else is left running. Start-up takes a
    few seconds, so reuse one executor for many ``map`` calls.

    Ray pickles ``fn`` *by reference* when it lives in an importable module, so the workers
    must be able to import that module: functions in ``plantwise`` (or any installed package)
    and in the ``__main__`` script work as they are; for a module the workers cannot import
    (e.g. a pytest test module), call ``ray.cloudpickle.register_pickle_by_value(module)``.
    """

    def __init__(self, num_cpus: int | None = None, address: str | None = None) -> None:
        self._ray = _import_ray()
        self.num_cpus = num_cpus
        self.address = address
        self._owns_ray = False
        self._apply: Any = None
        if not self._ray.is_initialized():
            if address is None:
                self._ray.init(
                    num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True
                )
            else:
                # an existing cluster fixes its own resources: num_cpus/include_dashboard are not allowed
                self._ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
            self._owns_ray = True

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        items = list(items)
        if not items:
            return []
        # `ray.remote` only accepts plain functions; routing every call through one importable
        # trampoline also admits partials and callable objects. `fn` is shipped once via `put`.
        if self._apply is None:
            self._apply = self._ray.remote(_apply)
        fn_ref = self._ray.put(fn)
        refs = [self._apply.remote(fn_ref, item) for item in items]
        return list(self._ray.get(refs))

    def close(self) -> None:
        if self._owns_ray and self._ray.is_initialized():
            self._ray.shutdown()
        self._owns_ray = False

    def __repr__(self) -> str:
        return f"RayExecutor(num_cpus={self.num_cpus}, address={self.address!r})"


def get_executor(name: str, workers: int | None = None) -> Executor:
    """Return the executor called ``name`` (``"serial"``, ``"process"`` or ``"ray"``).

    ``workers`` is the pool size for ``"process"`` and ``num_cpus`` for ``"ray"``; it is
    ignored by ``"serial"``.
    """
    key = name.strip().lower()
    if key == "serial":
        return SerialExecutor()
    if key == "process":
        return ProcessExecutor(workers)
    if key == "ray":
        return RayExecutor(num_cpus=workers)
    raise ValueError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")


AGENT_EXECUTORS = ("serial", "ray")


class AgentPool:
    """Stateful agents, each holding its own data, called together: in-process or as Ray actors.

    ``agents`` maps a name to ``(cls, args)``; each agent is created once, from its own
    ``args`` only (``cls(*args)``), in this process (``"serial"``) or as a Ray actor
    (``"ray"``, one process per agent, on a local Ray instance started here with
    ``num_cpus`` CPUs unless one is running). :meth:`call` invokes one method on several
    agents (concurrently on Ray) and returns the replies by name, in a fixed order, so a
    run is the same on either executor. With ``record=True`` every message crossing the
    boundary after creation (method, arguments, reply) is kept in :attr:`messages`, so that
    tests can inspect what the agents exchange.
    """

    def __init__(self, agents: dict[str, tuple[type, tuple[Any, ...]]], executor: str = "serial",
                 num_cpus: int | None = None, record: bool = False) -> None:
        if executor not in AGENT_EXECUTORS:
            raise ValueError(f"unknown agent executor {executor!r}; choose one of {', '.join(AGENT_EXECUTORS)}")
        self.executor = executor
        self.record = record
        self.phase = "run"  # a label the caller sets (e.g. "game", "publish"); kept with each recorded message
        self.messages: list[dict[str, Any]] = []
        self._owns_ray = False
        self._ray: ModuleType | None = None
        if executor == "serial":
            self._agents = {name: cls(*args) for name, (cls, args) in agents.items()}
        else:
            ray = _import_ray()
            self._ray = ray
            if not ray.is_initialized():
                ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
                self._owns_ray = True
            # an actor needs no CPU while idle: five followers fit on a two-CPU machine
            self._agents = {name: ray.remote(cls).options(num_cpus=0).remote(*args)
                            for name, (cls, args) in agents.items()}

    @property
    def names(self) -> list[str]:
        return list(self._agents)

    def call(self, method: str, args: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
        """``agent.method(*args[name])`` for every name in ``args``; replies keyed by name."""
        if self._ray is None:
            replies = {name: getattr(self._agents[name], method)(*a) for name, a in args.items()}
        else:
            refs = {name: getattr(self._agents[name], method).remote(*a) for name, a in args.items()}
            replies = dict(zip(refs, self._ray.get(list(refs.values())), strict=True))
        if self.record:
            for name, a in args.items():
                self.messages.append({"to": name, "method": method, "args": a, "reply": replies[name],
                                      "phase": self.phase})
        return replies

    def close(self) -> None:
        if self._ray is not None:
            for actor in self._agents.values():
                self._ray.kill(actor)
            if self._owns_ray and self._ray.is_initialized():
                self._ray.shutdown()
        self._owns_ray = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
