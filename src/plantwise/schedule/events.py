"""The schedule family's re-planning event kinds (checked field by field by
:func:`plantwise.core.replan.check_changes`; applied by :func:`plantwise.schedule.replanning.apply_events`).

Times are hours from the schedule's start (the start of week 1, wall clock), like ``now``.
Kept apart from :mod:`plantwise.schedule.replanning` so that registering the family imports no solver.
"""

from __future__ import annotations

from plantwise.core.replan import EventField, EventKind

MIN_QUANTITY = 0.01  # units: plans hold quantities to 0.01

EVENTS = {
    "machine_down": EventKind(
        "machine_down",
        (EventField("machine", help="a machine of machines.csv"),
         EventField("from", "float", time=True, help="the hour it stops"),
         EventField("to", "float", time=True, help="the hour it works again")),
        "the machine does nothing in [from, to) hours (it must not overlap a step started before now)"),
    "rush_order": EventKind(
        "rush_order",
        (EventField("good", help="a good of goods.csv"),
         EventField("quantity", "float", minimum=MIN_QUANTITY, help="units ordered"),
         EventField("due", "float", time=True, help="the hour it is due")),
        "an extra order: its quantity is added to the demand of the period containing its due hour"),
    "demand": EventKind(
        "demand",
        (EventField("good", help="a good of goods.csv"),
         EventField("quantity", "float", minimum=0, help="the period's new forecast, units"),
         EventField("due", "float", time=True, help="an hour of the period")),
        "the forecast of the period containing hour `due` becomes `quantity`"),
    "yield_loss": EventKind(
        "yield_loss",
        (EventField("job", help="a job of the plan that started before now"),
         EventField("quantity", "float", minimum=MIN_QUANTITY, help="units of its output lost")),
        "a job made or running loses part of its output: its stock receipt is its output less the loss"),
    "stock_actual": EventKind(
        "stock_actual",
        (EventField("good", help="a good of goods.csv"),
         EventField("quantity", "float", help="net stock at now (on hand less backlog), units")),
        "the counted stock at now: the difference to the plan's is a stock adjustment"),
}
