"""The e2e rolling horizon by days (plantwise.core.rolling with e2e's news generator): every
step verified, reproducible news, and the last plan never below the full-information bound."""

from __future__ import annotations

import numpy as np
import pytest

from plantwise.core.family import families
from plantwise.core.pipeline import solve
from plantwise.core.rolling import rolling
from plantwise.e2e.rolling import draw_events

FAM = families()["e2e"]


@pytest.fixture(scope="module")
def inst() -> object:
    return FAM.generate(FAM.generate_params(scenario=1, seed=1, skus=4))


def test_the_news_is_reproducible_and_valid(inst: object) -> None:
    plan = solve(FAM, inst, time_limit=20, threads=1, handle_signals=False).plan
    first = draw_events(inst, plan, 6, 11, np.random.default_rng(3))
    assert first == draw_events(inst, plan, 6, 11, np.random.default_rng(3))
    drawn = [e for seed in range(10) for e in draw_events(inst, plan, 6, 11, np.random.default_rng(seed))]
    assert {e["kind"] for e in drawn} == {"demand", "line_down"}
    assert all(e["from_day"] >= 6 for e in drawn)


def test_rolling_by_days(inst: object) -> None:
    result = rolling(FAM, inst, step=5, seed=2, time_limit=20, full_time_limit=30, threads=1)
    s, steps = result.summary, result.steps
    assert s["complete"] and s["rolling_verified"] and steps["now"].tolist() == [1, 6, 11]
    assert steps["verified"].all() and (steps["events"].iloc[1:] > 0).all()
    assert s["rolling_cost"] >= float(s["full_information_bound"]) - 1e-6
    assert FAM.verify(result.final_instance, result.final.plan).ok
