"""The ``plantwise`` command line: ``plantwise <family> generate|solve|verify|report|schema`` for
every registered family (built by :mod:`plantwise.cli.factory`), the family extras
(``plantwise.cli.<family>``), ``plantwise demo`` and ``plantwise --version``.

Exit codes: 0 plan found (or verified); 1 the verifier found violations; 2 bad input (every
problem listed with file, row and column), a bad option, an unusable ``--out`` or a plan made
for another instance; 3 proven infeasible (with a diagnosis); 4 no plan within the limits;
130 interrupted by SIGINT/SIGTERM (the best plan found is verified and written, status
``interrupted``); 70 internal error (one line; ``PLANTWISE_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from plantwise import __version__
from plantwise.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OK,
    EXIT_VIOLATIONS,
    console,
    input_error,
)
from plantwise.cli.factory import family_app
from plantwise.core.errors import InputErrors
from plantwise.core.family import families

app = typer.Typer(help="plantwise: production, inventory and distribution planning for multi-site supply chains.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"plantwise {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """plantwise: production, inventory and distribution planning for multi-site supply chains."""


def _register() -> None:
    for name, family in families().items():
        sub = family_app(family)
        try:
            extras = importlib.import_module(f"plantwise.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"plantwise.cli.{name}":
                raise
            extras = None
        if extras is not None and hasattr(extras, "add_commands"):
            extras.add_commands(sub, app)
        app.add_typer(sub, name=name)
    from plantwise.cli import serve

    serve.add_commands(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every outcome ends in one of the documented exit codes, never a bare traceback.

    Run as the process's command (``argv`` None), the command's time limit counts from the
    process start, so that start-up is inside ``--time-limit``."""
    if argv is None:
        from plantwise.core.options import mark_command_start, process_started

        mark_command_start(process_started())
    try:
        _run(argv)
    except SystemExit as done:
        _leave(done.code)


def _leave(code: object) -> None:
    """Exit with ``code``; with a HiGHS run still going after a stop, without finalising the
    interpreter (which would abort under the running solver): every file is written by then."""
    from plantwise.core.backends.highs import running_abandoned_solves

    if running_abandoned_solves():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_INTERNAL))
    sys.exit(code)


def _run(argv: list[str] | None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("[bold yellow]interrupted[/]")
        sys.exit(EXIT_INTERRUPTED)
    except typer.TyperException as exc:  # a usage error: unknown option, bad value, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            console.print(f"[bold red]usage error[/]: {exc}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
    except InputErrors as exc:
        try:
            raise input_error(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)
    except KeyboardInterrupt:
        console.print("[bold yellow]interrupted[/]")
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except MemoryError:
        console.print("[bold red]out of memory[/]: the model does not fit this machine; reduce the instance "
                      "(orders, horizon, goods) or use a method for large instances")
        sys.exit(EXIT_INTERNAL)
    except OSError as exc:
        if os.environ.get("PLANTWISE_DEBUG"):
            raise
        console.print(f"[bold red]error[/]: {exc}", highlight=False, markup=False)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:
        if os.environ.get("PLANTWISE_DEBUG"):
            raise
        console.print(f"internal error: {type(exc).__name__}: {exc} (a bug; set PLANTWISE_DEBUG=1 for the "
                      "traceback and please report it)", highlight=False, markup=False)
        sys.exit(EXIT_INTERNAL)


__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_NO_PLAN", "EXIT_OK",
           "EXIT_VIOLATIONS", "app", "main"]
