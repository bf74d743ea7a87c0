"""The scheduling problem the solver and the verifier see: a *shop*.

A shop is a set of jobs; job ``k`` is an ordered route of operations; operation ``o``
may run on any of its *alternatives* ``a = (o, machine, duration)``. Everything is in
integer time units (minutes for the document's food plants, the file's unit for the
benchmark formats). The document's plants, a JSPLIB job shop and a Carlier-Neron hybrid
flow shop all become shops:

* job shop: every operation has exactly one alternative;
* hybrid flow shop: operation ``s`` of every job may run on any machine of stage ``s``;
* food plant (document 002): jobs are batches of a finished good, routed by its recipe
  (extrude, dry, coat, package) over parallel machines, with a shelf-life lag, a work
  calendar and a finished-goods inventory per period.

Arrays are flat and indexed by position so the CP-SAT model is built from precomputed
index sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from plantwise.core.errors import InputError, InputErrors


@dataclass
class Inventory:
    """Finished-goods inventory per period (absent for the benchmark formats).

    Period ``p`` ends at time ``period_end[p]``; ``demand[g, p]`` is consumed during
    period ``p``; a job's output enters stock in the first period whose end is at or
    after the job's finish. Quantities are in units (lbs); costs per unit and period.
    ``adjustment[g, p]`` (re-planning's stock corrections) enters the stock in period ``p``.
    """

    goods: list[str]
    period_end: np.ndarray  # [P] time units, increasing
    demand: np.ndarray  # [G, P]
    initial: np.ndarray  # [G]
    holding_cost: np.ndarray  # [G] per unit and period
    stockout_cost: np.ndarray  # [G] per unit and period
    safety_cost: np.ndarray  # [G] per unit below the reorder point and period
    reorder_point: np.ndarray  # [G] units (fixed within one solve)
    adjustment: np.ndarray | None = None  # [G, P] stock corrections added in period p (None: none)

    @property
    def num_periods(self) -> int:
        return len(self.period_end)


@dataclass
class Shop:
    """Jobs, operations, alternatives, calendar, lags and (optionally) inventory.

    Jobs ``k``: ``job_name``, ``job_good`` (-1 if none), ``job_quantity`` (output units),
    ``job_optional`` (the solver may leave it out), ``job_release``, ``job_due``,
    ``job_weight``, ``job_fixed_cost`` (cost of running it that does not depend on the
    machines chosen). Operations ``o`` (ordered by job, then route position):
    ``op_job``, ``op_stage`` (a stage name per operation). Alternatives ``a``:
    ``alt_op``, ``alt_machine``, ``alt_duration`` (setup included), ``alt_setup``
    (the setup part of the duration) and ``alt_cost`` (machine, labour, setup cost).
    ``lags`` rows ``(job, op_from, op_to, max_lag)`` demand ``end(op_to) - start(op_from)
    <= max_lag`` (shelf life). ``breaks`` are half-open ``[start, end)`` windows in which
    no machine works; ``downtime`` rows ``(machine, start, end)`` are windows in which one
    machine does not (inside working windows, disjoint per machine). Every operation must
    end by ``horizon``. ``job_loss`` is the part of a job's output lost (its stock receipt
    is ``job_quantity - job_loss``).
    """

    name: str
    machines: list[str]
    machine_stage: list[str]
    job_name: list[str]
    job_good: np.ndarray
    job_quantity: np.ndarray
    job_optional: np.ndarray
    job_release: np.ndarray
    job_due: np.ndarray
    job_weight: np.ndarray
    job_fixed_cost: np.ndarray
    op_job: np.ndarray
    op_stage: list[str]
    alt_op: np.ndarray
    alt_machine: np.ndarray
    alt_duration: np.ndarray
    alt_setup: np.ndarray
    alt_cost: np.ndarray
    horizon: int
    breaks: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    lags: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int64))
    inventory: Inventory | None = None
    time_unit: str = "min"
    job_input: np.ndarray | None = None  # [O] units entering each operation (food plants)
    alt_cost_parts: dict[str, np.ndarray] = field(default_factory=dict)  # named parts summing to alt_cost
    job_cost_parts: dict[str, np.ndarray] = field(default_factory=dict)  # named parts summing to job_fixed_cost
    downtime: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))  # (machine, start, end)
    job_loss: np.ndarray | None = None  # [K] output units lost per job (None: none)

    # ---------------------------------------------------------------- derived
    @property
    def num_jobs(self) -> int:
        return len(self.job_name)

    @property
    def num_ops(self) -> int:
        return len(self.op_job)

    def job_ops(self) -> list[np.ndarray]:
        """Operation positions of each job, in route order."""
        order = np.argsort(self.op_job, kind="stable")
        bounds = np.searchsorted(self.op_job[order], np.arange(self.num_jobs + 1))
        return [order[bounds[k]:bounds[k + 1]] for k in range(self.num_jobs)]

    def op_alts(self) -> list[np.ndarray]:
        order = np.argsort(self.alt_op, kind="stable")
        bounds = np.searchsorted(self.alt_op[order], np.arange(self.num_ops + 1))
        return [order[bounds[o]:bounds[o + 1]] for o in range(self.num_ops)]

    def received(self) -> np.ndarray:
        """``[K]`` units each job puts into stock: its output less its loss."""
        return self.job_quantity if self.job_loss is None else self.job_quantity - self.job_loss

    def machine_downtime(self, machine: int) -> np.ndarray:
        """``[start, end)`` downtime windows of machine index ``machine``."""
        rows = self.downtime[self.downtime[:, 0] == machine] if len(self.downtime) else self.downtime
        return rows[:, 1:3]

    def working_windows(self) -> np.ndarray:
        """``[start, end)`` working windows: the complement of the breaks within ``[0, horizon]``."""
        edges = np.concatenate([[0], np.asarray(self.breaks, dtype=np.int64).ravel(), [self.horizon]])
        w = edges.reshape(-1, 2)
        return w[w[:, 1] > w[:, 0]]

    def working(self, start: int, end: int) -> bool:
        """True when ``[start, end)`` meets no break."""
        if len(self.breaks) == 0 or end <= start:
            return True
        return not bool(np.any((self.breaks[:, 0] < end) & (self.breaks[:, 1] > start)))

    def working_time(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working time units inside each ``[start, end)`` (the span minus its breaks)."""
        start = np.asarray(start, dtype=np.int64)
        end = np.asarray(end, dtype=np.int64)
        span = np.maximum(end - start, 0).astype(float)
        if len(self.breaks) == 0:
            return span
        b0, b1 = self.breaks[:, 0][None, :], self.breaks[:, 1][None, :]
        overlap = np.clip(np.minimum(b1, end[:, None]) - np.maximum(b0, start[:, None]), 0, None)
        return span - overlap.sum(axis=1)

    def describe(self) -> str:
        return (f"{self.name}: {self.num_jobs} jobs, {self.num_ops} operations, {len(self.alt_op)} machine "
                f"alternatives, {len(self.machines)} machines, horizon {self.horizon} {self.time_unit}")


