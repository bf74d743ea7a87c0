"""``plantwise serve``: the planning workspace (web app and REST API) over a run store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from plantwise.cli.common import EXIT_BAD_INPUT, console


def add_commands(root: typer.Typer) -> None:
    @root.command()
    def serve(
        data: Annotated[Path, typer.Option("--data", help="the store's folder: SQLite database and plan files")] = Path(
            "plantwise-data"),
        host: Annotated[str, typer.Option(help="address to bind; other than loopback needs --token")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8000,
        database: Annotated[str, typer.Option(help="database URL (default: SQLite in --data), e.g. "
                                                   "postgresql+psycopg://user:pw@host/db")] = "",
        workers: Annotated[int, typer.Option(min=0, help="solves at once (0: half the cores)")] = 0,
        executor: Annotated[str, typer.Option(help="local (spawned processes) or ray")] = "local",
        ray_address: Annotated[str, typer.Option("--ray-address", help="Ray cluster address (executor ray)")] = "",
        token: Annotated[str, typer.Option(help="access token (or the PLANTWISE_TOKEN environment variable); "
                                                "required when binding beyond loopback", show_default=False)] = "",
        max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", min=0.001, help="largest upload [MB]")] = 50.0,
    ) -> None:
        """Start the planning workspace: web app, REST API (OpenAPI at /docs) and job runner."""
        import uvicorn

        from plantwise.workspace.app import StoreInUse, create_app, hold_store
        from plantwise.workspace.settings import TOKEN_ENV, WorkspaceSettings, is_loopback

        token = token or os.environ.get(TOKEN_ENV, "")
        if not is_loopback(host) and not token:
            console.print(f"[bold red]refused[/]: binding to {host} makes the workspace reachable from other "
                          f"machines; give an access token with --token or {TOKEN_ENV}")
            raise typer.Exit(EXIT_BAD_INPUT)
        if executor not in ("local", "ray"):
            raise typer.BadParameter("choose local or ray", param_hint="--executor")
        cores = os.cpu_count() or 1
        workers = workers or max(1, cores // 2)
        settings = WorkspaceSettings(data_dir=data, database_url=database, workers=workers, executor=executor,
                                     ray_address=ray_address, token=token,
                                     max_upload_bytes=int(max_upload_mb * 1024 * 1024))
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            hold_store(settings)
        except StoreInUse as exc:
            console.print(f"[bold red]refused[/]: {exc}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        store = database.split("@")[-1] if database else str(settings.data_dir)
        console.print(f"plantwise workspace: http://{host}:{port}/ · store {store} · {workers} worker(s) "
                      f"({executor}), {settings.solver_threads} solver thread(s) each"
                      + (" · access token required" if token else ""), highlight=False)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
