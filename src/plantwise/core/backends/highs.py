"""HiGHS backend: passes the sparse matrix of a :class:`LinearModel` in one call."""

from __future__ import annotations

import threading
import time

import highspy
import numpy as np

from plantwise.core.backends.base import Backend, ProgressThrottle
from plantwise.core.interrupt import highs_interrupt, seconds_since_stop, stop_requested
from plantwise.core.linear import LinearModel
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveResult, SolveStatus

_INF = highspy.kHighsInf
_scheduler_threads: int | None = None


def use_threads(h: highspy.Highs, threads: int) -> None:
    """Set ``threads`` on ``h`` before a run. HiGHS sizes one global thread pool per process at its
    first run and refuses later runs that ask for another size; resize the pool when it changes."""
    global _scheduler_threads
    threads = int(threads)
    if _scheduler_threads is not None and _scheduler_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _scheduler_threads = threads
    h.setOptionValue("threads", threads)


_banner_shown = False


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with its output off. HiGHS 1.16 prints a copyright banner to the
    process's standard output when the first instance is made, whatever ``output_flag`` says;
    that first construction runs with file descriptor 1 pointed at ``/dev/null``, so a command's
    ``--quiet`` output (and a JSON on stdout) stays clean."""
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        import os
        import sys

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    return h


_MISMATCH = " (the solution vector's cost differs from HiGHS's objective value: the vector's is reported)"


def _within_gap(objective: float | None, bound: float | None, rel: float, absolute: float) -> bool:
    """Whether ``objective`` is proven within the relative gap ``rel`` or the absolute gap
    ``absolute`` of ``bound``: ``objective - bound <= max(rel |objective|, absolute)``."""
    if objective is None or bound is None:
        return False
    return objective - bound <= max(rel * max(abs(objective), 1e-9), absolute) + 1e-9


def _gap_options(h: highspy.Highs) -> tuple[float, float]:
    """The run's ``(mip_rel_gap, mip_abs_gap)``."""
    def option(name: str) -> float:
        value = h.getOptionValue(name)
        return float(value[-1] if isinstance(value, tuple) else value)  # some highspy builds return (status, value)

    return option("mip_rel_gap"), option("mip_abs_gap")


def _better(first: SolveResult, second: SolveResult, options: SolveOptions) -> SolveResult:
    """The cheaper of two runs on one model, with the larger bound, optimal only if proven within the gap."""
    best = first if second.x is None or (first.objective is not None and second.objective is not None
                                         and first.objective <= second.objective) else second
    bounds = [b for b in (first.bound, second.bound) if b is not None]
    bound = max(bounds) if bounds else None
    rel, absolute = (0.0, options.mip_abs_gap) if options.mip_abs_gap is not None else (options.mip_gap, 0.0)
    proven = _within_gap(best.objective, bound, rel, absolute)
    timings = {k: first.timings.get(k, 0.0) + second.timings.get(k, 0.0)
               for k in set(first.timings) | set(second.timings)}
    return SolveResult(status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE, objective=best.objective,
                       bound=min(bound, best.objective) if proven and bound is not None and best.objective is not None
                       else bound, solver=best.solver, solver_version=best.solver_version, timings=timings,
                       x=best.x, message=best.message + " (re-solved without presolve)",
                       node_count=(first.node_count or 0) + (second.node_count or 0), row_dual=None)


