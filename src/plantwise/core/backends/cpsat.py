"""OR-Tools CP-SAT backend for all-integer :class:`LinearModel` s.

CP-SAT needs integer data: costs are scaled by the smallest power of ten (up to
10^4) that makes them integral, and every row coefficient must be integral.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from plantwise.core.backends.base import Backend, BackendUnavailable, ProgressThrottle
from plantwise.core.interrupt import stop_hook, stop_requested
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveResult, SolveStatus

_BIG = 10**12


def _integral_scale(values: np.ndarray, what: str) -> int:
    for power in range(5):
        scale = 10**power
        scaled = values * scale
        if np.allclose(scaled, np.round(scaled), atol=1e-9, rtol=0):
            return scale
    raise BackendUnavailable(f"cpsat needs {what} with at most 4 decimals")


class CpSatBackend(Backend):
    name = "cpsat"
    continuous = False

    def version(self) -> str:
        from ortools import __version__

        return str(__version__)

    def solve(
        self,
        model: LinearModel,
        options: SolveOptions,
        start: np.ndarray | None = None,
        relax: bool = False,
    ) -> SolveResult:
        if relax:
            raise BackendUnavailable("cpsat does not solve LP relaxations")
        t0 = time.perf_counter()
        if not model.integer.all():
            raise BackendUnavailable("cpsat needs every variable integer")
        a = model.matrix("csr")
        if a.nnz and _integral_scale(a.data, "row coefficients") != 1:
            raise BackendUnavailable("cpsat needs integral row coefficients")
        cost = model.cost
        scale = _integral_scale(cost, "objective coefficients")
        int_cost = np.round(cost * scale).astype(np.int64)
        lower = np.where(np.isinf(model.lower), -_BIG, np.ceil(model.lower - 1e-9)).astype(np.int64)
        upper = np.where(np.isinf(model.upper), _BIG, np.floor(model.upper + 1e-9)).astype(np.int64)
        m = cp_model.CpModel()
        xs = [m.new_int_var(int(lo), int(up), "") for lo, up in zip(lower, upper, strict=True)]
        row_lower = np.where(np.isinf(model.row_lower), -_BIG * 1000, np.ceil(model.row_lower - 1e-9))
        row_upper = np.where(np.isinf(model.row_upper), _BIG * 1000, np.floor(model.row_upper + 1e-9))
        indptr, indices, data = a.indptr, a.indices, np.round(a.data).astype(np.int64)
        for r in range(model.num_rows):
            lo, hi = indptr[r], indptr[r + 1]
            if lo == hi:
                continue
            expr = cp_model.LinearExpr.weighted_sum(
                [xs[c] for c in indices[lo:hi]], data[lo:hi].tolist()
            )
            m.add_linear_constraint(expr, int(row_lower[r]), int(row_upper[r]))
        nz = np.flatnonzero(int_cost)
        m.minimize(cp_model.LinearExpr.weighted_sum([xs[c] for c in nz], int_cost[nz].tolist()))
        if start is not None:
            for c, v in enumerate(np.round(start).astype(np.int64)):
                m.add_hint(xs[c], int(v))
        solver = cp_model.CpSolver()
        if options.time_limit is not None:
            solver.parameters.max_time_in_seconds = float(max(options.time_limit, 0.01))
        solver.parameters.relative_gap_limit = float(options.mip_gap)
        if options.work_limit is not None:
            solver.parameters.max_deterministic_time = float(options.work_limit)
        solver.parameters.num_workers = max(1, int(options.threads))
        solver.parameters.random_seed = int(options.seed)
        solver.parameters.log_search_progress = bool(options.log)
        build_seconds = time.perf_counter() - t0
        throttle = ProgressThrottle(options)
        offset = model.offset

        class _Callback(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                throttle(
                    self.objective_value / scale + offset,
                    self.best_objective_bound / scale + offset,
                    force=True,
                )

        t1 = time.perf_counter()
        solver.parameters.catch_sigint_signal = False  # plantwise.core.interrupt stops it (and keeps the plan)
        if stop_requested():
            solver.parameters.max_time_in_seconds = 0.01
        with stop_hook(solver.stop_search):
            status = solver.solve(m, _Callback() if options.progress else None)
        solve_seconds = time.perf_counter() - t1
        mapping = {
            cp_model.OPTIMAL: SolveStatus.OPTIMAL,
            cp_model.FEASIBLE: SolveStatus.FEASIBLE,
            cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
            cp_model.UNKNOWN: SolveStatus.NO_SOLUTION,
            cp_model.MODEL_INVALID: SolveStatus.ERROR,
        }
        st = mapping.get(status, SolveStatus.ERROR)
        x = None
        objective = bound = None
        if st.has_solution:
            x = np.array([solver.value(v) for v in xs], dtype=float)
            objective = float(int_cost @ np.round(x).astype(np.int64)) / scale + offset
            bound = float(solver.best_objective_bound) / scale + offset
        return SolveResult(
            status=st,
            objective=objective,
            bound=bound,
            solver=self.name,
            solver_version=self.version(),
            timings={"build": build_seconds, "solve": solve_seconds},
            x=x,
            message=solver.status_name(status),
        )