def _plain_shop(name: str, routes: list[list[list[tuple[int, int]]]], machines: list[str],
                machine_stage: list[str], op_stage_names: list[list[str]], unit: str) -> Shop:
    """A shop without inventory: ``routes[k][s]`` lists (machine, duration) alternatives."""
    op_job, op_stage, alt_op, alt_machine, alt_duration = [], [], [], [], []
    for k, route in enumerate(routes):
        for s, alternatives in enumerate(route):
            o = len(op_job)
            op_job.append(k)
            op_stage.append(op_stage_names[k][s])
            for m, d in alternatives:
                alt_op.append(o)
                alt_machine.append(m)
                alt_duration.append(d)
    n = len(routes)
    durations = np.array(alt_duration, dtype=np.int64)
    # trivial horizon: every operation on its longest alternative, one after another
    per_op = np.zeros(len(op_job), dtype=np.int64)
    np.maximum.at(per_op, np.array(alt_op, dtype=np.int64), durations)
    return Shop(
        name=name, machines=machines, machine_stage=machine_stage, job_name=[f"J{k}" for k in range(n)],
        job_good=np.full(n, -1, dtype=np.int64), job_quantity=np.zeros(n), job_optional=np.zeros(n, dtype=bool),
        job_release=np.zeros(n, dtype=np.int64), job_due=np.zeros(n, dtype=np.int64), job_weight=np.ones(n),
        job_fixed_cost=np.zeros(n), op_job=np.array(op_job, dtype=np.int64), op_stage=op_stage,
        alt_op=np.array(alt_op, dtype=np.int64), alt_machine=np.array(alt_machine, dtype=np.int64),
        alt_duration=durations, alt_setup=np.zeros(len(alt_op), dtype=np.int64), alt_cost=np.zeros(len(alt_op)),
        horizon=int(per_op.sum()), time_unit=unit,
    )


