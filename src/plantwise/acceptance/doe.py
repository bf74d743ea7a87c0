"""The statistics of the designed experiment (document 003, Tables 9-11, Figures 8-9): a MANOVA of
run time and profit on the ADMM settings, one ANOVA per response, and the main effects.

The factors are ρ and the inner and outer thresholds (:data:`DOE_FACTORS`), each a categorical
term ``C(f)``; a factor with fewer than two levels among the usable runs is left out with a note
(its effect cannot be tested), and runs without a finite result are dropped with a note.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

DOE_FACTORS = ("rho", "inner_tolerance", "outer_tolerance")
DOE_RESPONSES = ("solve_seconds", "profit")
MANOVA_STATISTICS = ("Wilks' lambda", "Pillai's trace", "Hotelling-Lawley trace", "Roy's greatest root")
MANOVA_COLUMNS = ("factor", "term", "statistic", "value", "F", "num_df", "den_df", "p_value", "note")
ANOVA_COLUMNS = ("source", "sum_sq", "df", "F", "p_value", "note")


def as_number(value: object) -> float:
    """``value`` as a float; NaN for ``None``, a bool or anything that is not a number."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _usable(runs: pd.DataFrame, responses: Sequence[str]) -> tuple[pd.DataFrame, list[str], dict[str, str], list[str]]:
    """Finite rows; the factors with two or more levels; a note per dropped factor; general notes."""
    notes = []
    data = runs.copy()
    for col in (*DOE_FACTORS, *responses):
        data[col] = pd.to_numeric(data[col], errors="coerce")
    finite = np.isfinite(data[list(responses)].to_numpy(float)).all(axis=1)
    if not finite.all():
        notes.append(f"{int((~finite).sum())} of {len(data)} runs without a result left out")
    data = data[finite]
    factors, dropped = [], {}
    for f in DOE_FACTORS:
        if data[f].nunique() >= 2:
            factors.append(f)
        else:
            dropped[f] = f"{f} has {data[f].nunique()} level(s) among the usable runs: its effect cannot be tested"
    return data, factors, dropped, notes


def _rhs(factors: Sequence[str]) -> str:
    return " + ".join(f"C({f})" for f in factors)


def manova_table(runs: pd.DataFrame, responses: Sequence[str] = DOE_RESPONSES) -> pd.DataFrame:
    """The MANOVA of ``responses`` on the factors: one row per factor and test statistic."""
    from statsmodels.formula.api import ols
    from statsmodels.multivariate.manova import MANOVA

    data, factors, dropped, notes = _usable(runs, responses)
    reason = ""
    results: dict[str, pd.DataFrame] = {}
    y = data[list(responses)].to_numpy(float)
    if not factors:
        reason = "no factor has two levels among the usable runs"
    elif len(data) < 2 or (y.std(axis=0) <= 1e-12 * np.maximum(1.0, np.abs(y).max(axis=0))).any():
        flat = [r for r, s in zip(responses, y.std(axis=0) if len(y) else [0.0] * len(responses), strict=True)
                if s <= 1e-12 * max(1.0, float(np.abs(data[r]).max()) if len(data) else 1.0)]
        reason = (f"response(s) {flat} have zero variance: the residual covariance matrix is singular, so no "
                  "multivariate statistic is defined (see the per-response ANOVA)")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits = [ols(f"{r} ~ {_rhs(factors)}", data).fit() for r in responses]
            df_resid = float(fits[0].df_resid)
            resid = np.column_stack([f.resid.to_numpy(float) for f in fits])
            scale = np.column_stack([data[r] - data[r].mean() for r in responses])
            sst = np.linalg.eigvalsh(scale.T @ scale)
            eig = np.linalg.eigvalsh(resid.T @ resid) if df_resid > 0 else np.zeros(len(responses))
            if df_resid < len(responses):
                reason = (f"{df_resid:g} residual degrees of freedom for {len(responses)} responses: the residual "
                          "covariance matrix is singular (too few runs for the factors)")
            elif eig.min() <= 1e-10 * max(float(sst.max()), 1e-300):
                exact = [r for r, f, c in zip(responses, fits, scale.T, strict=True)
                         if float(f.ssr) <= 1e-10 * max(float(c @ c), 1e-300)]
                reason = "the residual covariance matrix is singular: " + (
                    f"{', '.join(exact)} fitted exactly by the factors (zero residual)" if exact
                    else "the responses' residuals are collinear")
            else:
                try:
                    test = MANOVA.from_formula(f"{' + '.join(responses)} ~ {_rhs(factors)}", data).mv_test()
                    results = {f: test.results[f"C({f})"]["stat"] for f in factors}
                except Exception as exc:  # statsmodels' own failure on odd data: report, never raise
                    reason = f"MANOVA failed: {type(exc).__name__}: {exc}"
    rows = []
    common = "; ".join(notes)
    for f in DOE_FACTORS:
        for stat in MANOVA_STATISTICS:
            row: dict[str, Any] = {"factor": f, "term": f"C({f})", "statistic": stat}
            note = dropped.get(f) or reason
            if f in results and not note:
                s = results[f].loc[stat]
                row.update(value=as_number(s["Value"]), F=as_number(s["F Value"]), num_df=as_number(s["Num DF"]),
                           den_df=as_number(s["Den DF"]), p_value=as_number(s["Pr > F"]))
                if not all(math.isfinite(row[k]) for k in ("value", "F", "p_value")):
                    note = "statsmodels returned a non-finite statistic"
            row["note"] = "; ".join(n for n in (note, common) if n)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(MANOVA_COLUMNS))


