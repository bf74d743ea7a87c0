"""acceptance — make-to-order order acceptance, centrally (one MILP) or as a Stackelberg game
whose five followers coordinate by ADMM while keeping their data private (document 003)::

    import plantwise.acceptance as acceptance

    inst = acceptance.generate(orders=50, seed=1)
    sol = acceptance.solve(inst, "centralized", time_limit=120)   # profit, maximised
    sol = acceptance.solve(inst, "admm", rho=100.0, max_outer=8)
"""

from plantwise.acceptance.family import FAMILY
from plantwise.core.family import FamilyAPI

_api = FamilyAPI(FAMILY)
load, generate, solve, verify, report, replan = (_api.load, _api.generate, _api.solve, _api.verify,
                                                _api.report, _api.replan)

__all__ = ["FAMILY", "generate", "load", "replan", "report", "solve", "verify"]