def _tokens(path: Path, comment: str | None) -> list[tuple[int, list[str]]]:
    if not path.is_file():
        raise InputErrors([InputError(str(path), None, None, "no such file")])
    lines = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.split(comment, 1)[0] if comment else line
        if text.strip():
            lines.append((number, text.split()))
    return lines


def _int(path: Path, row: int, column: int, token: str, minimum: int = 0) -> int:
    try:
        value = int(token)
    except ValueError:
        raise InputErrors([InputError(path.name, row, f"field {column}", f"expected an integer, got {token!r}")]) \
            from None
    if value < minimum:
        raise InputErrors([InputError(path.name, row, f"field {column}", f"must be >= {minimum}, got {value}")])
    return value


def read_jsplib(path: str | Path) -> Shop:
    """Read a JSPLIB job shop: ``#`` comments, ``n m``, then per job ``machine duration`` pairs
    in route order (machines from 0). Errors name the file's line and field."""
    path = Path(path)
    lines = _tokens(path, "#")
    if not lines:
        raise InputErrors([InputError(path.name, None, None, "empty file")])
    row, head = lines[0]
    if len(head) < 2:
        raise InputErrors([InputError(path.name, row, None, "expected 'n_jobs n_machines'")])
    n, m = _int(path, row, 1, head[0], 1), _int(path, row, 2, head[1], 1)
    if len(lines) - 1 < n:
        raise InputErrors([InputError(path.name, None, None, f"expected {n} job lines, found {len(lines) - 1}")])
    routes, stages = [], []
    for k in range(n):
        row, tokens = lines[1 + k]
        if len(tokens) != 2 * m:
            message = f"job {k}: expected {m} (machine, duration) pairs, got {len(tokens)} values"
            raise InputErrors([InputError(path.name, row, None, message)])
        route = []
        for s in range(m):
            machine = _int(path, row, 2 * s + 1, tokens[2 * s])
            if machine >= m:
                raise InputErrors([InputError(path.name, row, f"field {2 * s + 1}",
                                              f"machine {machine} out of range 0..{m - 1}")])
            route.append([(machine, _int(path, row, 2 * s + 2, tokens[2 * s + 1]))])
        routes.append(route)
        stages.append([f"M{alts[0][0]}" for alts in route])
    return _plain_shop(path.name, routes, [f"M{i}" for i in range(m)], [f"M{i}" for i in range(m)], stages, "unit")


def read_hfs(path: str | Path) -> Shop:
    """Read a Carlier-Neron hybrid flow shop (whitespace-separated): ``S-1``, ``N-1``, then
    one row per stage ``p[1..N]``, zero padding and last the number of identical machines.
    Rows after the first ``S`` stage rows are padding and ignored."""
    path = Path(path)
    lines = _tokens(path, None)
    if len(lines) < 3:
        raise InputErrors([InputError(path.name, None, None, "expected S-1, N-1 and one row per stage")])
    stages_count = _int(path, lines[0][0], 1, lines[0][1][0]) + 1
    jobs = _int(path, lines[1][0], 1, lines[1][1][0]) + 1
    if len(lines) - 2 < stages_count:
        raise InputErrors([InputError(path.name, None, None, f"expected {stages_count} stage rows")])
    machines, machine_stage, stage_machines, times = [], [], [], []
    for s in range(stages_count):
        row, tokens = lines[2 + s]
        if len(tokens) < jobs + 1:
            raise InputErrors([InputError(path.name, row, None, f"stage {s + 1}: expected {jobs} processing times "
                                                                f"and a machine count")])
        p = [_int(path, row, j + 1, tokens[j]) for j in range(jobs)]
        count = _int(path, row, len(tokens), tokens[-1], 1)
        stage_machines.append(list(range(len(machines), len(machines) + count)))
        machines += [f"S{s + 1}M{i + 1}" for i in range(count)]
        machine_stage += [f"S{s + 1}"] * count
        times.append(p)
    routes = [[[(m, times[s][k]) for m in stage_machines[s]] for s in range(stages_count)] for k in range(jobs)]
    names = [[f"S{s + 1}" for s in range(stages_count)] for _ in range(jobs)]
    return _plain_shop(path.name, routes, machines, machine_stage, names, "unit")
