"""Right-shift compaction: remove waiting inside jobs without touching cost or completion.

Given a schedule, visit operations from the latest start to the earliest and move each
one (except a job's last) as late as it can go: it must end by the start of the job's
next operation, stay inside one working window and not overlap any other operation or
downtime window on its machine. Machine choices and every job's finish time are unchanged, so the cost
(which depends only on those) is unchanged; shelf-life lags only get shorter; the flow
time ``end(last) - start(first)`` of each job can only fall. The result is the same on
every run.
"""

from __future__ import annotations

import bisect

import numpy as np

from plantwise.schedule.model import Schedule
from plantwise.schedule.shop import Shop


def _latest(windows: np.ndarray, starts: list[int], ends: list[int], deadline: int, d: int) -> int | None:
    """Latest ``t`` with ``[t, t + d)`` in one window, ending by ``deadline`` and clear of the
    busy intervals (sorted, disjoint); ``None`` if there is none."""
    t_end = deadline
    while True:
        w = int(np.searchsorted(windows[:, 0], t_end, side="left")) - 1  # window starting before t_end
        if w < 0:
            return None
        t_end = min(t_end, int(windows[w, 1]))
        if t_end - d < windows[w, 0]:
            t_end = int(windows[w, 0])  # try the previous window
            if w == 0:
                return None
            t_end = int(windows[w - 1, 1])
            continue
        i = bisect.bisect_left(starts, t_end) - 1  # last busy interval starting before t_end
        if i >= 0 and ends[i] > t_end - d:
            t_end = starts[i]
            continue
        return t_end - d


def right_shift(shop: Shop, sched: Schedule) -> Schedule:
    """The compaction of the module docstring (returns a new schedule)."""
    start, end = sched.op_start.copy(), sched.op_end.copy()
    windows = shop.working_windows()
    placed = np.flatnonzero(sched.op_alt >= 0)
    machine = np.full(shop.num_ops, -1, dtype=np.int64)
    machine[placed] = shop.alt_machine[sched.op_alt[placed]]
    busy: dict[int, list[tuple[int, int, int]]] = {}
    for o in placed:
        busy.setdefault(int(machine[o]), []).append((int(start[o]), int(end[o]), int(o)))
    for m, a, b in shop.downtime:  # a downtime is a busy interval that never moves (index -1)
        busy.setdefault(int(m), []).append((int(a), int(b), -1))
    for m in busy:
        busy[m].sort()
    next_op = np.full(shop.num_ops, -1, dtype=np.int64)
    for route in shop.job_ops():
        next_op[route[:-1]] = route[1:]
    for o in placed[np.lexsort((-placed, -start[placed]))]:
        nxt = next_op[o]
        if nxt < 0:
            continue
        m = int(machine[o])
        items = busy[m]
        idx = items.index((int(start[o]), int(end[o]), int(o)))
        others = items[:idx] + items[idx + 1:]
        d = int(end[o] - start[o])
        t = _latest(windows, [s for s, _, _ in others], [e for _, e, _ in others], int(start[nxt]), d)
        if t is None or t <= start[o]:
            continue
        items.pop(idx)
        start[o], end[o] = t, t + d
        bisect.insort(items, (int(t), int(t + d), int(o)))
    return Schedule(sched.job_made.copy(), sched.op_alt.copy(), start, end)
