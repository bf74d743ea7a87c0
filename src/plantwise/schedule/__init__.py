"""schedule — multi-stage scheduling on parallel machines with batch sizing, reorder points,
safety stock and shelf life (document 002); job shops and flow shops as special cases::

    import plantwise.schedule as schedule

    inst = schedule.generate(scenario=2)
    sol = schedule.solve(inst, time_limit=60)           # method auto: exact, or large for big plants
    shop = schedule.load("la01", fmt="jsplib")
    sol = schedule.solve(shop, "exact", objective="makespan", time_limit=30)
"""

from plantwise.core.family import FamilyAPI
from plantwise.schedule.family import FAMILY

_api = FamilyAPI(FAMILY)
load, generate, solve, verify, report, replan = (_api.load, _api.generate, _api.solve, _api.verify,
                                                _api.report, _api.replan)

__all__ = ["FAMILY", "generate", "load", "replan", "report", "solve", "verify"]
