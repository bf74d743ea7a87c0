"""The centralized MILP on a small generated instance: it solves, and its objective is the
revenue of the delivered orders minus the agents' costs (work in progress: no verifier yet)."""

from __future__ import annotations

import numpy as np

from plantwise.acceptance.generator import generate
from plantwise.acceptance.model import AGENTS, build
from plantwise.core.backends import get_backend
from plantwise.core.options import SolveOptions


def test_centralized_model_solves_and_splits_its_cost_by_agent() -> None:
    inst = generate(6, seed=1)
    cm = build(inst)
    result = get_backend("highs").solve(cm.lm, SolveOptions(time_limit=60))
    assert result.status.has_solution and result.x is not None
    x = result.x
    delivered = np.round(x[cm.y]).sum(axis=(1, 2))
    accepted = np.round(x[cm.z])
    unmet = np.round(x[cm.u])
    assert np.array_equal(delivered + unmet, accepted)  # an accepted order is delivered once or unmet
    revenue = float(inst.orders["revenue"].to_numpy() @ delivered)
    costs = sum(float(cm.agent_cost[a] @ x) for a in AGENTS)
    assert abs((revenue - costs) - (-result.objective)) <= 1e-6 * max(1.0, abs(result.objective))
    # every accepted order's units are processed at every operation
    q = inst.orders["quantity"].to_numpy(float)
    processed = x[cm.w].sum(axis=1)
    need = q[cm.ix.op_order] * delivered[cm.ix.op_order]
    assert np.all(processed >= need - 1e-6)
