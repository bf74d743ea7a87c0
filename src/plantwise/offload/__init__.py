"""offload — order assignment and offloading across sites, parts inventory, (s,S) replenishment and
parts transshipment (document 000)::

    import plantwise.offload as offload

    inst = offload.load("inst")                    # a CSV folder or an .xlsx workbook
    sol = offload.solve(inst, method="milp", time_limit=60)
    sol.status, sol.objective, sol.gap, sol.kpis["saving_pct"]
    sol.save("plan", inst)                         # plan tables, summary.json, report.html
"""

from plantwise.core.family import FamilyAPI
from plantwise.offload.family import FAMILY

_api = FamilyAPI(FAMILY)
load, generate, solve, verify, report, replan = (_api.load, _api.generate, _api.solve, _api.verify,
                                                _api.report, _api.replan)

__all__ = ["FAMILY", "generate", "load", "replan", "report", "solve", "verify"]
