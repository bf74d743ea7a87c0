"""A solver-independent linear model assembled from vectorised blocks.

Variables and constraint rows are added in blocks (numpy arrays), never one by one;
coefficients are COO triplets. The model is

    min  c^T x + offset
    s.t. row_lower <= A x <= row_upper,   lower <= x <= upper,   x_k integer for k in K,

and every backend (HiGHS, CP-SAT, Gurobi) reads this one representation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class LinearModel:
    """Blocks of variables and rows; see the module docstring for the mathematics."""

    name: str = "model"
    offset: float = 0.0
    _lower: list[np.ndarray] = field(default_factory=list)
    _upper: list[np.ndarray] = field(default_factory=list)
    _cost: list[np.ndarray] = field(default_factory=list)
    _integer: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    _coo_rows: list[np.ndarray] = field(default_factory=list)
    _coo_cols: list[np.ndarray] = field(default_factory=list)
    _coo_vals: list[np.ndarray] = field(default_factory=list)
    var_blocks: dict[str, slice] = field(default_factory=dict)
    row_blocks: dict[str, slice] = field(default_factory=dict)
    num_vars: int = 0
    num_rows: int = 0

    def add_vars(
        self,
        name: str,
        count: int,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        cost: float | np.ndarray = 0.0,
        integer: bool = False,
    ) -> np.ndarray:
        """Add ``count`` variables; returns their column indices."""
        if name in self.var_blocks:
            raise ValueError(f"variable block {name!r} exists")
        start = self.num_vars
        self._lower.append(np.broadcast_to(np.asarray(lower, float), (count,)).copy())
        self._upper.append(np.broadcast_to(np.asarray(upper, float), (count,)).copy())
        self._cost.append(np.broadcast_to(np.asarray(cost, float), (count,)).copy())
        self._integer.append(np.full(count, integer, dtype=bool))
        self.num_vars += count
        self.var_blocks[name] = slice(start, self.num_vars)
        return np.arange(start, self.num_vars)

    def add_rows(
        self,
        name: str,
        count: int,
        entry_row: np.ndarray,
        entry_col: np.ndarray,
        entry_val: np.ndarray | float,
        lower: float | np.ndarray = -np.inf,
        upper: float | np.ndarray = np.inf,
    ) -> np.ndarray:
        """Add ``count`` rows ``lower <= sum(entry_val * x[entry_col]) <= upper``.

        ``entry_row`` holds local row numbers in ``0..count-1``; duplicates of a
        (row, column) pair are summed. Returns the global row indices.
        """
        if name in self.row_blocks:
            raise ValueError(f"row block {name!r} exists")
        entry_row = np.asarray(entry_row, dtype=np.int64)
        entry_col = np.asarray(entry_col, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(entry_val, float), entry_row.shape)
        if entry_row.size and (entry_row.min() < 0 or entry_row.max() >= count):
            raise ValueError(f"row block {name!r}: local row index out of range")
        start = self.num_rows
        self._coo_rows.append(entry_row + start)
        self._coo_cols.append(entry_col)
        self._coo_vals.append(vals.astype(float))
        self._row_lower.append(np.broadcast_to(np.asarray(lower, float), (count,)).copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, float), (count,)).copy())
        self.num_rows += count
        self.row_blocks[name] = slice(start, self.num_rows)
        return np.arange(start, self.num_rows)

    def _cat(self, parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    @property
    def lower(self) -> np.ndarray:
        return self._cat(self._lower)

    @property
    def upper(self) -> np.ndarray:
        return self._cat(self._upper)

    @property
    def cost(self) -> np.ndarray:
        return self._cat(self._cost)

    @property
    def integer(self) -> np.ndarray:
        return self._cat(self._integer, bool)

    @property
    def row_lower(self) -> np.ndarray:
        return self._cat(self._row_lower)

    @property
    def row_upper(self) -> np.ndarray:
        return self._cat(self._row_upper)

    def matrix(self, fmt: str = "csr") -> sp.spmatrix:
        """The constraint matrix ``A`` (duplicates summed, explicit zeros removed)."""
        a = sp.coo_matrix(
            (self._cat(self._coo_vals), (self._cat(self._coo_rows, np.int64), self._cat(self._coo_cols, np.int64))),
            shape=(self.num_rows, self.num_vars),
        ).asformat(fmt)
        a.sum_duplicates()
        a.eliminate_zeros()
        return a

    def fix(self, columns: np.ndarray, values: np.ndarray) -> None:
        """Fix ``x[columns] = values`` by tightening both bounds."""
        self.set_bounds(columns, values, values)

    def set_bounds(self, columns: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float) -> None:
        low, up = self.lower, self.upper
        low[columns] = lower
        up[columns] = upper
        self._set_bounds(low, up)

    def _set_bounds(self, lower: np.ndarray, upper: np.ndarray) -> None:
        self._lower, self._upper = [lower], [upper]
        # keep the other per-variable arrays as single blocks too, so lengths agree
        self._cost = [self.cost]
        self._integer = [self.integer]

    def add_cost(self, columns: np.ndarray, values: np.ndarray | float) -> None:
        """Add ``values`` to the objective coefficients of ``columns`` (duplicates summed)."""
        cost = self.cost
        np.add.at(cost, np.asarray(columns, dtype=np.int64), values)
        self._cost = [cost]
        self._lower, self._upper, self._integer = [self.lower], [self.upper], [self.integer]

    def objective_value(self, x: np.ndarray) -> float:
        return float(self.cost @ x + self.offset)

    def max_violation(self, x: np.ndarray) -> float:
        """Largest violation of any row or bound by ``x`` (0 when feasible)."""
        ax = self.matrix() @ x
        viol = np.concatenate(
            [
                np.maximum(self.row_lower - ax, 0),
                np.maximum(ax - self.row_upper, 0),
                np.maximum(self.lower - x, 0),
                np.maximum(x - self.upper, 0),
            ]
        )
        return float(viol.max()) if viol.size else 0.0

    def stats(self) -> dict[str, int]:
        integer = self.integer
        return {
            "variables": self.num_vars,
            "integer_variables": int(integer.sum()),
            "rows": self.num_rows,
            "nonzeros": int(self.matrix().nnz),
        }