class HighsBackend(Backend):
    name = "highs"

    def version(self) -> str:
        h = new_highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def build(self, model: LinearModel, relax: bool) -> highspy.Highs:
        a = model.matrix("csc")
        lp = highspy.HighsLp()
        lp.num_col_ = model.num_vars
        lp.num_row_ = model.num_rows
        lp.col_cost_ = model.cost
        lp.col_lower_ = np.where(np.isinf(model.lower), -_INF, model.lower)
        lp.col_upper_ = np.where(np.isinf(model.upper), _INF, model.upper)
        lp.row_lower_ = np.where(np.isinf(model.row_lower), -_INF, model.row_lower)
        lp.row_upper_ = np.where(np.isinf(model.row_upper), _INF, model.row_upper)
        lp.offset_ = model.offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        lp.a_matrix_.num_col_ = model.num_vars
        lp.a_matrix_.num_row_ = model.num_rows
        if not relax and model.integer.any():
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                for flag in model.integer
            ]
        h = new_highs()
        h.passModel(lp)
        # SIGINT/SIGTERM (plantwise.core.interrupt) stop any solve; the incumbent is kept
        for callback in (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt):
            callback.subscribe(highs_interrupt)
        return h

    def solve(
        self,
        model: LinearModel,
        options: SolveOptions,
        start: np.ndarray | None = None,
        relax: bool = False,
        presolve: bool = True,
    ) -> SolveResult:
        t0 = time.perf_counter()
        h = self.build(model, relax)
        h.setOptionValue("output_flag", bool(options.log))
        if not presolve:
            h.setOptionValue("presolve", "off")
        if options.time_limit is not None:
            h.setOptionValue("time_limit", float(max(options.time_limit, 0.01)))
        if options.mip_abs_gap is not None:
            h.setOptionValue("mip_rel_gap", 0.0)
            h.setOptionValue("mip_abs_gap", float(options.mip_abs_gap))
        else:
            h.setOptionValue("mip_rel_gap", float(options.mip_gap))
        h.setOptionValue("random_seed", int(options.seed))
        build_seconds = time.perf_counter() - t0
        throttle = ProgressThrottle(options)
        if options.progress is not None and not relax:

            def on_event(event: object) -> None:
                out = event.data_out  # type: ignore[attr-defined]
                throttle(out.mip_primal_bound, out.mip_dual_bound)

            h.cbMipInterrupt.subscribe(on_event)
            h.cbMipImprovingSolution.subscribe(on_event)
        if start is not None and not relax:
            sol = highspy.HighsSolution()
            sol.col_value = list(np.asarray(start, dtype=float))
            sol.value_valid = True
            h.setSolution(sol)
        t1 = time.perf_counter()
        use_threads(h, options.threads)
        if relax or not model.integer.any():
            h.run()
            return self.result(h, model, relax, {"build": build_seconds, "solve": time.perf_counter() - t1})
        abandoned = _run_mip_interruptibly(h, model, options.time_limit, start)
        timings = {"build": build_seconds, "solve": time.perf_counter() - t1}
        if abandoned is not None:
            abandoned.timings = timings
            return abandoned
        result = self.result(h, model, relax, timings)
        left = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
        if presolve and result.message.endswith(_MISMATCH) and result.x is not None \
                and (left is None or left > 0.5) and not stop_requested():
            # HiGHS's vector is not the solution it reports (seen with 1.16 after presolve):
            # solve again without presolve from that vector, within the time left
            retry = self.solve(model, options.with_(time_limit=left), start=result.x, presolve=False)
            result = _better(result, retry, options)
        return result

    def result(
        self, h: highspy.Highs, model: LinearModel, relax: bool, timings: dict[str, float]
    ) -> SolveResult:
        status = h.getModelStatus()
        ms = highspy.HighsModelStatus
        info = h.getInfo()
        is_mip = (not relax) and bool(model.integer.any())
        has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
        solution = h.getSolution()
        x = np.asarray(solution.col_value, dtype=float) if has_sol else None
        row_dual = None
        if not is_mip and has_sol and solution.dual_valid:
            row_dual = np.asarray(solution.row_dual, dtype=float)
        objective = float(info.objective_function_value) if has_sol else None
        mismatch = False
        if x is not None and objective is not None:
            # the plan is the vector: its cost is what is reported (HiGHS 1.16 can return a vector
            # that is not the solution its objective value and status describe)
            recomputed = float(model.cost @ x + model.offset)
            mismatch = abs(recomputed - objective) > 1e-6 * max(1.0, abs(recomputed))
            objective = recomputed
        if is_mip:
            bound = float(info.mip_dual_bound)
            if not np.isfinite(bound) or abs(bound) >= 1e29:
                bound = None
        else:
            bound = objective if status == ms.kOptimal else None
        if status == ms.kOptimal:
            st = SolveStatus.OPTIMAL
        elif status in (ms.kInfeasible,):
            st = SolveStatus.INFEASIBLE
        elif status in (ms.kUnboundedOrInfeasible, ms.kUnbounded):
            st = SolveStatus.ERROR
        elif has_sol:
            st = SolveStatus.FEASIBLE
        elif status in (ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt, ms.kSolutionLimit):
            st = SolveStatus.NO_SOLUTION
        else:
            st = SolveStatus.ERROR
        if st == SolveStatus.OPTIMAL and is_mip and bound is None:
            bound = objective
        message = h.modelStatusToString(status)
        if mismatch:
            message += _MISMATCH
            if st == SolveStatus.OPTIMAL and not _within_gap(objective, bound, *_gap_options(h)):
                st = SolveStatus.FEASIBLE
        return SolveResult(
            status=st,
            objective=objective,
            bound=bound,
            solver=self.name,
            solver_version=self.version(),
            timings=timings,
            x=x,
            message=message,
            node_count=int(info.mip_node_count) if is_mip else None,
            row_dual=row_dual,
        )


