"""e2e — production planning (SKU x line x day) with targets, minimums, stockouts and MOQ,
distribution to DCs and inter-plant transfer; the exact MILP beside the document's GA/PSO
configurator (document 001)::

    import plantwise.e2e as e2e

    inst = e2e.generate(scenario=3, seed=1)
    sol = e2e.solve(inst, method="exact", time_limit=60)
    sol.objective, sol.bound, sol.gap, sol.kpis["stockout_unit_days"]
"""

from plantwise.core.family import FamilyAPI
from plantwise.e2e.family import FAMILY

_api = FamilyAPI(FAMILY)
load, generate, solve, verify, report, replan = (_api.load, _api.generate, _api.solve, _api.verify,
                                                _api.report, _api.replan)

__all__ = ["FAMILY", "generate", "load", "replan", "report", "solve", "verify"]
