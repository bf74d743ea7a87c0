"""Shared mechanisms of every problem family: options, results, solvers, tables, errors."""

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveResult, SolveStatus

__all__ = [
    "InputError",
    "InputErrors",
    "LinearModel",
    "SolveOptions",
    "SolveResult",
    "SolveStatus",
]
