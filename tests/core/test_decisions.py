"""Which decisions differ between two plans (core.decisions): keys, values, tolerance, absence."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from plantwise.core.decisions import DecisionSpec, diff_plans, diff_table

ASSIGN = DecisionSpec("assignments", ("order",), ("site", "start"), "orders that moved")
PRODUCE = DecisionSpec("production", ("line", "sku", "day"), ("quantity",), "production that moved",
                       tolerance=1e-6, absent={"quantity": 0.0})


def test_changed_and_one_sided_rows() -> None:
    a = pd.DataFrame({"order": ["O1", "O2", "O3"], "site": ["A", "B", "A"], "start": [1, 2, 3]})
    b = pd.DataFrame({"order": ["O1", "O2", "O4"], "site": ["A", "A", "A"], "start": [1, 2, 5]})
    diff = diff_table(ASSIGN, a, b)
    assert diff["order"].tolist() == ["O2", "O3", "O4"]
    assert diff["change"].tolist() == ["changed", "only in A", "only in B"]
    assert diff.loc[0, ["site_a", "site_b"]].tolist() == ["B", "A"]


def test_tolerance_and_absent_rows_count_as_zero() -> None:
    a = pd.DataFrame({"line": ["L1", "L1"], "sku": ["S1", "S2"], "day": [1, 1], "quantity": [10.0, 5.0]})
    b = pd.DataFrame({"line": ["L1", "L1"], "sku": ["S1", "S3"], "day": [1, 1], "quantity": [10.0 + 1e-9, 0.0]})
    diff = diff_plans([PRODUCE], {"production": a}, {"production": b})["production"]
    assert diff["sku"].tolist() == ["S2"]  # S1 within tolerance; S3 at 0 equals its absence in A
    assert diff.loc[0, ["quantity_a", "quantity_b"]].tolist() == [5.0, 0.0]


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 5)), min_size=0, max_size=8),
       st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 5)), min_size=0, max_size=8))
def test_a_plan_equals_itself_and_differences_are_symmetric(x: list[tuple[str, int]], y: list[tuple[str, int]]) -> None:
    def frame(rows: list[tuple[str, int]]) -> pd.DataFrame:
        return pd.DataFrame({"order": [f"O{k}" for k in range(len(rows))], "site": [r[0] for r in rows],
                             "start": [r[1] for r in rows]})

    a, b = frame(x), frame(y)
    assert diff_table(ASSIGN, a, a).empty
    forward, backward = diff_table(ASSIGN, a, b), diff_table(ASSIGN, b, a)
    assert forward["order"].tolist() == backward["order"].tolist()
    truth = sum(1 for k in range(max(len(x), len(y))) if k >= len(x) or k >= len(y) or x[k] != y[k])
    assert len(forward) == truth
