"""``plantwise demo``: the offload family's first-run command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plantwise.cli.common import out
from plantwise.cli.factory import solve_and_write


def add_commands(family_app: typer.Typer, root: typer.Typer) -> None:
    """Register ``plantwise demo`` on the root app (offload has no extra family command)."""

    @root.command()
    def demo(
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the instance and the plan")] = Path(
            "demo-out"),
        orders: Annotated[int, typer.Option(min=1, help="number of orders [orders]")] = 100,
        seed: Annotated[int, typer.Option(help="seed of the generator")] = 1,
        time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=1, help="seconds for the solve [s]")
                              ] = 60.0,
        replenishment: Annotated[str, typer.Option(help="sS (the document's rule) or free")] = "free",
        record: Annotated[bool, typer.Option(help="record the run in the workspace store (--data) for plantwise serve")
                          ] = True,
        data: Annotated[Path, typer.Option("--data", help="the workspace store's folder")] = Path("plantwise-data"),
    ) -> None:
        """Generate a 100-order offload instance, solve it with HiGHS, verify it, write the plan and report.html."""
        from plantwise.offload.family import FAMILY, OffloadGenerate

        if replenishment not in ("sS", "free"):
            raise typer.BadParameter("choose sS or free", param_hint="--replenishment")
        inst = FAMILY.generate(OffloadGenerate(orders=orders, seed=seed, replenishment=replenishment))
        inst.save(out_dir / "instance")
        out.print(f"instance: {inst.num_orders} orders, {inst.num_sites} sites, T = {inst.horizon} "
                  f"-> {out_dir / 'instance'}")
        code = solve_and_write(FAMILY, inst, out_dir / "instance", out_dir / "plan", "milp", {},
                               time_limit=time_limit, mip_gap=1e-4, threads=2, seed=0, report=True, quiet=False)
        if record and (out_dir / "plan" / "summary.json").is_file():
            from plantwise.workspace.record import record as record_run
            from plantwise.workspace.settings import WorkspaceSettings

            try:
                _, run_id = record_run(WorkspaceSettings(data_dir=data), "offload", inst, out_dir / "plan",
                                       f"demo-{orders}-orders-seed-{seed}")
                out.print(f"recorded in the workspace store {data}/ (run {run_id[:8]}): "
                          "[bold]plantwise serve[/] and open http://127.0.0.1:8000/")
            except Exception as exc:  # the plan is written; the store is a convenience
                out.print(f"[yellow]not recorded in the workspace store[/]: {type(exc).__name__}: {exc}")
        raise typer.Exit(code)
