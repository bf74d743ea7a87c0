"""Render the offload benchmark CSV as the Markdown tables of BENCHMARKS.md.

    python benchmarks/offload_table.py bench-out/offload.csv
"""

from __future__ import annotations

import sys

import pandas as pd

TARGETS = {100: (0.1, 60), 300: (None, None), 500: (1.0, 120), 2000: (3.0, 600)}


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table (numbers to 3 decimals, large ones as integers)."""

    def fmt(v: object) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else (f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}")
        return str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main(path: str) -> None:
    runs = pd.read_csv(path)
    runs["offloaded"] = runs["offloaded_orders"]
    cols = ["mode", "orders", "seed", "status", "objective", "bound", "gap_pct", "solve_seconds", "baseline_cost",
            "baseline_gap_pct", "saving_pct", "offloaded", "transshipment_periods"]
    print("### Every run\n")
    print(markdown(runs[cols]))
    med = runs.groupby(["mode", "orders"]).agg(
        runs=("seed", "count"), time_limit=("time_limit", "first"), gap_pct_median=("gap_pct", "median"),
        gap_pct_max=("gap_pct", "max"), seconds_median=("solve_seconds", "median"),
        saving_pct_median=("saving_pct", "median"), offloaded_median=("offloaded", "median"),
        transshipment_periods_median=("transshipment_periods", "median"),
    ).reset_index()
    med["target"] = [
        "" if TARGETS.get(o, (None,))[0] is None else f"<= {TARGETS[o][0]} % in <= {TARGETS[o][1]} s"
        for o in med["orders"]
    ]
    med["met"] = [
        "" if TARGETS.get(o, (None,))[0] is None else ("yes" if g <= TARGETS[o][0] else "no")
        for o, g in zip(med["orders"], med["gap_pct_max"], strict=True)
    ]
    print("\n### Medians over seeds\n")
    print(markdown(med))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-out/offload.csv")
