r"""Trigeiro, Thomas & McClain (1989) capacitated lot-sizing instances as e2e instances.

The multi-item capacitated lot-sizing problem (CLSP) of a Trigeiro file,

.. math::

    \min \sum_{i,t} (sc_i y_{it} + h_i I_{it}) \quad \text{s.t.} \quad
    I_{i,t-1} + x_{it} - I_{it} = d_{it}, \quad
    \sum_i (a_i x_{it} + st_i y_{it}) \le CAP, \quad
    x_{it} \le M y_{it}, \quad I_{i0} = 0, \quad x, I \ge 0, \; y \in \{0, 1\},

is the one-plant, one-line, one-DC special case of the document 001 model:

* plant ``P`` with line ``L1`` whose ``hours_per_day`` is ``CAP`` (capacity units play the
  role of hours), one line-SKU pair per item with ``rate = 1 / a_i`` units per capacity
  unit, ``moq = 0``, ``setup_hours = st_i`` and ``setup_cost = sc_i``;
* SKU ``holding_cost = h_i``; DC ``D`` served by ``P`` through a lane of cost 0 and lead
  time 0; demand ``d_it`` at the DC; every initial inventory, target and minimum 0 (the
  minimum explicitly 0, not the 0.9 x target default);
* all penalties 0 (holding is the only stock cost) and no stockouts.

Plant and DC both charge the SKU's holding cost on end-of-day stock; with lead time 0
the plant stock plus the DC stock of an item on a day equals the CLSP inventory
:math:`I_{it}`, so each unit held is charged exactly once per day and the e2e objective
equals the CLSP's setup + holding cost (X11117A: 8375.8). The unit production cost
``c`` of the file is *excluded*: with no backlog and zero initial stock every feasible
plan makes exactly the total demand, so :math:`c \sum_{i,t} d_{it}` is the same constant
for all of them (it is checked to be a number and otherwise ignored).

File format (whitespace-separated numbers)::

    nItems nPeriods
    c
    CAP
    a_i h_i st_i sc_i        # nItems records
    d_t1 ... d_tn            # nPeriods records: the demand of every item in period t
    <footer text>            # ignored: parsing stops after the demand block

Every record starts on a new line; a record may continue over several lines, but two
records never share one. Defects raise :class:`~plantwise.core.errors.InputErrors`
naming the file and the line (1-based; reported in ``InputError.row``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from plantwise.core.errors import InputError, InputErrors
from plantwise.e2e.instance import E2EInstance, Penalties

ITEM_FIELDS = ("a", "h", "st", "sc")


class _Reader:
    """Reads records (fixed numbers of tokens, each record starting on a new line)."""

    def __init__(self, path: Path):
        self.file = path.name
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputErrors([InputError(self.file, None, None, f"cannot read file: {exc}")]) from exc
        self.lines = text.splitlines()
        self.pos = 0  # index of the next line to read

    def fail(self, line: int | None, message: str) -> InputErrors:
        return InputErrors([InputError(self.file, line, None, message)])

    def record(self, count: int, what: str) -> list[tuple[str, int]]:
        """The next ``count`` tokens with their (1-based) line numbers, skipping blank lines."""
        tokens: list[tuple[str, int]] = []
        while len(tokens) < count:
            if self.pos >= len(self.lines):
                where = len(self.lines) or None
                raise self.fail(where, f"file ends early: expected {count} numbers for {what}, found {len(tokens)}")
            words = self.lines[self.pos].split()
            self.pos += 1
            if not words:
                continue
            if len(tokens) + len(words) > count:
                start = f" (record starts on line {tokens[0][1]})" if tokens else ""
                raise self.fail(self.pos, f"expected {count} numbers for {what}, found {len(tokens) + len(words)}"
                                f"{start}")
            tokens.extend((w, self.pos) for w in words)
        return tokens

    def numbers(self, count: int, what: str, names: tuple[str, ...] | None = None) -> tuple[list[float], list[int]]:
        """The next record as floats, and the line of each."""
        tokens = self.record(count, what)
        values = []
        for j, (tok, line) in enumerate(tokens):
            label = names[j] if names else f"value {j + 1}"
            try:
                v = float(tok)
            except ValueError:
                raise self.fail(line, f"{what}: {label} is {tok!r}, not a number") from None
            if not math.isfinite(v):
                raise self.fail(line, f"{what}: {label} is {tok!r}, not a finite number")
            values.append(v)
        return values, [line for _, line in tokens]


def _count(value: float, name: str, reader: _Reader, line: int) -> int:
    if value != int(value) or value < 1:
        raise reader.fail(line, f"{name} must be a positive integer, got {value:g}")
    return int(value)


def read_trigeiro(path: str | Path) -> E2EInstance:
    """Read a Trigeiro CLSP file as a one-plant, one-line, one-DC :class:`E2EInstance`.

    See the module docstring for the mapping; the instance's optimal objective is the
    CLSP's setup + holding cost (the constant unit production cost is excluded).
    Raises :class:`InputErrors` (file, line, message) on a malformed file.
    """
    path = Path(path)
    rd = _Reader(path)
    (n_raw, t_raw), lines = rd.numbers(2, "the header 'nItems nPeriods'", ("nItems", "nPeriods"))
    n = _count(n_raw, "nItems", rd, lines[0])
    T = _count(t_raw, "nPeriods", rd, lines[1])
    rd.numbers(1, "the unit production cost c", ("c",))
    (cap,), lines = rd.numbers(1, "the capacity CAP", ("CAP",))
    if cap <= 0:
        raise rd.fail(lines[0], f"capacity CAP must be > 0, got {cap:g}")
    items = np.zeros((n, 4))
    for i in range(n):
        what = f"item {i + 1} 'a h st sc'"
        values, lines = rd.numbers(4, what, ITEM_FIELDS)
        if values[0] <= 0:
            raise rd.fail(lines[0], f"{what}: capacity use per unit a must be > 0, got {values[0]:g}")
        for j in (1, 2, 3):
            if values[j] < 0:
                raise rd.fail(lines[j], f"{what}: {ITEM_FIELDS[j]} must be >= 0, got {values[j]:g}")
        items[i] = values
    demand = np.zeros((n, T))
    for t in range(T):
        what = f"the demand of period {t + 1}"
        values, lines = rd.numbers(n, what)
        for i, v in enumerate(values):
            if v < 0:
                raise rd.fail(lines[i], f"{what}: item {i + 1} has negative demand {v:g}")
        demand[:, t] = values
    # the rest of the file (a text footer in the published sets) is ignored

    a, h, st, sc = items.T
    zeros = np.zeros(n)
    first = np.zeros(n, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    return E2EInstance(
        name=path.stem, horizon=T, plants=["P"], lines=["L1"], skus=[f"item{i + 1}" for i in range(n)], dcs=["D"],
        line_plant=np.zeros(1, dtype=np.int64), hours_per_day=np.array([cap]), hours=np.full((1, T), cap),
        product_type=[""] * n, holding_cost=h.copy(),
        pair_line=first, pair_sku=np.arange(n), rate=1.0 / a, moq=zeros.copy(), setup_hours=st.copy(),
        setup_cost=sc.copy(),
        plant_pos_plant=first.copy(), plant_pos_sku=np.arange(n), plant_initial=zeros.copy(),
        plant_target=zeros.copy(), plant_minimum=zeros.copy(),
        dc_plant=np.zeros(1, dtype=np.int64), dc_pos_dc=first.copy(), dc_pos_sku=np.arange(n),
        dc_initial=zeros.copy(), dc_target=zeros.copy(), dc_minimum=zeros.copy(), demand=demand,
        lane_plant=np.zeros(1, dtype=np.int64), lane_dc=np.zeros(1, dtype=np.int64), lane_cost=np.zeros(1),
        lane_lead=np.zeros(1, dtype=np.int64),
        transfer_from=none, transfer_to=none.copy(), transfer_cost=np.zeros(0), transfer_lead=none.copy(),
        penalties=Penalties(over_target=0.0, under_target=0.0, under_minimum=0.0, stockout=0.0),
        allow_stockout=False,
    )
