"""Job-shop and hybrid-flow-shop files read independently of plantwise, and an independent schedule check.

A shop is a list of jobs; a job is its route, a list of operations; an operation is its list
of alternatives ``(machine, duration)`` (one for a job shop, the stage's identical machines
for a hybrid flow shop). :func:`check` accepts a schedule ``{(job, op): (machine, start, end)}``
when every operation is scheduled once on one of its alternatives for exactly its duration,
routes are kept in order and no machine does two things at once; it returns the makespan.
Both plantwise's and the peers' schedules go through it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

Shop = list[list[list[tuple[int, int]]]]


def read_jsplib(path: str | Path) -> tuple[Shop, int]:
    """JSPLIB: ``#`` comments, ``n m``, then one line per job of ``machine duration`` pairs."""
    lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    n, m = int(lines[0][0]), int(lines[0][1])
    jobs = []
    for tokens in lines[1:1 + n]:
        values = [int(v) for v in tokens]
        jobs.append([[(values[2 * s], values[2 * s + 1])] for s in range(len(values) // 2)])
    return jobs, m


def read_hfs(path: str | Path) -> tuple[Shop, int]:
    """Carlier-Néron layout: ``S-1``, ``N-1``, one row per stage ``p[1..N] ... machines``."""
    rows = [[int(v) for v in ln.split()] for ln in Path(path).read_text().splitlines() if ln.strip()]
    stages, n = rows[0][0] + 1, rows[1][0] + 1
    machines: list[list[int]] = []
    times = []
    count = 0
    for row in rows[2:2 + stages]:
        times.append(row[:n])
        machines.append(list(range(count, count + row[-1])))
        count += row[-1]
    jobs = [[[(mach, times[s][k]) for mach in machines[s]] for s in range(stages)] for k in range(n)]
    return jobs, count


def read(path: str | Path, fmt: str) -> tuple[Shop, int]:
    return read_jsplib(path) if fmt == "jsplib" else read_hfs(path)


def check(shop: Shop, schedule: dict[tuple[int, int], tuple[int, int, int]]) -> tuple[bool, int, str]:
    """(ok, makespan, first problem) of ``schedule`` on ``shop`` (see the module docstring)."""
    busy: dict[int, list[tuple[int, int]]] = {}
    makespan = 0
    for k, route in enumerate(shop):
        previous_end = 0
        for o, alternatives in enumerate(route):
            if (k, o) not in schedule:
                return False, 0, f"job {k} operation {o} not scheduled"
            machine, start, end = schedule[(k, o)]
            durations = dict(alternatives)
            if machine not in durations:
                return False, 0, f"job {k} operation {o} on machine {machine}, not one of {sorted(durations)}"
            if end - start != durations[machine] or start < 0:
                return False, 0, f"job {k} operation {o}: [{start}, {end}) is not its duration {durations[machine]}"
            if start < previous_end:
                return False, 0, f"job {k} operation {o} starts at {start} before its predecessor ends ({previous_end})"
            previous_end = end
            if end > start:
                busy.setdefault(machine, []).append((start, end))
            makespan = max(makespan, end)
    if len(schedule) != sum(len(route) for route in shop):
        return False, 0, "schedule has operations the shop does not"
    for machine, spans in busy.items():
        spans.sort()
        for (_s0, e0), (s1, _e1) in itertools.pairwise(spans):
            if s1 < e0:
                return False, 0, f"machine {machine} runs two operations at once at {s1}"
    return True, makespan, ""