STOP_GRACE_SECONDS = 1.0  # after a stop, how long a MIP may take to notice it before its incumbent is taken
# past its time limit, how long a MIP may take to return before its incumbent is taken: HiGHS
# 1.16 was seen 3.5 s past a 6-s limit in the e2e re-plan (and 16 min once); the incumbent and
# bound it reported are what it would have returned, so waiting longer only spends the caller's time
OVERRUN_GRACE_SECONDS = 1.0
_ABANDONED: list[threading.Thread] = []  # MIP workers left to notice a stop by themselves


def running_abandoned_solves() -> int:
    """HiGHS runs still going after their incumbent was taken at a stop. While one runs, the
    process must end with ``os._exit`` (the CLI does): finalising the interpreter under a
    running C++ solver aborts it."""
    _ABANDONED[:] = [t for t in _ABANDONED if t.is_alive()]
    return len(_ABANDONED)


def _run_mip_interruptibly(h: highspy.Highs, model: LinearModel, time_limit: float | None = None,
                           start: np.ndarray | None = None) -> SolveResult | None:
    """Run a MIP so that a stop request ends it within :data:`STOP_GRACE_SECONDS`, and a
    run still going :data:`OVERRUN_GRACE_SECONDS` after ``time_limit`` is left the same way
    (HiGHS 1.16 was seen 16 minutes past a 60-s limit inside its root-node rounding
    heuristic, ``linesearchRounding`` -> ``ObjectivePropagation::propagate``, which checks
    neither the clock nor the interrupt callback).

    HiGHS checks its interrupt callback often, but not inside some primal heuristics
    (sub-MIPs), where it can stay for many seconds. So the run happens in a worker thread
    while the incumbent is captured from the improving-solution callback; when a stop was
    requested and HiGHS has not returned after the grace period, the captured incumbent and
    the last dual bound are returned (status ``feasible``, or ``no_solution`` without one)
    and the worker is left running; its interrupt callback ends it the next time HiGHS calls
    it. Returns ``None`` when HiGHS returned normally (read the result from ``h``)."""
    # the start is the incumbent until HiGHS reports a better one (checked, like any, when taken)
    captured: dict[str, object] = {"x": None if start is None else np.asarray(start, dtype=float), "bound": None}

    def on_improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        captured["x"] = np.array(out.mip_solution, dtype=float)

    def on_interrupt(event: object) -> None:
        captured["bound"] = float(event.data_out.mip_dual_bound)  # type: ignore[attr-defined]
        if captured.get("abandoned"):  # its result is no longer read: end it at its first check
            event.data_in.user_interrupt = True  # type: ignore[attr-defined]

    started = time.perf_counter()
    h.cbMipImprovingSolution.subscribe(on_improving)
    h.cbMipInterrupt.subscribe(on_interrupt)
    worker = threading.Thread(target=h.run, name="plantwise-highs", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
        since = seconds_since_stop()
        stopped = since is not None and since > STOP_GRACE_SECONDS
        overran = time_limit is not None and time.perf_counter() - started > time_limit + OVERRUN_GRACE_SECONDS
        if worker.is_alive() and (stopped or overran):
            captured["abandoned"] = True
            _ABANDONED.append(worker)
            why = "interrupted" if stopped else \
                f"HiGHS did not return {OVERRUN_GRACE_SECONDS:g} s after its time limit"
            x = captured["x"]
            bound = captured["bound"]
            usable = isinstance(bound, float) and np.isfinite(bound) and abs(bound) < 1e29
            if isinstance(x, np.ndarray) and x.size == model.num_vars and model.max_violation(x) <= 1e-6:
                return SolveResult(SolveStatus.FEASIBLE, model.objective_value(x), bound if usable else None,
                                   "highs", HighsBackend().version(), x=x,
                                   message=f"{why}; its last incumbent is kept")
            return SolveResult(SolveStatus.NO_SOLUTION, None, None, "highs", HighsBackend().version(),
                               message=f"{why}, before HiGHS found a plan")
    return None


class ReusableHighs:
    """One HiGHS model kept alive for repeated solves that change only the cost vector.

    Solves ``min c^T x + ½ x^T diag(q) x`` over the rows and bounds of ``model``
    (``q = hessian_diag``, ≥ 0; a quadratic term needs a continuous model, since HiGHS
    has no MIQP). Used by iterative methods (ADMM) whose sub-problems keep their
    constraints and move their prices; HiGHS warm-starts each re-solve from the last one.
    """

    def __init__(self, model: LinearModel, hessian_diag: np.ndarray | None = None, relax: bool = False,
                 threads: int = 1, mip_gap: float = 1e-6, time_limit: float | None = None) -> None:
        self.model = model
        self.num_vars = model.num_vars
        self.is_mip = (not relax) and bool(model.integer.any())
        self.h = HighsBackend().build(model, relax)
        self.threads = int(threads)
        self.h.setOptionValue("random_seed", 0)
        if self.is_mip:
            self.h.setOptionValue("mip_rel_gap", float(mip_gap))
        if time_limit is not None:
            self.h.setOptionValue("time_limit", float(time_limit))
        self.base_cost = model.cost
        if hessian_diag is not None:
            q = np.asarray(hessian_diag, dtype=float)
            if self.is_mip and np.any(q != 0):
                raise ValueError("HiGHS has no MIQP: a quadratic term needs a continuous model")
            cols = np.flatnonzero(q)
            start = np.zeros(self.num_vars + 1, dtype=np.int32)
            np.add.at(start, cols + 1, 1)
            start = np.cumsum(start).astype(np.int32)
            self.h.passHessian(self.num_vars, len(cols), highspy.HessianFormat.kTriangular, start,
                               cols.astype(np.int32), q[cols])

    def solve(self, cost: np.ndarray | None = None) -> SolveResult:
        """Re-solve with objective coefficients ``cost`` (the model's own when ``None``)."""
        c = self.base_cost if cost is None else np.asarray(cost, dtype=float)
        self.h.changeColsCost(self.num_vars, np.arange(self.num_vars, dtype=np.int32), c)
        t0 = time.perf_counter()
        use_threads(self.h, self.threads)
        self.h.run()
        return HighsBackend().result(self.h, self.model, not self.is_mip, {"solve": time.perf_counter() - t0})
