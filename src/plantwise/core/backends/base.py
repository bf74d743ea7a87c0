"""The backend interface."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import Progress, SolveResult


class BackendUnavailable(RuntimeError):
    """The requested solver is not installed, not licensed, or cannot take this model."""


class Backend(ABC):
    """A MIP/LP solver. Capability flags:

    ``continuous``: accepts continuous variables; ``warm_start``: accepts a starting
    solution; ``proves_bound``: reports a proven dual bound.
    """

    name: ClassVar[str]
    continuous: ClassVar[bool] = True
    warm_start: ClassVar[bool] = True
    proves_bound: ClassVar[bool] = True

    def available(self) -> bool:
        return True

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def solve(
        self,
        model: LinearModel,
        options: SolveOptions,
        start: np.ndarray | None = None,
        relax: bool = False,
    ) -> SolveResult:
        """Solve ``model`` (its LP relaxation when ``relax``), optionally from ``start``."""


class ProgressThrottle:
    """Forwards solver progress to ``options.progress`` at most every ``interval`` s."""

    def __init__(self, options: SolveOptions, interval: float = 0.5, offset: float = 0.0):
        self.callback = options.progress
        self.interval = interval
        self.offset = offset
        self.last = -np.inf
        self.start = time.perf_counter()

    def __call__(self, incumbent: float | None, bound: float | None, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.perf_counter()
        if force or now - self.last >= self.interval:
            self.last = now
            inc = incumbent if incumbent is not None and abs(incumbent) < 1e29 else None
            bnd = bound if bound is not None and abs(bound) < 1e29 else None
            self.callback(Progress(self.offset + now - self.start, inc, bnd))
