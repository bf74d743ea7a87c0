"""Render the e2e benchmark CSV as the Markdown tables of BENCHMARKS.md.

    python benchmarks/e2e_table.py benchmarks/results/e2e.csv
"""

from __future__ import annotations

import sys

import pandas as pd
from offload_table import markdown


def main(path: str) -> None:
    runs = pd.read_csv(path)
    exact = runs[runs["method"] == "exact"].set_index(["scenario", "seed"])
    key = list(zip(runs["scenario"], runs["seed"], strict=True))
    best_bound = runs.groupby(["scenario", "seed"])["bound"].max()
    runs["gap_to_best_bound_pct"] = [
        100 * (o - best_bound[k]) / abs(o) if pd.notna(o) else None
        for o, k in zip(runs["objective"], key, strict=True)]
    runs["above_exact_pct"] = [
        100 * (o - exact.loc[k, "objective"]) / abs(exact.loc[k, "objective"])
        if k in exact.index and pd.notna(o) else None for o, k in zip(runs["objective"], key, strict=True)]
    cols = ["scenario", "seed", "method", "status", "phase", "objective", "bound", "gap_pct", "gap_to_best_bound_pct",
            "above_exact_pct", "solve_seconds", "lp_seconds", "bound_seconds", "stockout_unit_days",
            "transferred_units"]
    print("### Every run\n")
    print(markdown(runs[cols]))
    med = runs.groupby(["scenario", "method"]).agg(
        runs=("seed", "count"), phase=("phase", "first"), gap_pct_median=("gap_pct", "median"),
        gap_pct_max=("gap_pct", "max"), gap_to_best_bound_pct_median=("gap_to_best_bound_pct", "median"),
        above_exact_pct_median=("above_exact_pct", "median"), seconds_median=("solve_seconds", "median"),
        lp_seconds_median=("lp_seconds", "median"),
    ).reset_index()
    print("\n### Medians over seeds\n")
    print(markdown(med))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-out/e2e.csv")
