"""The benchmark registry: every case, with our method and the peers it is measured against.

A :class:`Case` names a family, an instance source (a file under ``../shared/benchmarks`` or
a generator and seed), the time limit, the best value known from the literature (if any)
and its *tools*: ``plantwise`` (our method, with the options spelled out) and zero or more
peers (:mod:`benchmarks.peers`). A tool is ``(\"module:function\", kwargs)``; the runner
calls ``function(time_limit=..., threads=..., **kwargs)`` in a fresh process and gets an
:class:`benchmarks.peers.Outcome`. Suites live in :mod:`benchmarks.suites` (one module per
family, each with ``cases()``); :func:`suite` collects them.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """The public benchmark instances: ``$PLANTWISE_BENCHMARKS``, else ``../shared/benchmarks``
    beside the project, else ``/work/shared/benchmarks`` (where a clone elsewhere finds them)."""
    if "PLANTWISE_BENCHMARKS" in os.environ:
        return Path(os.environ["PLANTWISE_BENCHMARKS"])
    beside, machine = ROOT.parent / "shared" / "benchmarks", Path("/work/shared/benchmarks")
    return beside if beside.is_dir() or not machine.is_dir() else machine


SHARED = _shared()
FAMILY_SUITES = ("schedule", "e2e", "offload")


@dataclass(frozen=True)
class Tool:
    """One way to solve a case: ``target`` is ``module:function``; ``options`` says what it runs."""

    target: str
    kwargs: dict[str, object] = field(default_factory=dict)
    options: str = ""


@dataclass(frozen=True)
class Case:
    """One benchmark instance with our tool and its peers (``tools['plantwise']`` first)."""

    name: str
    family: str
    group: str  # the comparison this case belongs to (e.g. "jobshop", "trigeiro", "offload-sS")
    source: str  # where the instance comes from, as a user would reproduce it
    time_limit: float
    tools: dict[str, Tool]
    reference: float | None = None  # best known value (proven optimum where known)
    reference_proven: bool = False


def suite(name: str, families: list[str] | None = None) -> list[Case]:
    """All cases of suite ``name`` (``peers``: every family's side-by-side cases)."""
    if name != "peers":
        raise ValueError(f"unknown suite {name!r} (known: peers)")
    cases: list[Case] = []
    for family in families or FAMILY_SUITES:
        module = importlib.import_module(f"benchmarks.suites.{family}")
        cases.extend(module.cases())
    return cases
