"""Instances: the document's 8-scenario case study and a large seeded plant.

The case study (document 002, "Case Study"): one finished good (the document's good 3),
one week of 5 days x 8 hours, hourly periods, 99 % service level, forecast 2,000 or
10,000 lbs spread evenly over the 40 working hours, starting stock 0 / 500 / 1,000 /
2,500 lbs, and the cost table of the slides. Values the slides do not give (stated in
``docs/models/schedule.md``):

* extruder rate 14,000 lbs/h: with the slides' setup cost ($29.53/h) and holding cost
  ($0.02) it reproduces the document's batch outputs (2,434.58 lbs at 2,000 lbs forecast,
  5,483.33 lbs at 10,000 lbs) through the EPQ;
* drying and coating 1,500 lbs/h per machine (the slides' "60,000 tons per week" read as
  60,000 lbs per 40-hour week; literal tons would make both stages instantaneous);
  packaging 2,000 lbs/h; two dryers, one machine at every other stage;
* shelf life 24 h from the start of extrusion to the end of drying;
* demand standard deviation 0 (the document's reorder points equal mean demand x lead
  time exactly, e.g. 450 = 50 lbs/h x 9 h).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plantwise.schedule.instance import Calendar, ScheduleInstance

STAGES = ("extrude", "dry", "coat", "package")
# (starting inventory, forecast) of scenarios 1..8 (document 002, case-study table)
SCENARIOS: dict[int, tuple[float, float]] = {
    1: (0, 2_000), 2: (0, 10_000), 3: (500, 10_000), 4: (1_000, 10_000),
    5: (2_500, 10_000), 6: (500, 2_000), 7: (1_000, 2_000), 8: (2_500, 2_000),
}
SETUP_COST_PER_HOUR = 29.53
LABOR_COST_PER_HOUR = 28.55
UNIT_COSTS = {"holding_cost": 0.02, "stockout_cost": 0.10, "order_cost": 0.02, "safety_stock_cost": 0.02,
              "unit_cost": 0.02}
WASTE_COST = 0.02
MACHINE_COST_PER_HOUR = 1.00
SETUP_MINUTES = 10.0


def _machines(counts: dict[str, int]) -> pd.DataFrame:
    rows = [(f"{stage[:3].upper()}{i + 1}", stage) for stage in STAGES for i in range(counts[stage])]
    return pd.DataFrame({"machine": [r[0] for r in rows], "stage": [r[1] for r in rows],
                         "setup_minutes": SETUP_MINUTES, "cost_per_hour": MACHINE_COST_PER_HOUR})


def document_scenario(scenario: int) -> ScheduleInstance:
    """Scenario 1..8 of the document's case study."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be 1..8, got {scenario}")
    start, forecast = SCENARIOS[scenario]
    calendar = Calendar(weeks=1, days_per_week=5, shifts_per_day=1, hours_per_shift=8, period_hours=1)
    P = calendar.num_periods
    machines = _machines({"extrude": 1, "dry": 2, "coat": 1, "package": 1})
    rate = {"extrude": 14_000.0, "dry": 1_500.0, "coat": 1_500.0, "package": 2_000.0}
    routes = pd.DataFrame({
        "recipe": "R3", "step": [STAGES.index(s) + 1 for s in machines["stage"]], "stage": machines["stage"],
        "machine": machines["machine"], "rate": [rate[s] for s in machines["stage"]], "yield": 1.0,
    })
    goods = pd.DataFrame([{
        "good": "FG3", "recipe": "R3", "package": "bag", "annual_demand": np.nan, "mean_demand": np.nan,
        "std_demand": 0.0, "service_level": 0.99, "initial_inventory": float(start), **UNIT_COSTS,
        "reorder_point": np.nan, "batch_size": np.nan, "min_batch": np.nan, "max_batch": np.nan,
    }])
    demand = np.full((1, P), forecast / P)
    return ScheduleInstance(
        name=f"document-scenario-{scenario}", goods=goods, demand=demand, routes=routes, machines=machines,
        stages=pd.DataFrame({"stage": list(STAGES), "waste_cost": WASTE_COST}),
        shelf_life=pd.DataFrame({"recipe": ["R3"], "from_stage": ["extrude"], "to_stage": ["dry"],
                                 "max_hours": [24.0]}),
        calendar=calendar, setup_cost_per_hour=SETUP_COST_PER_HOUR, labor_cost_per_hour=LABOR_COST_PER_HOUR,
        reorder_policy="dynamic",
    )


