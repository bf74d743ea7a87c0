"""An offload plan: plain tables plus a summary, round-tripping to a folder.

``assignments.csv`` (order, site, start), ``purchases.csv`` (site, part, period,
quantity), ``transshipments.csv`` (from_site, to_site, part, period, arrival_period,
quantity) are the decisions; ``inventory.csv`` and the derived columns of
``assignments.csv`` are for people and are recomputed, never trusted, by the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.summary import dumps
from plantwise.core.tables import read_summary

if TYPE_CHECKING:
    from plantwise.offload.instance import OffloadInstance

ASSIGNMENT_COLUMNS = ["order", "site", "start"]
PURCHASE_COLUMNS = ["site", "part", "period", "quantity"]
SHIPMENT_COLUMNS = ["from_site", "to_site", "part", "period", "arrival_period", "quantity"]


@dataclass
class OffloadPlan:
    """Decisions of one plan and its summary (``summary.json``)."""

    assignments: pd.DataFrame
    purchases: pd.DataFrame
    shipments: pd.DataFrame
    inventory: pd.DataFrame | None = None
    summary: dict[str, object] = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.assignments.to_csv(path / "assignments.csv", index=False)
        self.purchases.to_csv(path / "purchases.csv", index=False)
        self.shipments.to_csv(path / "transshipments.csv", index=False)
        if self.inventory is not None:
            self.inventory.to_csv(path / "inventory.csv", index=False)
        (path / "summary.json").write_text(dumps(self.summary), encoding="utf-8")


def describe_assignments(inst: OffloadInstance, assignments: pd.DataFrame) -> pd.DataFrame:
    """``assignments`` (order, site, start) with the derived columns people read:
    processing_end, completion, due_period, initial_site, offloaded (from the instance)."""
    oidx = {o: k for k, o in enumerate(inst.orders)}
    sidx = {s: k for k, s in enumerate(inst.sites)}
    i = assignments["order"].map(oidx).to_numpy(np.int64)
    j = assignments["site"].map(sidx).to_numpy(np.int64)
    start = assignments["start"].astype(np.int64).to_numpy()
    pt, st = inst.processing_time[i, j], inst.shipping_time[i, j]
    return pd.DataFrame(
        {
            "order": assignments["order"].to_numpy(),
            "site": assignments["site"].to_numpy(),
            "start": start,
            "processing_end": start + pt - 1,
            "completion": start + pt + st - 1,
            "due_period": inst.due[i],
            "initial_site": np.array(inst.sites, dtype=object)[inst.initial_site[i]],
            "offloaded": j != inst.initial_site[i],
        }
    )


def load_plan(path: str | Path) -> OffloadPlan:
    """Read a plan folder; a missing file or column is an :class:`InputErrors`."""
    path = Path(path)
    errors: list[InputError] = []
    frames: dict[str, pd.DataFrame] = {}
    for name, columns in (
        ("assignments.csv", ASSIGNMENT_COLUMNS),
        ("purchases.csv", PURCHASE_COLUMNS),
        ("transshipments.csv", SHIPMENT_COLUMNS),
    ):
        file = path / name
        if not file.exists():
            errors.append(InputError(name, None, None, f"file missing in {path}"))
            continue
        try:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            errors.append(InputError(name, None, None, f"cannot be read: {exc}"))
            continue
        for col in frame.columns:  # integer columns become integers; anything else stays text for verify
            if col not in ("order", "site", "part", "from_site", "to_site", "initial_site"):
                numbers = pd.to_numeric(frame[col], errors="coerce")
                if len(frame) and numbers.notna().all() and (numbers == numbers.round()).all():
                    frame[col] = numbers.astype(np.int64)
        missing = [c for c in columns if c not in frame.columns]
        for c in missing:
            errors.append(InputError(name, None, c, "required column missing"))
        frames[name] = frame
    if errors:
        raise InputErrors(errors)
    summary = read_summary(path)
    return OffloadPlan(
        frames["assignments.csv"], frames["purchases.csv"], frames["transshipments.csv"], None, summary
    )
