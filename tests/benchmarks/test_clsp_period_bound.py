"""The per-period Dantzig-Wolfe bound script: a valid bound, at least the textbook LP's."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from benchmarks.clsp_period_bound import FOLDER, PeriodMaster
from benchmarks.peers.clsp_textbook import read

needs_shared = pytest.mark.skipif(not FOLDER.exists(), reason="../shared/benchmarks absent")


def _textbook_lp(path) -> float:  # type: ignore[no-untyped-def]
    """The textbook model's LP relaxation (balance, tight setup forcing, capacity)."""
    inst = read(path)
    n, T = inst.demand.shape
    master = PeriodMaster(inst, facility_location=False)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    X, S, Y = (np.arange(n * T).reshape(n, T) + k * n * T for k in range(3))
    h.addVars(3 * n * T, np.zeros(3 * n * T), np.concatenate([master.upper.ravel(), np.full(n * T, inf),
                                                                  np.ones(n * T)]))
    h.changeColsCost(3 * n * T, np.arange(3 * n * T, dtype=np.int32),
                     np.concatenate([np.zeros(n * T), np.repeat(inst.h, T), np.repeat(inst.sc, T)]))
    for i in range(n):
        for t in range(T):
            idx = [X[i, t], S[i, t]] + ([S[i, t - 1]] if t else [])
            h.addRow(inst.demand[i, t], inst.demand[i, t], len(idx), np.array(idx, np.int32),
                     np.array([1.0, -1.0, 1.0][:len(idx)]))
            h.addRow(-inf, 0.0, 2, np.array([X[i, t], Y[i, t]], np.int32), np.array([1.0, -master.upper[i, t]]))
    for t in range(T):
        idx = np.concatenate([X[:, t], Y[:, t]]).astype(np.int32)
        h.addRow(-inf, inst.capacity, 2 * n, idx, np.concatenate([inst.a, inst.st]))
    h.run()
    return float(h.getInfo().objective_function_value)


@needs_shared
def test_period_bound_lies_between_the_lp_and_the_optimum() -> None:
    path = FOLDER / "X11117A"  # optimal setup + holding cost 8375.8 (shared README)
    bound, rounds = PeriodMaster(read(path)).solve()
    assert rounds > 1
    assert _textbook_lp(path) - 1e-6 <= bound <= 8375.8 + 1e-6


@needs_shared
def test_pricing_returns_a_point_of_the_period_set() -> None:
    inst = read(FOLDER / "X11117A")
    master = PeriodMaster(inst)
    rng = np.random.default_rng(0)
    pi, rho = rng.normal(-1.0, 1.0, 10), rng.normal(50.0, 20.0, 10)
    value, x, y = master.price(3, pi, rho)
    assert value == pytest.approx(pi @ x + rho @ y)
    assert (inst.a @ x + inst.st @ y) <= inst.capacity + 1e-9
    assert ((x <= master.upper[:, 3] * y + 1e-9) & (x >= 0)).all()
    # no single setup pattern with its best fill does better (the enumeration is exhaustive)
    for k in rng.integers(0, 1024, 50):
        pattern = master.patterns[k]
        if inst.st @ pattern <= inst.capacity:
            assert value <= rho @ pattern + 1e-9  # producing nothing is always allowed
