"""``plantwise e2e compare``: several methods on one instance, each against the best bound."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from plantwise.cli.common import fail, out, print_frame
from plantwise.cli.factory import load_instance


def add_commands(family_app: typer.Typer, root: typer.Typer) -> None:
    """Register ``compare`` on ``plantwise e2e``."""

    @family_app.command("compare")
    def compare_cmd(
        instance: Annotated[Path, typer.Argument(help="instance folder, workbook or Trigeiro file")],
        out_file: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write")] = Path("compare.json"),
        methods: Annotated[str, typer.Option(help="comma-separated methods")] = "configurator,exact",
        time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1,
                                                  help="seconds per method [s]")] = 60.0,
        seed: Annotated[int, typer.Option(help="seed of every random choice")] = 0,
        fmt: Annotated[str, typer.Option("--format", help="e2e or trigeiro")] = "e2e",
    ) -> None:
        """Run several methods on the same instance: cost, bound, gap, time, and the gap to the best bound."""
        from plantwise.core.pipeline import solve
        from plantwise.e2e.family import FAMILY

        inst = load_instance(FAMILY, instance, fmt)
        names = [m.strip() for m in methods.split(",") if m.strip()]
        bad = [m for m in names if m not in FAMILY.methods]
        if bad:
            raise fail(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(FAMILY.methods)}")
        rows = []
        for name in names:
            t0 = time.perf_counter()
            s = solve(FAMILY, inst, name, time_limit=time_limit, seed=seed).summary
            rows.append({"method": name, "status": s["status"], "cost": s["objective"], "bound": s["bound"],
                         "gap": s["gap"], "seconds": round(time.perf_counter() - t0, 3),
                         "bound_source": s["bound_source"], "phase": s["kpis"].get("phase"),
                         "cost_breakdown": s["cost_breakdown"], "verified": s["verified"]})
        best_bound = max((r["bound"] for r in rows if r["bound"] is not None), default=None)
        best_cost = min((r["cost"] for r in rows if r["cost"] is not None), default=None)
        for r in rows:  # every method against the best proven bound of the comparison
            r["gap_to_best_bound"] = None if r["cost"] is None or best_bound is None else \
                (r["cost"] - best_bound) / max(abs(r["cost"]), 1e-9)
            r["above_best_cost_pct"] = None if r["cost"] is None or best_cost is None else \
                100 * (r["cost"] - best_cost) / max(abs(best_cost), 1e-9)
        print_frame(pd.DataFrame(rows), title=f"{inst.name}: methods compared",
                    columns={"method": "method", "status": "status", "cost": "cost", "bound": "bound", "gap": "gap",
                             "gap_to_best_bound": "gap to best bound", "seconds": "seconds [s]"})
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps({"instance": inst.name, "best_bound": best_bound, "methods": rows}, indent=2,
                                       default=str))
        out.print(f"wrote {out_file}")
