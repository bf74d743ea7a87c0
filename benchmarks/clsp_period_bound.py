r"""The per-period Dantzig-Wolfe bound of the textbook CLSP, measured against HiGHS's own bound.

Issue 14 asked whether a bound that "sees the capacity shared by items with setup times"
would close the X11119 gap. This script computes one: the column-generation bound of the
textbook model (:mod:`benchmarks.peers.clsp_textbook`) in which every period's capacity set

.. math::

    P_t = \{(x, y) : \textstyle\sum_i (a_i x_i + st_i y_i) \le CAP,\;
           0 \le x_i \le U_{it} y_i,\; y \in \{0, 1\}^n\},\qquad
    U_{it} = \min\big((CAP - st_i) / a_i,\; \textstyle\sum_{u \ge t} d_{iu}\big)

is replaced by its convex hull (a convex combination :math:`\sum_k \lambda_{tk} (x^k, y^k)`
of points of :math:`P_t`, :math:`\sum_k \lambda_{tk} = 1`), while the original variables
keep the balance rows and, with ``--facility-location`` (the default), the facility-location
extended formulation :math:`x_{it} = \sum_{u \ge t} w_{itu}`, :math:`w_{itu} \le d_{iu}
y_{it}`, :math:`\sum_{t \le u} w_{itu} = d_{iu}` (the convex hull of each uncapacitated
item). The master therefore bounds at least as well as the item hull and the period hull
alone (Jans & Degraeve's combined bound). Pricing period :math:`t` with duals
:math:`\pi, \rho` of the linking rows :math:`x_{it} = \sum_k \lambda_{tk} x^k_i`,
:math:`y_{it} = \sum_k \lambda_{tk} y^k_i` and :math:`\mu_t` of convexity is
:math:`\min_{P_t} \sum_i (\pi_i x_i + \rho_i y_i) - \mu_t`, solved exactly by enumerating
the :math:`2^n` setup patterns (n = 10 on a Trigeiro file) with a fractional knapsack for
:math:`x` in each. The reported bound is the Lagrangian one,
:math:`z_{RMP} + \sum_t \min(0, \bar c_t)`, valid at every iteration. Linking slacks with a
penalty keep the first restricted masters feasible; they relax the master, so the bound
stays valid.

    python benchmarks/clsp_period_bound.py X11119A X11119B ...   # names under the shared folder

Measured (2026-12-01): X11119A 8,915.8 in 11 s, where HiGHS's root bound after its own
cuts is 9,031.9 and its 60-s bound 9,147 — the period hull is *weaker* than what HiGHS
already reaches, so it is not a way to a smaller final gap (BENCHMARKS.md, issue 14
session 3).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import highspy
import numpy as np

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers.clsp_textbook import Clsp, read
from benchmarks.registry import SHARED

FOLDER = SHARED / "clsp_trigeiro_X" / "instances"
LINK_PENALTY = 1e4  # cost per unit of a linking slack (relaxes the master: the bound stays valid)


class PeriodMaster:
    """The restricted master LP of the module docstring, grown one column per period and round."""

    def __init__(self, inst: Clsp, facility_location: bool = True) -> None:
        self.inst = inst
        n, T = inst.demand.shape
        d = inst.demand
        remaining = np.cumsum(d[:, ::-1], axis=1)[:, ::-1]
        self.upper = np.minimum(np.maximum((inst.capacity - inst.st) / inst.a, 0.0)[:, None], remaining)
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.ncols = 0
        inf = highspy.kHighsInf
        X = self._cols(np.zeros(n * T), self.upper.ravel()).reshape(n, T)
        Y = self._cols(np.repeat(inst.sc, T), np.ones(n * T)).reshape(n, T)
        S = self._cols(np.repeat(inst.h, T), np.full(n * T, inf)).reshape(n, T)
        slacks = [self._cols(np.full(n * T, LINK_PENALTY), np.full(n * T, inf)).reshape(n, T) for _ in range(4)]
        self.nrows = 0
        for i in range(n):
            for t in range(T):
                prev = [(S[i, t - 1], 1.0)] if t else []
                self._row(d[i, t], d[i, t], [(X[i, t], 1.0), (S[i, t], -1.0), *prev])  # balance
                self._row(-inf, 0.0, [(X[i, t], 1.0), (Y[i, t], -self.upper[i, t])])  # setup forcing
        if facility_location:
            for i in range(n):
                w = {(t, u): self._cols(np.zeros(1), np.array([d[i, u]]))[0]
                     for t in range(T) for u in range(t, T) if d[i, u] > 0}
                for t in range(T):
                    self._row(0.0, 0.0, [(X[i, t], 1.0)] + [(w[t, u], -1.0) for u in range(t, T) if (t, u) in w])
                    for u in range(t, T):
                        if (t, u) in w:
                            self._row(-inf, 0.0, [(w[t, u], 1.0), (Y[i, t], -d[i, u])])
                for u in range(T):
                    if d[i, u] > 0:
                        self._row(d[i, u], d[i, u], [(w[t, u], 1.0) for t in range(u + 1)])
        self.link_x = np.array([[self._row(0.0, 0.0, [(X[i, t], 1.0), (slacks[0][i, t], 1.0),
                                                      (slacks[1][i, t], -1.0)]) for t in range(T)] for i in range(n)])
        self.link_y = np.array([[self._row(0.0, 0.0, [(Y[i, t], 1.0), (slacks[2][i, t], 1.0),
                                                      (slacks[3][i, t], -1.0)]) for t in range(T)] for i in range(n)])
        self.convexity = np.array([self._row(1.0, 1.0, []) for _ in range(T)])
        for t in range(T):
            self.add_column(t, np.zeros(n), np.zeros(n))
        self.patterns = np.array(list(itertools.product((0.0, 1.0), repeat=n)))  # [2^n, n] setup patterns

    def _cols(self, cost: np.ndarray, upper: np.ndarray) -> np.ndarray:
        k = len(cost)
        self.h.addVars(k, np.zeros(k), upper.astype(float))
        ids = np.arange(self.ncols, self.ncols + k)
        self.h.changeColsCost(k, ids.astype(np.int32), cost.astype(float))
        self.ncols += k
        return ids

    def _row(self, lower: float, upper: float, terms: list[tuple[int, float]]) -> int:
        self.h.addRow(lower, upper, len(terms), np.array([int(j) for j, _ in terms], dtype=np.int32),
                      np.array([v for _, v in terms], dtype=float))
        self.nrows += 1
        return self.nrows - 1

    def add_column(self, t: int, x: np.ndarray, y: np.ndarray) -> None:
        """Column :math:`\\lambda_{tk}` of the point ``(x, y)`` of :math:`P_t`."""
        rows = np.concatenate([self.link_x[:, t], self.link_y[:, t], [self.convexity[t]]])
        vals = np.concatenate([-x, -y, [1.0]])
        keep = vals != 0
        self.h.addCol(0.0, 0.0, highspy.kHighsInf, int(keep.sum()), rows[keep].astype(np.int32), vals[keep])

    def price(self, t: int, pi: np.ndarray, rho: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``min over P_t of pi.x + rho.y`` and its minimiser: every setup pattern, with the
        capacity it leaves filled greedily by the items of most negative ``pi / a``."""
        inst = self.inst
        order = np.argsort(pi / inst.a)
        a, benefit = inst.a[order], -pi[order]
        setups = self.patterns[:, order]
        room = inst.capacity - setups @ inst.st[order]
        cap = self.upper[order, t][None, :] * setups
        before = np.cumsum(cap * a, axis=1) - cap * a
        x = np.where(benefit > 0, np.clip((room[:, None] - before) / a, 0.0, cap), 0.0)
        value = np.where(room >= -1e-9, setups @ rho[order] - x @ benefit, np.inf)
        k = int(np.argmin(value))
        x_out, y_out = np.zeros_like(pi), np.zeros_like(pi)
        x_out[order], y_out[order] = x[k], setups[k]
        return float(value[k]), x_out, y_out

    def solve(self, max_rounds: int = 1000, tolerance: float = 1e-7) -> tuple[float, int]:
        """Column generation to convergence; ``(best Lagrangian bound, rounds)``."""
        best = -np.inf
        T = self.inst.demand.shape[1]
        for rounds in range(1, max_rounds + 1):
            self.h.run()
            z = self.h.getInfo().objective_function_value
            dual = np.asarray(self.h.getSolution().row_dual)
            bound, added = z, 0
            for t in range(T):
                value, x, y = self.price(t, dual[self.link_x[:, t]], dual[self.link_y[:, t]])
                reduced = value - dual[self.convexity[t]]
                if reduced < -tolerance:
                    self.add_column(t, x, y)
                    bound += reduced
                    added += 1
            best = max(best, bound)
            if not added:
                return max(best, z), rounds
        return best, max_rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("instances", nargs="+", help="file names under the shared Trigeiro folder, or paths")
    parser.add_argument("--no-facility-location", action="store_true", help="the period hull alone")
    args = parser.parse_args()
    for name in args.instances:
        path = Path(name) if Path(name).exists() else FOLDER / name
        t0 = time.perf_counter()
        master = PeriodMaster(read(path), facility_location=not args.no_facility_location)
        bound, rounds = master.solve()
        print(json.dumps({"instance": path.name, "period_dw_bound": round(bound, 3), "rounds": rounds,
                          "seconds": round(time.perf_counter() - t0, 2)}))


if __name__ == "__main__":
    main()
