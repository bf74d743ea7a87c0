"""Which decisions differ between two plans of one family — one mechanism for every family.

A family declares its decisions as :class:`DecisionSpec` s: a plan table (a CSV file of the
plan folder), the key columns that name one decision (an order, a SKU-line-day, a job step)
and the value columns that are the decision (the site and start of an order, a production
quantity, the machine and start of a job step, an order's acceptance). Two plans differ in
decision ``k`` when ``k`` is in one plan and not the other, or when a value differs:

* numeric values: ``|a - b| > tolerance`` (absolute), a missing row counting as ``missing``;
* other values: ``a != b`` as text.

:func:`diff_plans` returns one row per differing decision with its key, the value in each
plan, and a ``change`` word (``changed``, ``only in A``, ``only in B``). The workspace's
compare view and the re-planning's ``changes.csv`` both read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DecisionSpec:
    """One kind of decision: ``table`` (plan CSV without ``.csv``), its ``keys``, its ``values``.

    ``label`` says it in a planner's words ("orders that changed site or start");
    ``tolerance`` is the absolute difference below which numeric values count as equal;
    ``absent`` is the value a missing row stands for (production rows are written only when
    positive, so a missing row is a quantity of 0), ``None`` when absence is a difference.
    ``time`` names the column (a key or a value) that says when the decision takes effect;
    re-planning keeps the decisions before ``now`` (:mod:`plantwise.core.replan`);
    ``time_scale`` is how many of the column's units make one unit of the family's
    ``time_word`` (60 when the column is in minutes and ``now`` in hours).
    """

    table: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    label: str
    tolerance: float = 1e-6
    absent: Mapping[str, object] | None = None
    time: str | None = None
    time_scale: float = 1.0


def _read_table(plan: Path | Mapping[str, pd.DataFrame], table: str) -> pd.DataFrame | None:
    if isinstance(plan, Mapping):
        return plan.get(table)
    path = Path(plan) / f"{table}.csv"
    return pd.read_csv(path, keep_default_na=False) if path.is_file() else None


def _equal(a: pd.Series, b: pd.Series, tolerance: float) -> np.ndarray:
    an = pd.to_numeric(a, errors="coerce")
    bn = pd.to_numeric(b, errors="coerce")
    numeric = an.notna() & bn.notna()
    same = np.where(numeric, (an - bn).abs().fillna(np.inf) <= tolerance, a.astype(str) == b.astype(str))
    return np.asarray(same, dtype=bool)


def diff_table(spec: DecisionSpec, a: pd.DataFrame | None, b: pd.DataFrame | None) -> pd.DataFrame:
    """The decisions of ``spec`` that differ between tables ``a`` and ``b`` (columns: keys,
    ``<value>_a``, ``<value>_b`` per value, ``change``)."""
    cols = [*spec.keys, *spec.values]
    empty = pd.DataFrame(columns=cols)
    a = empty if a is None else a.reindex(columns=cols)
    b = empty if b is None else b.reindex(columns=cols)
    for frame in (a, b):
        for k in spec.keys:
            frame[k] = frame[k].astype(str)
    merged = a.merge(b, on=list(spec.keys), how="outer", suffixes=("_a", "_b"), indicator=True)
    if spec.absent is not None:
        for v, fill in spec.absent.items():
            for side in ("_a", "_b"):
                merged[v + side] = merged[v + side].where(merged[v + side].notna(), fill)
    same = np.ones(len(merged), dtype=bool)
    for v in spec.values:
        same &= _equal(merged[v + "_a"].astype(object).fillna(""), merged[v + "_b"].astype(object).fillna(""),
                       spec.tolerance) & merged[v + "_a"].notna().to_numpy() & merged[v + "_b"].notna().to_numpy()
    if spec.absent is None:
        same &= (merged["_merge"] == "both").to_numpy()
    change = np.where(merged["_merge"] == "left_only", "only in A",
                      np.where(merged["_merge"] == "right_only", "only in B", "changed"))
    if spec.absent is not None:
        change = np.where(same, change, np.where(merged["_merge"] == "both", "changed", change))
    out = merged.loc[~same].copy()
    out["change"] = change[~same]
    out = out.drop(columns="_merge")
    ordered = [*spec.keys] + [f"{v}{s}" for v in spec.values for s in ("_a", "_b")] + ["change"]
    return out[ordered].sort_values(list(spec.keys), kind="stable").reset_index(drop=True)


def diff_plans(specs: Sequence[DecisionSpec], plan_a: Path | Mapping[str, pd.DataFrame],
               plan_b: Path | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Per decision kind (``spec.table``), the decisions that differ between two plans (plan
    folders or table mappings)."""
    return {spec.table: diff_table(spec, _read_table(plan_a, spec.table), _read_table(plan_b, spec.table))
            for spec in specs}