def large(seed: int = 1, goods: int = 1_050, recipes: int = 420, weeks: int = 4) -> ScheduleInstance:
    """A plant at the document's stated future scale: over 1,000 goods (recipe x package),
    over 400 recipes, a one-month horizon (4 weeks x 5 days x 2 shifts x 8 h, daily periods).

    Each recipe has the four stages; every good gets a monthly forecast, front- or
    back-loaded, and a starting stock; machine counts are sized so that the month's work
    loads each stage to about 70 %.
    """
    rng = np.random.default_rng(seed)
    if goods < recipes:
        raise ValueError("need at least one good per recipe")
    calendar = Calendar(weeks=weeks, days_per_week=5, shifts_per_day=2, hours_per_shift=8, period_hours=16)
    P = calendar.num_periods
    recipe_ids = [f"R{r + 1:03d}" for r in range(recipes)]
    good_recipe = np.concatenate([np.arange(recipes), rng.integers(0, recipes, goods - recipes)])
    good_recipe.sort()
    packages = ["bag", "box", "bulk", "pouch"]
    monthly = np.round(rng.lognormal(mean=np.log(3_000), sigma=0.6, size=goods), 0)
    base_rate = {"extrude": 6_000.0, "dry": 1_200.0, "coat": 1_500.0, "package": 1_800.0}
    rate = {s: base_rate[s] * rng.uniform(0.8, 1.25, recipes) for s in STAGES}
    batches = monthly  # one job per good per month on average (the EPQ decides in the model)
    hours_needed = {s: float(np.sum(batches / rate[s][good_recipe])) + goods * SETUP_MINUTES / 60 for s in STAGES}
    counts = {s: int(np.ceil(hours_needed[s] / (0.7 * calendar.working_hours))) for s in STAGES}
    machines = _machines(counts)
    stage_machines = {s: machines.loc[machines["stage"] == s, "machine"].tolist() for s in STAGES}
    rows = []
    for r, recipe in enumerate(recipe_ids):
        for step, stage in enumerate(STAGES, start=1):
            pool = stage_machines[stage]
            k = min(len(pool), int(rng.integers(2, 4)))
            step_yield = 1.0 if stage == "package" else round(float(rng.uniform(0.97, 1.0)), 3)
            for m in rng.choice(pool, size=k, replace=False):
                rows.append((recipe, step, stage, str(m), round(float(rate[stage][r] * rng.uniform(0.9, 1.1)), 1),
                             step_yield))
    routes = pd.DataFrame(rows, columns=["recipe", "step", "stage", "machine", "rate", "yield"])
    shape = rng.uniform(-0.5, 0.5, goods)
    ramp = np.linspace(-1, 1, P)
    weights = np.clip(1 + shape[:, None] * ramp[None, :], 0.1, None)
    demand = np.round(monthly[:, None] * weights / weights.sum(axis=1, keepdims=True), 1)
    g = pd.DataFrame({
        "good": [f"G{i + 1:04d}" for i in range(goods)], "recipe": [recipe_ids[r] for r in good_recipe],
        "package": [packages[i % len(packages)] for i in range(goods)], "annual_demand": monthly * 12,
        "mean_demand": np.nan, "std_demand": np.round(rng.uniform(0, 5, goods), 2), "service_level": 0.95,
        "initial_inventory": np.round(monthly * rng.uniform(0.05, 0.4, goods), 0),
        **UNIT_COSTS, "reorder_point": np.nan, "batch_size": np.round(monthly * rng.uniform(0.6, 1.1, goods), 0),
        "min_batch": np.nan, "max_batch": np.nan,
    })
    inst = ScheduleInstance(
        name=f"large-{goods}-goods-seed-{seed}", goods=g, demand=demand, routes=routes, machines=machines,
        stages=pd.DataFrame({"stage": list(STAGES), "waste_cost": WASTE_COST}),
        shelf_life=pd.DataFrame({"recipe": recipe_ids, "from_stage": "extrude", "to_stage": "dry",
                                 "max_hours": 48.0}),
        calendar=calendar, setup_cost_per_hour=SETUP_COST_PER_HOUR, labor_cost_per_hour=LABOR_COST_PER_HOUR,
        reorder_policy="static",
    )
    # a batch must fit one working day at every step on every eligible machine
    from plantwise.schedule.expand import recipe_steps

    window = calendar.day_minutes - SETUP_MINUTES - 1
    cap = {r: min(window / 60 * rate * st.yield_after for st in steps for _, rate in st.machines)
           for r, steps in recipe_steps(inst).items()}
    g["batch_size"] = np.minimum(g["batch_size"], np.floor(g["recipe"].map(cap).to_numpy(float)))
    return inst
