"""Optional Gurobi backend (``pip install plantwise[gurobi]``).

Used only when ``gurobipy`` imports and its licence accepts the model; a size-limited
licence that rejects the model raises :class:`BackendUnavailable` rather than failing
mid-run.
"""

from __future__ import annotations

import time

import numpy as np

from plantwise.core.backends.base import Backend, BackendUnavailable, ProgressThrottle
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveResult, SolveStatus


def _gurobipy():
    try:
        import gurobipy
    except ImportError as exc:
        raise BackendUnavailable("gurobipy is not installed (pip install plantwise[gurobi])") from exc
    return gurobipy


class GurobiBackend(Backend):
    name = "gurobi"

    def available(self) -> bool:
        try:
            gp = _gurobipy()
            with gp.Env(params={"OutputFlag": 0}):
                return True
        except Exception:
            return False

    def version(self) -> str:
        gp = _gurobipy()
        return ".".join(str(v) for v in gp.gurobi.version())

    def solve(
        self,
        model: LinearModel,
        options: SolveOptions,
        start: np.ndarray | None = None,
        relax: bool = False,
    ) -> SolveResult:
        gp = _gurobipy()
        t0 = time.perf_counter()
        try:
            env = gp.Env(params={"OutputFlag": int(options.log)})
            m = gp.Model(model.name, env=env)
            vtype = np.where(model.integer & (not relax), gp.GRB.INTEGER, gp.GRB.CONTINUOUS)
            x = m.addMVar(model.num_vars, lb=model.lower, ub=model.upper, obj=model.cost, vtype=vtype)
            m.ObjCon = model.offset
            a = model.matrix("csr")
            finite_up = np.isfinite(model.row_upper)
            finite_lo = np.isfinite(model.row_lower)
            if finite_up.any():
                m.addMConstr(a[finite_up], x, "<", model.row_upper[finite_up])
            if finite_lo.any():
                m.addMConstr(a[finite_lo], x, ">", model.row_lower[finite_lo])
            if options.time_limit is not None:
                m.Params.TimeLimit = max(options.time_limit, 0.01)
            m.Params.MIPGap = options.mip_gap
            m.Params.Threads = options.threads
            m.Params.Seed = options.seed
            if start is not None and not relax:
                x.Start = start
            throttle = ProgressThrottle(options)

            def callback(model_: object, where: int) -> None:
                if where == gp.GRB.Callback.MIP:
                    throttle(
                        model_.cbGet(gp.GRB.Callback.MIP_OBJBST),  # type: ignore[attr-defined]
                        model_.cbGet(gp.GRB.Callback.MIP_OBJBND),  # type: ignore[attr-defined]
                    )

            build = time.perf_counter() - t0
            t1 = time.perf_counter()
            m.optimize(callback if options.progress else None)
        except gp.GurobiError as exc:
            raise BackendUnavailable(f"gurobi cannot solve this model: {exc}") from exc
        solve_seconds = time.perf_counter() - t1
        g = gp.GRB
        has_sol = m.SolCount > 0
        if m.Status == g.OPTIMAL:
            st = SolveStatus.OPTIMAL
        elif m.Status == g.INFEASIBLE:
            st = SolveStatus.INFEASIBLE
        elif has_sol:
            st = SolveStatus.FEASIBLE
        elif m.Status in (g.TIME_LIMIT, g.INTERRUPTED, g.NODE_LIMIT):
            st = SolveStatus.NO_SOLUTION
        else:
            st = SolveStatus.ERROR
        is_mip = m.IsMIP
        bound = None
        if has_sol:
            bound = float(m.ObjBound) if is_mip else (float(m.ObjVal) if st == SolveStatus.OPTIMAL else None)
        return SolveResult(
            status=st,
            objective=float(m.ObjVal) if has_sol else None,
            bound=bound,
            solver=self.name,
            solver_version=self.version(),
            timings={"build": build, "solve": solve_seconds},
            x=np.asarray(x.X, dtype=float) if has_sol else None,
            message=f"gurobi status {m.Status}",
        )
