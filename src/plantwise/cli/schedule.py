"""``plantwise schedule scenarios``: the document's 8-scenario case study, rebuilt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plantwise.cli.common import EXIT_NO_PLAN, EXIT_OK, out, print_frame
from plantwise.core.options import SolveOptions

COLUMNS = {"scenario": "#", "starting_inventory_lbs": "stock [lbs]", "forecast_lbs": "forecast [lbs]",
           "running_time_s": "time [s]", "optimal_cost": "cost", "cost_per_production_job": "cost per job",
           "gap": "gap", "production_jobs": "jobs", "amount_produced_lbs": "produced [lbs]",
           "reorder_point_lbs": "ROP [lbs]", "average_lead_time_hours": "lead time [h]", "status": "status"}


def add_commands(family_app: typer.Typer, root: typer.Typer) -> None:
    """Register ``scenarios`` on ``plantwise schedule``."""

    @family_app.command("scenarios")
    def scenarios_cmd(
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the table, report and each scenario")
                           ] = Path("scenarios"),
        time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1,
                                                  help="seconds per scenario [s]")] = 60.0,
        threads: Annotated[int, typer.Option(min=1, help="solver threads (CPU cores)")] = 2,
    ) -> None:
        """Rebuild the document's 8-scenario study (starting inventory x forecast) and write its table."""
        from plantwise.schedule.study import run_scenarios

        table, notes, ok = run_scenarios(out_dir, SolveOptions(time_limit=time_limit, threads=threads))
        print_frame(table, title="document 002 case study, rebuilt",
                    columns={k: v for k, v in COLUMNS.items() if k in table.columns})
        for note in notes:
            out.print(note)
        out.print(f"wrote {out_dir / 'scenarios.csv'} and {out_dir / 'report.html'}")
        raise typer.Exit(EXIT_OK if ok else EXIT_NO_PLAN)
