"""Seeded mutation fuzzing of every family's plan reader and verifier through ``plantwise <family>
verify``: a good plan folder is damaged in one place (a cell, a header, a row, the bytes, the
summary) and verified. The command must end with 0 (the damage was harmless and the plan still
checks), 1 (violations) or 2 (bad input) — never a traceback or the internal-error code."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from plantwise.cli import main
from plantwise.core.family import families
from plantwise.core.pipeline import solve

MUTATIONS_PER_FAMILY = 30
TINY: dict[str, dict[str, Any]] = {
    "offload": {"orders": 6, "seed": 2, "horizon": 15, "replenishment": "free"},
    "e2e": {"scenario": 1, "seed": 1, "skus": 3},
    "schedule": {"scenario": 2},
    "acceptance": {"orders": 5, "seed": 2},
}
BAD_CELLS = ["abc", "", "nan", "inf", "-inf", "-1", "1e300", "0.5", "999999", "O9999", " ", "1,5", "None"]


def _mutate(folder: Path, rng: random.Random) -> str:
    """Damage one thing in ``folder``; return what was done."""
    files = sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".json"))
    target = rng.choice(files)
    kind = rng.choice(["cell", "cell", "cell", "header", "drop_row", "dup_row", "drop_column", "bytes", "empty",
                       "truncate"] + (["summary"] * 4 if target.name == "summary.json" else []))
    if target.suffix == ".json" and kind in ("cell", "header", "drop_row", "dup_row", "drop_column", "summary"):
        data = json.loads(target.read_text())
        choice = rng.choice(["list", "objective_text", "objective_none", "no_checksum", "status", "bound",
                             "objective_off", "kpis"])
        if choice == "list":
            data = [data]
        elif choice == "objective_text":
            data["objective"] = "cheap"
        elif choice == "objective_none":
            data["objective"] = None
        elif choice == "no_checksum":
            data.pop("input_checksum", None)
        elif choice == "status":
            data["status"] = "infeasible"
        elif choice == "bound":
            data["bound"] = (data.get("objective") or 0) * (2 if data.get("sense") == "min" else -2) + 10
        elif choice == "objective_off":
            data["objective"] = (data.get("objective") or 0) + 1.5
        else:
            data["kpis"] = "none"
        target.write_text(json.dumps(data))
        return f"{target.name}: {choice}"
    lines = target.read_text().splitlines()
    if kind == "bytes":
        target.write_bytes(target.read_bytes()[: rng.randint(0, 40)] + b"\xff\xfe\x00bad" + target.read_bytes()[40:])
    elif kind == "empty":
        target.write_text("")
    elif kind == "truncate":
        target.write_text("\n".join(lines[: max(1, len(lines) // 2)]) + "\n")
    elif kind == "header" and lines:
        cols = lines[0].split(",")
        cols[rng.randrange(len(cols))] = rng.choice(["x", "QUANTITY", "", "qty"])
        lines[0] = ",".join(cols)
        target.write_text("\n".join(lines) + "\n")
    elif kind == "drop_column" and lines:
        k = rng.randrange(len(lines[0].split(",")))
        target.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != k)
                                    for line in lines) + "\n")
    elif kind in ("drop_row", "dup_row") and len(lines) > 1:
        r = rng.randrange(1, len(lines))
        lines = lines[:r] + lines[r + 1:] if kind == "drop_row" else lines[: r + 1] + lines[r:]
        target.write_text("\n".join(lines) + "\n")
    elif len(lines) > 1:
        r = rng.randrange(1, len(lines))
        cells = lines[r].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(BAD_CELLS)
        lines[r] = ",".join(cells)
        target.write_text("\n".join(lines) + "\n")
    return f"{target.name}: {kind}"


@pytest.mark.parametrize("family_name", list(TINY))
def test_verify_never_crashes_on_a_damaged_plan(family_name: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    family = families()[family_name]
    inst = family.generate(family.generate_params(**TINY[family_name]))
    inst_dir, good = tmp_path / "instance", tmp_path / "good"
    inst.save(inst_dir)
    sol = solve(family, inst, family.default_method if family_name != "schedule" else "exact", time_limit=10)
    assert sol.ok
    sol.save(good, inst, report=False)
    rng = random.Random(f"plan-fuzz-{family_name}")
    for trial in range(MUTATIONS_PER_FAMILY):
        case = tmp_path / f"case{trial}"
        shutil.copytree(good, case)
        what = _mutate(case, rng)
        with pytest.raises(SystemExit) as done:
            main([family_name, "verify", str(inst_dir), str(case)])
        captured = capsys.readouterr()
        assert done.value.code in (0, 1, 2), (what, captured.out, captured.err)
        assert "Traceback" not in captured.err and "internal error" not in captured.err, (what, captured.err)
        if what.endswith(("objective_text", "objective_none", "objective_off", "status", "bound")):
            assert done.value.code != 0, (what, captured.out)
