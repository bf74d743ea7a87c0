"""The plain document-000 peer (benchmarks/peers/offload_plain.py) and plantwise solve the same
problem: on a tiny generated instance both prove the same optimum in both replenishment
modes, and the peer's plan passes plantwise's verifier at the cost the peer reports.

No test asserts a time; the instance (6 orders, T = 14) closes in about a second.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.peers import Outcome
from benchmarks.peers.offload_plain import PlainModel, solve
from benchmarks.suites.offload import cases, ours

from plantwise.offload.generator import generate_with_witness
from plantwise.offload.instance import load
from plantwise.offload.verifier import verify

ORDERS, SEED, HORIZON = 6, 1, 14
LIMIT = 60.0  # generous: the proofs take about a second


@pytest.fixture(scope="module")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inst, _ = generate_with_witness(ORDERS, SEED, HORIZON)
    path = tmp_path_factory.mktemp("offload-peer") / "instance"
    inst.save(path)
    return path


@functools.cache
def _peer(path: str, mode: str) -> Outcome:
    return solve(path, LIMIT, threads=1, mode=mode, mip_gap=0.0)


@functools.cache
def _ours(path: str, mode: str) -> Outcome:
    return ours(LIMIT, threads=1, mode=mode, instance=path, mip_gap=0.0)


@pytest.mark.parametrize("mode", ["free", "sS"])
def test_peer_and_plantwise_prove_the_same_optimum(instance_dir: Path, mode: str) -> None:
    peer, mine = _peer(str(instance_dir), mode), _ours(str(instance_dir), mode)
    assert peer.status == "optimal", peer.note
    assert mine.status == "optimal", mine.note
    assert peer.objective == pytest.approx(mine.objective, rel=1e-6)
    for out in (peer, mine):
        assert out.verified is True, out.note
        assert out.bound is not None and out.bound <= out.objective + 1e-6 * abs(out.objective)
        assert out.trajectory, "an incumbent trajectory"
        assert out.trajectory[-1][1] == pytest.approx(out.objective, rel=1e-9)
        values = [v for _, v in out.trajectory]
        assert values == sorted(values, reverse=True)
        assert out.seconds_to_best is not None
    assert "differs" not in peer.note  # the verifier's cost is the peer's objective


@pytest.mark.parametrize("mode", ["free", "sS"])
def test_the_peer_plan_is_the_verifier_s_plan(instance_dir: Path, mode: str) -> None:
    """The witness plan of the generator (feasible in both modes) is a solution of the peer's
    model at the verifier's cost: the peer's constraints do not cut it off and its objective
    terms are the verifier's."""
    inst, witness = generate_with_witness(ORDERS, SEED, HORIZON)
    model = PlainModel(load(instance_dir), mode)
    x = np.zeros(model.builder.ncols)
    m = model.builder
    sidx = {s: k for k, s in enumerate(inst.sites)}
    pidx = {p: k for k, p in enumerate(inst.parts)}
    oidx = {o: k for k, o in enumerate(inst.orders)}
    pair = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(model.pair_order, model.pair_site, strict=True))}
    lane = {(int(f), int(t)): k for k, (f, t) in enumerate(zip(model.lane_from, model.lane_to, strict=True))}
    for o, s, start in witness.assignments[["order", "site", "start"]].itertuples(index=False):
        p = pair[(oidx[o], sidx[s])]
        x[model.X[p, int(start) - 1]] = 1
        pt = inst.processing_time[oidx[o], sidx[s]]
        x[model.R[p, int(start):int(start) + pt - 1]] = 1
    for s, part, period, q in witness.purchases[["site", "part", "period", "quantity"]].itertuples(index=False):
        x[model.Y[sidx[s], pidx[part], int(period) - 1]] += q
    for f, t, part, period, q in witness.shipments[["from_site", "to_site", "part", "period", "quantity"]].itertuples(
            index=False):
        k = lane[(sidx[f], sidx[t])]
        x[model.S[k, pidx[part], int(period) - 1]] += q
        if q > 0:
            x[model.phi[k, int(period) - 1]] = 1
    check = verify(inst, witness, mode)
    assert check.ok, check.violations
    x[model.b] = check.stock
    if model.u is not None:
        previous = np.concatenate([inst.initial_stock[:, :, None], check.stock[:, :, :-1]], axis=2)
        x[model.u] = previous < inst.reorder_point[:, :, None]
    a = sp.coo_matrix((np.concatenate(m.vals), (np.concatenate(m.rows), np.concatenate(m.cols))),
                      shape=(m.nrows, m.ncols)).tocsr()
    activity = a @ x
    lower, upper = np.concatenate(m.row_lower), np.concatenate(m.row_upper)
    assert (activity >= lower - 1e-9).all() and (activity <= upper + 1e-9).all()
    assert (x >= np.concatenate(m.lower) - 1e-9).all() and (x <= np.concatenate(m.upper) + 1e-9).all()
    assert float(np.concatenate(m.cost) @ x) == pytest.approx(check.total_cost, rel=1e-12)


def test_the_suite_names_both_tools_in_both_modes() -> None:
    got = cases()
    assert [(c.group, c.time_limit) for c in got] == [
        ("offload-free", 60.0), ("offload-free", 120.0), ("offload-free", 180.0),
        ("offload-sS", 60.0), ("offload-sS", 120.0), ("offload-sS", 180.0)]
    for c in got:
        assert list(c.tools) == ["plantwise", "plain-doc000"]
        assert c.tools["plantwise"].target == "benchmarks.suites.offload:ours"
        assert c.tools["plain-doc000"].target == "benchmarks.peers.offload_plain:solve"
        assert c.tools["plantwise"].kwargs["mode"] == c.tools["plain-doc000"].kwargs["mode"] == c.group[8:]
