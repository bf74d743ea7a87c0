"""plantwise: production, inventory and distribution planning for multi-site supply chains.

Four families share one contract (:mod:`plantwise.core.family`) and one solve pipeline
(:mod:`plantwise.core.pipeline`)::

    import plantwise
    plantwise.families()            # {'offload': Family(...), 'e2e': ..., 'schedule': ..., 'acceptance': ...}

    import plantwise.offload as offload
    sol = offload.solve(offload.load("inst"), method="milp", time_limit=60)
"""

__version__ = "0.1.0"


def families() -> dict[str, object]:
    """Every registered problem family by name (offload, e2e, schedule, acceptance)."""
    from plantwise.core.family import families as registered

    return dict(registered())


__all__ = ["__version__", "families"]
