"""Cooperative interruption: SIGINT / SIGTERM ask every running method to stop and keep its best plan.

One process-wide flag, set by :func:`request_stop`. Inside :func:`handle_signals` the first
SIGINT or SIGTERM sets it; the second SIGINT raises ``KeyboardInterrupt`` (a user who presses
Ctrl-C twice wants out now). Who reads the flag:

* the solver backends: HiGHS through its interrupt callbacks (simplex, IPM, MIP), CP-SAT
  through ``stop_search`` registered with :func:`stop_hook`;
* every iterative method between iterations (:func:`stop_requested`): LNS, the LP dive,
  GA/PSO generations, ADMM iterations, the reorder-point fixed point.

A Python signal handler runs only when the main thread executes bytecode, which it does
not while it waits inside a solver's C++ code. So the handler is paired with
:func:`signal.set_wakeup_fd`: the C-level handler writes the signal number to a pipe from
whatever thread receives it, and a watcher thread reading that pipe calls the stop hooks at
once. That is what makes a stop take well under the two seconds the contract allows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

_STOP = threading.Event()
_HOOKS: list[Callable[[], None]] = []
_LOCK = threading.Lock()
_SIGNAL_NAME: list[str] = []
_STOP_AT: list[float] = []  # time.monotonic() of the first request
_SHIELD = [0]  # process-wide: HiGHS calls its interrupt callback from its own worker threads


def stop_requested() -> bool:
    """True once a stop was asked for (by a signal or :func:`request_stop`)."""
    return _STOP.is_set()


def stop_reason() -> str | None:
    """The name of the signal that asked for the stop (``SIGINT``, ``SIGTERM``), or ``None``."""
    return _SIGNAL_NAME[0] if _SIGNAL_NAME else ("request" if _STOP.is_set() else None)


def seconds_since_stop() -> float | None:
    """Seconds since the first stop request (``None`` without one)."""
    return time.monotonic() - _STOP_AT[0] if _STOP_AT else None


def request_stop(reason: str = "request") -> None:
    """Ask every running method to stop; runs the registered stop hooks (idempotent)."""
    with _LOCK:
        if not _SIGNAL_NAME:
            _SIGNAL_NAME.append(reason)
            _STOP_AT.append(time.monotonic())
        _STOP.set()
        hooks = list(_HOOKS)
    for hook in hooks:
        with contextlib.suppress(Exception):  # a solver that already finished may refuse
            hook()


def reset() -> None:
    """Clear the flag (the pipeline does this before each solve)."""
    with _LOCK:
        _STOP.clear()
        _SIGNAL_NAME.clear()
        _STOP_AT.clear()


@contextlib.contextmanager
def stop_hook(hook: Callable[[], None]) -> Iterator[None]:
    """Register ``hook`` (e.g. a CP-SAT solver's ``stop_search``) for the duration of the block;
    it is called at once if a stop was already requested."""
    with _LOCK:
        _HOOKS.append(hook)
    try:
        if _STOP.is_set():
            with contextlib.suppress(Exception):
                hook()
        yield
    finally:
        with _LOCK:
            _HOOKS.remove(hook)


def highs_interrupt(event: object) -> None:
    """HiGHS interrupt callback: interrupts the solve once a stop was requested (unless shielded)."""
    if _STOP.is_set() and not _SHIELD[0]:
        event.interrupt()  # type: ignore[attr-defined]


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Within the block HiGHS solves run to their end even after a stop was
    requested: for the short steps that turn the search's state into a plan (ADMM's commit
    and repair, the LP that prices a rounded lot plan), without which nothing could be kept."""
    with _LOCK:
        _SHIELD[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _SHIELD[0] -= 1


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM request a stop instead of killing the process.

    Only the main thread can install handlers; elsewhere the block does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    count = {"n": 0}

    def on_signal(signum: int, frame: object) -> None:
        count["n"] += 1
        request_stop(signal.Signals(signum).name)
        if count["n"] >= 2 and signum == signal.SIGINT:
            raise KeyboardInterrupt

    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    old_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                data = os.read(read_fd, 16)
            except OSError:
                return
            if not data or done.is_set():
                return
            signum = data[0]
            if signum in (signal.SIGINT, signal.SIGTERM):
                request_stop(signal.Signals(signum).name)

    watcher = threading.Thread(target=watch, name="plantwise-signal-watcher", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(old_fd)
        for s, handler in previous.items():
            signal.signal(s, handler)
        os.close(write_fd)  # ends the watcher's read
        watcher.join(timeout=1.0)
        os.close(read_fd)
