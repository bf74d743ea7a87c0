r"""The textbook multi-item CLSP MILP on HiGHS: what a user would write for a Trigeiro file.

Independent of plantwise (its own parser, its own model, its own check). For items
:math:`i` and periods :math:`t`: production :math:`x_{it} \ge 0`, end inventory
:math:`s_{it} \ge 0`, setup :math:`y_{it} \in \{0, 1\}`,

.. math::

    \min \sum_{i,t} (sc_i y_{it} + h_i s_{it}) \quad \text{s.t.} \quad
    s_{i,t-1} + x_{it} - s_{it} = d_{it} \;(s_{i0} = 0), \quad
    x_{it} \le \min\Big(\frac{CAP - st_i}{a_i}, \sum_{u \ge t} d_{iu}\Big) y_{it}, \quad
    \sum_i (a_i x_{it} + st_i y_{it}) \le CAP.

The unit production cost ``c`` of the file is a constant (every plan makes the total
demand) and is left out, as in plantwise's reading of the same file. :func:`solve`
returns a :class:`benchmarks.peers.Outcome` whose trajectory comes from HiGHS's
improving-solution callback and whose ``verified`` is an independent recomputation of
balance, capacity, setup forcing and cost from the file's data and the solution values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np

from benchmarks.peers import Outcome, Trace, run_highs_mip

TOL = 1e-6


@dataclass
class Clsp:
    name: str
    capacity: float
    a: np.ndarray  # [n] capacity use per unit
    h: np.ndarray  # [n] holding cost per unit-period
    st: np.ndarray  # [n] setup time
    sc: np.ndarray  # [n] setup cost
    demand: np.ndarray  # [n, T]


def read(path: str | Path) -> Clsp:
    """Parse a Trigeiro file (header, c, CAP, n item records, T demand records, footer ignored)."""
    path = Path(path)
    tokens = path.read_text().split()
    n, T = int(tokens[0]), int(tokens[1])
    cap = float(tokens[3])
    pos = 4
    items = np.array([float(v) for v in tokens[pos:pos + 4 * n]]).reshape(n, 4)
    pos += 4 * n
    demand = np.array([float(v) for v in tokens[pos:pos + n * T]]).reshape(T, n).T
    return Clsp(path.name, cap, items[:, 0], items[:, 1], items[:, 2], items[:, 3], demand)


def check(inst: Clsp, x: np.ndarray, s: np.ndarray, y: np.ndarray, objective: float) -> tuple[bool, str]:
    """Recompute every rule and the cost from the data; ``(ok, first problem)``."""
    n = inst.demand.shape[0]
    scale = max(1.0, float(inst.demand.max()))
    y = np.round(y)
    prev = np.concatenate([np.zeros((n, 1)), s[:, :-1]], axis=1)
    if np.abs(prev + x - s - inst.demand).max() > TOL * scale:
        return False, "balance"
    if (x < -TOL * scale).any() or (s < -TOL * scale).any():
        return False, "negative production or stock"
    if ((x > TOL * scale) & (y < 0.5)).any():
        return False, "production without a setup"
    used = (inst.a[:, None] * x + inst.st[:, None] * y).sum(axis=0)
    if (used > inst.capacity * (1 + TOL)).any():
        return False, "capacity"
    cost = float((inst.sc[:, None] * y).sum() + (inst.h[:, None] * np.maximum(s, 0.0)).sum())
    if abs(cost - objective) > 1e-6 * max(1.0, abs(cost)):
        return False, f"cost {cost} != objective {objective}"
    return True, ""


def solve(path: str | Path, time_limit: float = 60.0, threads: int = 1, mip_gap: float = 1e-6) -> Outcome:
    """Build and solve the textbook model of the file at ``path`` (module docstring); a relative
    ``path`` is under :data:`benchmarks.registry.SHARED`."""
    path = Path(path)
    if not path.is_absolute():
        from benchmarks.registry import SHARED

        path = SHARED / path
    trace = Trace()
    inst = read(path)
    n, T = inst.demand.shape
    remaining = np.cumsum(inst.demand[:, ::-1], axis=1)[:, ::-1]  # demand from t on
    big_m = np.minimum(np.maximum((inst.capacity - inst.st) / inst.a, 0.0)[:, None], remaining)  # [n, T]
    nx = n * T
    X, S, Y = np.arange(nx).reshape(n, T), nx + np.arange(nx).reshape(n, T), 2 * nx + np.arange(nx).reshape(n, T)
    inf = highspy.kHighsInf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    cost = np.concatenate([np.zeros(nx), np.repeat(inst.h, T), np.repeat(inst.sc, T)])
    lower = np.zeros(3 * nx)
    upper = np.concatenate([big_m.ravel(), np.full(nx, inf), np.where(big_m.ravel() > 0, 1.0, 0.0)])
    h.addVars(3 * nx, lower, upper)
    h.changeColsCost(3 * nx, np.arange(3 * nx, dtype=np.int32), cost)
    h.changeColsIntegrality(nx, Y.ravel().astype(np.int32), np.full(nx, highspy.HighsVarType.kInteger))
    rows: list[tuple[float, float, list[int], list[float]]] = []
    for i in range(n):
        for t in range(T):
            idx, val = [int(X[i, t]), int(S[i, t])], [1.0, -1.0]
            if t:
                idx.append(int(S[i, t - 1]))
                val.append(1.0)
            rows.append((inst.demand[i, t], inst.demand[i, t], idx, val))  # balance
            rows.append((-inf, 0.0, [int(X[i, t]), int(Y[i, t])], [1.0, -float(big_m[i, t])]))  # forcing
    for t in range(T):
        rows.append((-inf, inst.capacity, [int(X[i, t]) for i in range(n)] + [int(Y[i, t]) for i in range(n)],
                     list(inst.a) + list(inst.st)))  # capacity
    starts, index, value = [], [], []
    for _, _, idx, val in rows:
        starts.append(len(index))
        index.extend(idx)
        value.extend(val)
    h.addRows(len(rows), np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), len(index),
              np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value))
    info, status = run_highs_mip(h, trace, time_limit, threads, mip_gap)
    seconds = trace.elapsed()
    ms = highspy.HighsModelStatus
    if info.primal_solution_status != 2:
        return Outcome("infeasible" if status == ms.kInfeasible else "no_solution", None, None, seconds,
                       trace.points, None, h.modelStatusToString(status))
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    col = np.asarray(h.getSolution().col_value)
    ok, problem = check(inst, col[X], col[S], col[Y], objective)
    trace(objective, at=seconds)
    return Outcome("optimal" if status == ms.kOptimal else "feasible", objective, min(bound, objective), seconds,
                   trace.points, ok, problem or f"HiGHS {h.version()}, {int(info.mip_node_count)} nodes")


if __name__ == "__main__":
    import json
    import sys

    t0 = time.perf_counter()
    out = solve(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 60.0)
    print(json.dumps({"status": out.status, "objective": out.objective, "bound": out.bound, "gap": out.gap,
                      "seconds": round(out.seconds, 3), "verified": out.verified, "note": out.note,
                      "trajectory": out.trajectory[-3:]}))
