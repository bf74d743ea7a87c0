"""Seeded fuzzing of whole solves: a small instance gets numeric cells scaled, zeroed or made huge
(values the loader accepts), and is solved and verified through the CLI as a user would. The
solve must end with a documented outcome — 0 (plan), 2 (bad input), 3 (infeasible, with a
diagnosis), 4 (no plan in the limits) — never an internal error or a traceback; and every plan
it writes with exit 0 must pass ``verify`` with 0 violations."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from plantwise.cli import main
from plantwise.core.family import families

MUTATIONS = 12
TINY: dict[str, dict[str, Any]] = {
    "offload": {"orders": 6, "seed": 3, "horizon": 15, "replenishment": "free"},
    "e2e": {"scenario": 2, "seed": 3, "skus": 3},
    "schedule": {"scenario": 4},
    "acceptance": {"orders": 5, "seed": 3},
}
FACTORS = [0.0, 0.5, 2.0, 10.0, 1000.0]


def _numeric_cells(folder: Path) -> list[tuple[Path, int, int]]:
    cells = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        for r, row in enumerate(rows[1:], start=1):
            for c, value in enumerate(row):
                try:
                    float(value)
                except ValueError:
                    continue
                cells.append((path, r, c))
    return cells


def _scale_cell(path: Path, r: int, c: int, factor: float) -> str:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    old = rows[r][c]
    value = float(old) * factor
    rows[r][c] = str(int(value)) if float(old).is_integer() and value.is_integer() else repr(value)
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return f"{path.name} row {r + 1} {rows[0][c]}: {old} -> {rows[r][c]}"


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out + captured.err


@pytest.mark.slow
@pytest.mark.parametrize("family_name", list(TINY))
def test_a_mutated_instance_solves_to_a_documented_outcome(family_name: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    family = families()[family_name]
    base = tmp_path / "base"
    family.generate(family.generate_params(**TINY[family_name])).save(base)
    cells = _numeric_cells(base)
    rng = random.Random(f"solve-fuzz-{family_name}")
    for trial in range(MUTATIONS):
        inst_dir, plan_dir = tmp_path / f"i{trial}", tmp_path / f"p{trial}"
        shutil.copytree(base, inst_dir)
        what = []
        for _ in range(2):
            path, r, c = rng.choice(cells)
            what.append(_scale_cell(inst_dir / path.name, r, c, rng.choice(FACTORS)))
        solved, output = _cli([family_name, "solve", str(inst_dir), "-o", str(plan_dir), "-t", "4", "-q",
                               "--no-report"], capsys)
        assert solved in (0, 2, 3, 4), (what, solved, output)
        assert "Traceback" not in output and "internal error" not in output, (what, output)
        if solved == 0:
            summary = json.loads((plan_dir / "summary.json").read_text())
            assert summary["verified"] is True, (what, summary["violations"])
            checked, output = _cli([family_name, "verify", str(inst_dir), str(plan_dir)], capsys)
            assert checked == 0 and "0 violations" in output, (what, output)
        if solved == 3:
            assert json.loads((plan_dir / "summary.json").read_text()).get("diagnosis"), what