def anova_table(runs: pd.DataFrame, response: str) -> pd.DataFrame:
    """Main-effects ANOVA (type II sums of squares) of one response: one row per factor and ``Residual``."""
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    data, factors, dropped, notes = _usable(runs, [response])
    common = "; ".join(notes)
    values = data[response].to_numpy(float)
    table: pd.DataFrame | None = None
    reason = ""
    if not factors:
        reason = "no factor has two levels among the usable runs"
    elif len(values) < 2 or values.std() <= 1e-12 * max(1.0, float(np.abs(values).max())):
        reason = f"{response} is constant over the usable runs (zero variance): F and p are undefined"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                table = anova_lm(ols(f"{response} ~ {_rhs(factors)}", data).fit(), typ=2)
            except Exception as exc:  # report, never raise
                reason = f"ANOVA failed: {type(exc).__name__}: {exc}"
    rows = []
    resid_note = ""
    if table is not None:
        sst = float(((values - values.mean()) ** 2).sum())
        res = table.loc["Residual"]
        if float(res["df"]) <= 0:
            resid_note = "no residual degrees of freedom: F and p are undefined"
        elif float(res["sum_sq"]) <= 1e-12 * sst:
            resid_note = "the residual sum of squares is zero (the factors fit the response exactly): F and p undefined"
    for source in (*DOE_FACTORS, "Residual"):
        row: dict[str, Any] = {"source": source}
        note = dropped.get(source, "") or reason
        key = "Residual" if source == "Residual" else f"C({source})"
        if table is not None and key in table.index and not note:
            r = table.loc[key]
            row.update(sum_sq=as_number(r["sum_sq"]), df=as_number(r["df"]))
            if source != "Residual":
                if resid_note:
                    note = resid_note
                else:
                    row.update(F=as_number(r["F"]), p_value=as_number(r["PR(>F)"]))
        row["note"] = "; ".join(n for n in (note, common) if n)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(ANOVA_COLUMNS))


def main_effects(runs: pd.DataFrame, responses: Sequence[str] = DOE_RESPONSES) -> pd.DataFrame:
    """Mean of each response per level of each factor (failed runs left out)."""
    rows = []
    for f in DOE_FACTORS:
        for resp in responses:
            values = pd.to_numeric(runs[resp], errors="coerce")
            grouped = values.groupby(runs[f], sort=True)
            for level, grp in grouped:
                rows.append({"factor": f, "level": level, "response": resp, "mean": grp.mean(),
                             "runs": int(grp.notna().sum())})
    return pd.DataFrame(rows, columns=["factor", "level", "response", "mean", "runs"])


def main_effects_figure(effects: pd.DataFrame) -> go.Figure:
    responses = list(dict.fromkeys(effects["response"]))
    fig = make_subplots(rows=len(responses), cols=len(DOE_FACTORS), shared_yaxes="rows",
                        subplot_titles=[f"{r} by {f}" for r in responses for f in DOE_FACTORS])
    for i, resp in enumerate(responses, start=1):
        for j, f in enumerate(DOE_FACTORS, start=1):
            grp = effects[(effects["response"] == resp) & (effects["factor"] == f)]
            fig.add_trace(go.Scatter(x=[f"{v:g}" for v in grp["level"]], y=grp["mean"], mode="lines+markers",
                                     showlegend=False, line={"color": "#1f77b4"}), row=i, col=j)
    fig.update_layout(title="Main effects: mean response per factor level", height=320 * max(1, len(responses)))
    return fig


# --- 4. capacities and incentive shares -------------------------------------------------------------
