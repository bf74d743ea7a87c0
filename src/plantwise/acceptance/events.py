"""The event kinds of an acceptance re-plan (:mod:`plantwise.acceptance.replanning` applies them),
kept apart so that declaring the family does not import the model."""

from __future__ import annotations

from plantwise.core.replan import EventField, EventKind

EVENTS = {
    "new_orders": EventKind(
        "new_orders",
        (EventField("rows", "any", help="a list of orders: the columns of orders.csv, and like (an order whose "
                                        "route and parts it takes) or operations and parts"),),
        "new orders, each a row of orders.csv with its route and parts"),
    "cancel_order": EventKind("cancel_order", (EventField("order", help="the order withdrawn"),),
                              "the customer withdraws the order (it must have no history before now)"),
    "release_order": EventKind("release_order", (EventField("order", help="an order the plan accepted"),),
                               "the order's commitment is released: the re-plan may reject it"),
    "capacity": EventKind(
        "capacity",
        (EventField("agent", help="supply, production, inventory or distribution"),
         EventField("resource", required=False, help="the supplier, machine or transport mode"),
         EventField("from", "int", time=True, help="first hour of the change"),
         EventField("to", "int", time=True, help="the hour the change ends (exclusive)"),
         EventField("factor", "float", minimum=0.0, help="capacity multiplier in [from, to), 0 = down")),
        "a capacity of an agent scaled in hours [from, to), pro rata per period"),
}
