"""Repeated convex QPs with a diagonal Hessian, solved by OSQP with warm starts.

Iterative methods (ADMM) re-solve the same sub-problem many times with a moving linear term:

    min  c^T x + ½ Σ_j q_j x_j²   s.t.  row_lower ≤ A x ≤ row_upper,  lower ≤ x ≤ upper.

OSQP (an ADMM-based QP solver) keeps its factorisation between solves and starts each one
from the last primal and dual solution, so a re-solve after a small price change takes a
few dozen iterations. HiGHS's QP solver is exact but an order of magnitude slower on these
models. Solutions are accurate to ``eps`` (absolute and relative); OSQP is deterministic.
"""

from __future__ import annotations

import time

import numpy as np
import osqp
import scipy.sparse as sp

from plantwise.core.interrupt import request_stop
from plantwise.core.linear import LinearModel
from plantwise.core.result import SolveResult, SolveStatus

_BIG = 1e20


class ReusableQP:
    """``model``'s rows and bounds with Hessian ``diag(hessian_diag)``; :meth:`solve` takes a new ``c``.

    ``row_dual`` of the result follows HiGHS's convention (the derivative of the objective
    with respect to a row's active bound), so callers can use either backend's duals alike.
    """

    def __init__(self, model: LinearModel, hessian_diag: np.ndarray, eps: float = 1e-3,
                 max_iter: int = 4_000) -> None:
        self.model = model
        self.num_rows = model.num_rows
        a = sp.vstack([model.matrix("csc"), sp.identity(model.num_vars, format="csc")]).tocsc()
        low = np.r_[model.row_lower, model.lower]
        up = np.r_[model.row_upper, model.upper]
        self.solver = osqp.OSQP()
        p = sp.diags(np.asarray(hessian_diag, float)).tocsc()
        p.eliminate_zeros()
        self.solver.setup(P=p, q=model.cost, A=a,
                          l=np.clip(low, -_BIG, _BIG), u=np.clip(up, -_BIG, _BIG), verbose=False, eps_abs=eps,
                          eps_rel=eps, max_iter=max_iter, polishing=False, warm_starting=True, adaptive_rho=True)
        self.hessian = np.asarray(hessian_diag, float)

    def warm_start(self, x: np.ndarray) -> None:
        """Start the next solve from ``x`` (e.g. the solution of a model with the same columns)."""
        self.solver.warm_start(x=np.asarray(x, float))

    def set_hessian(self, hessian_diag: np.ndarray) -> None:
        """Change the diagonal Hessian's values (same nonzero pattern), keeping the warm start."""
        values = np.asarray(hessian_diag, float)
        if np.count_nonzero(values) != np.count_nonzero(self.hessian):
            raise ValueError("the Hessian's nonzero pattern must not change")
        self.solver.update(Px=values[values != 0])
        self.hessian = values

    def solve(self, cost: np.ndarray) -> SolveResult:
        t0 = time.perf_counter()
        self.solver.update(q=np.asarray(cost, float))
        res = self.solver.solve(raise_error=False)
        status_text = str(res.info.status)
        for _ in range(3):
            if "interrupted" not in status_text.lower():
                break
            # OSQP catches SIGINT itself (its handler replaces plantwise's during a solve): pass
            # the stop on to the method, which stops between its steps, and finish this one
            request_stop("SIGINT")
            res = self.solver.solve(raise_error=False)
            status_text = str(res.info.status)
        ok = res.x is not None and "solved" in status_text
        if not ok and res.x is not None and "maximum iterations" in status_text:
            ok = True  # inexact but usable inside an iterative method; the caller checks residuals
        x = np.asarray(res.x, float) if ok else None
        return SolveResult(
            status=SolveStatus.OPTIMAL if "solved" in status_text else (
                SolveStatus.FEASIBLE if ok else SolveStatus.ERROR),
            objective=float(cost @ x + 0.5 * self.hessian @ (x * x)) if x is not None else None,
            solver="osqp", solver_version=osqp.__version__, timings={"solve": time.perf_counter() - t0}, x=x,
            message=status_text, row_dual=(-np.asarray(res.y[: self.num_rows], float) if ok else None),
        )
