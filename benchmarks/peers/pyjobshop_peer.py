"""PyJobShop (0.0.9, OR-Tools CP-SAT) on the job shops and hybrid flow shops: the peer a user would pick.

The model is built with PyJobShop's own API (a machine per machine, a job per job, a task per
operation with one mode per eligible machine, end-before-start along each route, makespan
objective) and solved with PyJobShop's OR-Tools model and exactly the parameters of
``pyjobshop.solve`` (``max_time_in_seconds``, ``num_workers``; CP-SAT's default parallel
search). The one addition is a solution callback that records the incumbent trajectory.
Each schedule is checked by :func:`benchmarks.peers.shopfiles.check` against the file.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.peers import Outcome, Trace
from benchmarks.peers.shopfiles import check, read


def solve(path: str, fmt: str, time_limit: float, threads: int = 2) -> Outcome:
    """Minimise the makespan of the shop in ``path`` (``fmt``: jsplib or hfs) with PyJobShop."""
    from ortools.sat.python.cp_model import CpSolver, CpSolverSolutionCallback
    from pyjobshop import Model
    from pyjobshop.solvers.ortools import CPModel

    trace = Trace()
    shop, machine_count = read(Path(path), fmt)
    model = Model()
    machines = [model.add_machine(name=f"M{i}") for i in range(machine_count)]
    tasks: dict[tuple[int, int], object] = {}
    for k, route in enumerate(shop):
        job = model.add_job(name=f"J{k}")
        previous = None
        for o, alternatives in enumerate(route):
            task = model.add_task(job=job, name=f"J{k}O{o}")
            for machine, duration in alternatives:
                model.add_mode(task, machines[machine], duration)
            if previous is not None:
                model.add_end_before_start(previous, task)
            tasks[(k, o)] = task
            previous = task
    model.set_objective(weight_makespan=1)
    cp = CPModel(model.data())

    class _Incumbents(CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            trace(self.objective_value)

    solver = CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit - trace.elapsed(), 0.01)
    solver.parameters.num_workers = threads
    code = solver.solve(cp._model, _Incumbents())
    status = solver.status_name(code)
    if status not in ("OPTIMAL", "FEASIBLE"):
        return Outcome("infeasible" if status == "INFEASIBLE" else "no_solution", None, None, trace.elapsed(),
                       trace.points, None, status)
    solution = cp._convert_to_solution(solver)
    data = model.data()
    schedule = {}
    index = {id(task): i for i, task in enumerate(model.tasks)}
    for key, task in tasks.items():
        scheduled = solution.tasks[index[id(task)]]
        resource = data.modes[scheduled.mode].resources[0]
        schedule[key] = (resource, scheduled.start, scheduled.end)
    ok, makespan, problem = check(shop, schedule)
    objective = float(solver.objective_value)
    seconds = trace.elapsed()
    trace(objective)
    note = problem if not ok else ("" if makespan == objective else f"checked makespan {makespan} != {objective}")
    return Outcome("optimal" if status == "OPTIMAL" else "feasible", objective, float(solver.best_objective_bound),
                   seconds, trace.points, ok and makespan == objective, note)
