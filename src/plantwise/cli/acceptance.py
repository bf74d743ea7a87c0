"""``plantwise acceptance study|compare``: the document's experiments and the two methods side by side."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from plantwise.cli.common import fail, out, print_frame
from plantwise.cli.factory import load_instance
from plantwise.core.options import SolveOptions


class Study(StrEnum):
    rho = "rho"
    scale = "scale"
    doe = "doe"
    capacity = "capacity"


MaxInner = Annotated[int, typer.Option("--max-inner", min=1, help="ADMM iterations per leader move")]
MaxOuter = Annotated[int, typer.Option("--max-outer", min=1, help="leader moves")]


def add_commands(family_app: typer.Typer, root: typer.Typer) -> None:
    """Register ``study`` and ``compare`` on ``plantwise acceptance``."""

    @family_app.command("study")
    def study_cmd(
        study: Annotated[Study, typer.Argument(help="rho | scale | doe | capacity")],
        instance: Annotated[Path | None, typer.Argument(help="instance folder (not used by scale)")] = None,
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the tables and figures")] = Path(
            "study"),
        sizes: Annotated[str, typer.Option(help="scale: order counts, comma-separated [orders]")] = "20,50,100,200",
        seeds: Annotated[str, typer.Option(help="scale: seeds, comma-separated")] = "1",
        time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds per solve [s]")
                              ] = 120.0,
        max_inner: MaxInner = 200,
        max_outer: MaxOuter = 8,
    ) -> None:
        """The document's experiments: ρ sensitivity, scale, a 3x3x3 design with MANOVA, capacity shares."""
        from plantwise.acceptance import study as studies
        from plantwise.acceptance.family import FAMILY

        settings: dict[str, object] = {"max_inner": max_inner, "max_outer": max_outer}
        if study == Study.scale:
            try:
                size_list = tuple(int(s) for s in sizes.split(","))
                seed_list = tuple(int(s) for s in seeds.split(","))
            except ValueError:
                raise fail("--sizes and --seeds take comma-separated integers") from None
            table = studies.scale_study(sizes=size_list, seeds=seed_list, out_dir=out_dir, time_limit=time_limit,
                                        **settings)
        else:
            if instance is None:
                raise fail(f"the {study.value} study needs an instance folder")
            inst = load_instance(FAMILY, instance)
            runner = {Study.rho: studies.rho_study, Study.doe: studies.doe_study,
                      Study.capacity: studies.capacity_study}[study]
            table = runner(inst, out_dir, options=SolveOptions(time_limit=time_limit), **settings)
        print_frame(table.head(40), title=f"{study.value} study")
        out.print(f"tables and figures written to {out_dir}")

    @family_app.command("compare")
    def compare_cmd(
        instance: Annotated[Path, typer.Argument(help="instance folder or workbook")],
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="folder for the tables and the figure")] = Path(
            "compare"),
        time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds per method [s]")
                              ] = 120.0,
        max_inner: MaxInner = 200,
        max_outer: MaxOuter = 8,
    ) -> None:
        """Both methods on the same orders, side by side (the document's Tables 7-8)."""
        from plantwise.acceptance.family import FAMILY
        from plantwise.acceptance.study import compare

        inst = load_instance(FAMILY, instance)
        table, per_order = compare(inst, out_dir, time_limit=time_limit, max_inner=max_inner, max_outer=max_outer)
        print_frame(table, title="centralized vs ADMM")
        out.print(f"{len(per_order)} orders compared; tables and figure written to {out_dir}")
