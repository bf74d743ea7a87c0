"""Solver backends: one class per solver, each reading a :class:`LinearModel`.

``get_backend(name)`` returns an instance; ``available_backends()`` lists those that
import on this machine. Capability flags say what a backend accepts.
"""

from __future__ import annotations

from plantwise.core.backends.base import Backend, BackendUnavailable


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (``highs``, ``cpsat`` or ``gurobi``)."""
    if name == "highs":
        from plantwise.core.backends.highs import HighsBackend

        return HighsBackend()
    if name == "cpsat":
        from plantwise.core.backends.cpsat import CpSatBackend

        return CpSatBackend()
    if name == "gurobi":
        from plantwise.core.backends.gurobi import GurobiBackend

        return GurobiBackend()
    raise BackendUnavailable(f"unknown solver {name!r}; choose highs, cpsat or gurobi")


def available_backends() -> list[str]:
    names = []
    for name in ("highs", "cpsat", "gurobi"):
        try:
            if get_backend(name).available():
                names.append(name)
        except BackendUnavailable:
            pass
    return names


__all__ = ["Backend", "BackendUnavailable", "available_backends", "get_backend"]
