"""Offload side by side: plantwise's method against the plain document-000 model on HiGHS.

Generated instances (``plantwise offload generate --orders N --seed 1``) of 100, 500 and
2,000 orders, each in both replenishment modes (``free`` and ``sS``), at 60 / 120 / 180 s.
The instance is generated on first use into a cache folder (``PLANTWISE_BENCH_CACHE``,
default ``/tmp/plantwise-bench``, then ``offload/n{N}-s{seed}``), by the same command a
user would run, so both tools read the same files.

Tools of every case:

``plantwise``     :func:`ours`: ``plantwise offload solve --method milp --replenishment M``
                  through the Python API, exactly as the command calls it (the baseline at the
                  initial assignment included: it takes 20 % of the time limit, as for a user)
``plain-doc000``  :func:`benchmarks.peers.offload_plain.solve`: the paper's formulation as a
                  user would write it, on HiGHS (see that module)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.peers import Outcome, Trace
from benchmarks.registry import Case, Tool
from benchmarks.suites import outcome_from_solution

SIZES = ((100, 60.0), (500, 120.0), (2000, 180.0))  # orders, time limit (s)
MODES = ("free", "sS")
SEED = 1


def cache_dir() -> Path:
    return Path(os.environ.get("PLANTWISE_BENCH_CACHE", "/tmp/plantwise-bench")) / "offload"


def instance_dir(orders: int, seed: int = SEED) -> Path:
    """The cached instance folder of ``plantwise offload generate --orders N --seed S``;
    generated (into a temporary folder, then renamed, so a concurrent reader never sees a
    half-written one) when it is missing."""
    target = cache_dir() / f"n{orders}-s{seed}"
    if (target / "instance.yaml").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".n{orders}-s{seed}-", dir=target.parent))
    try:
        subprocess.run([sys.executable, "-m", "plantwise", "offload", "generate", "--orders", str(orders),
                        "--seed", str(seed), str(tmp / "instance")], check=True, capture_output=True, text=True)
        try:
            (tmp / "instance").rename(target)
        except OSError:  # another process generated it first
            if not (target / "instance.yaml").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def ours(time_limit: float, threads: int = 1, mode: str = "sS", orders: int | None = None, seed: int = SEED,
         instance: str | None = None, mip_gap: float = 1e-4) -> Outcome:
    """``plantwise offload solve INSTANCE --method milp --replenishment MODE --time-limit T
    --threads N`` through :func:`plantwise.core.pipeline.solve`, as the command calls it.

    The instance is ``instance`` (a folder) or the generated one of ``orders`` and ``seed``
    (generated before the clock starts). ``seconds`` covers loading and solving (not writing
    the plan folder). The trajectory holds the main solve's incumbents from the ``progress``
    callback (the constructive warm start, HiGHS's improvements, LNS), not the baseline's:
    the baseline plan is not the method's answer. HiGHS's reports are throttled to one per
    0.5 s, so a point can be late by that much."""
    from plantwise.core.pipeline import solve
    from plantwise.offload.family import FAMILY

    if instance is None and not orders:
        raise ValueError("give the instance folder or the number of orders to generate")
    path = Path(instance) if instance is not None else instance_dir(int(orders or 0), seed)
    trace = Trace()

    def progress(p: object) -> None:
        if getattr(p, "message", "") != "baseline":
            trace(getattr(p, "incumbent", None))

    inst = FAMILY.read(path, None)
    sol = solve(FAMILY, inst, "milp", time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=0,
                progress=progress, params={"replenishment": mode})
    s = sol.summary
    kpis = s.get("kpis") or {}
    note = (f"{s.get('message', '')}; baseline {kpis.get('baseline_cost')} ({kpis.get('baseline_status')}), "
            f"saving {kpis.get('saving_pct')} %").lstrip("; ")
    if s.get("violations"):
        note += "; violations: " + "; ".join(map(str, s["violations"][:5]))
    return outcome_from_solution(sol, trace, note)


def cases() -> list[Case]:
    out: list[Case] = []
    for mode in MODES:
        for orders, limit in SIZES:
            source = f"plantwise offload generate --orders {orders} --seed {SEED}"
            where = str(cache_dir() / f"n{orders}-s{SEED}")
            out.append(Case(
                name=f"offload-{orders}-s{SEED}-{mode}",
                family="offload",
                group=f"offload-{mode}",
                source=source,
                time_limit=limit,
                tools={
                    "plantwise": Tool("benchmarks.suites.offload:ours",
                                      {"orders": orders, "seed": SEED, "mode": mode},
                                      f"offload solve --method milp --replenishment {mode}"),
                    "plain-doc000": Tool("benchmarks.peers.offload_plain:solve",
                                         {"instance_dir": where, "mode": mode, "generate": [orders, SEED]},
                                         f"plain document-000 MILP on HiGHS, replenishment {mode}"),
                },
            ))
    return out
