"""Seeded mutation fuzzing of the four families' loaders: a small generated instance is saved
(CSV folder and workbook), then cells, headers, rows, files, bytes and settings are mutated at
random. The loader must return an instance or raise ``InputErrors`` whose every error names a
file and says something; never any other exception."""

from __future__ import annotations

import importlib
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml

from plantwise.core.errors import InputErrors

FAMILIES = ("offload", "e2e", "schedule", "acceptance")
CSV_SEEDS = range(24)
BOOK_SEEDS = range(6)

TOKENS = ["", " ", "x", "-1", "0", "1", "2", "1.5", "1,5", "0,5", "1e999", "-1e999", "nan", "NaN", "inf", "-inf",
          "1e20", "9" * 25, "None", "true", "é", '"', "a,b", "2.0", "-0", "1e-300", "0.001", " 7 ", "1_000", "=A1"]
YAML_VALUES = [".nan", ".inf", "-.inf", "-1", "0", "1e999", "[1, 2]", "{a: 1}", "null", "''", "true", "3", "2.5", "x",
               "1e3", "static", "free", "sS", "{weeks: 0}", "{capacity: .nan}", "{stockout: -1}", "1000000"]


def _instance(family: str) -> object:
    gen = importlib.import_module(f"plantwise.{family}.generator")
    if family == "offload":
        return gen.generate(6, seed=2)
    if family == "e2e":
        return gen.generate(1, 2, skus=3)
    if family == "schedule":
        return gen.document_scenario(3)
    return gen.generate(6, seed=2)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bases")
    out = {}
    for family in FAMILIES:
        inst = _instance(family)
        inst.save(root / family)  # type: ignore[attr-defined]
        inst.save(root / f"{family}.xlsx")  # type: ignore[attr-defined]
        out[family] = root / family
        out[f"{family}.xlsx"] = root / f"{family}.xlsx"
    return out


# ---------------------------------------------------------------- CSV folder mutations
def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", errors="replace"))


def _cells(line: str) -> list[str]:
    return line.split(",")


def mutate_cell(rng: random.Random, folder: Path) -> str:
    file = rng.choice(sorted(folder.glob("*.csv")))
    lines = _lines(file)
    if len(lines) < 2:
        return f"{file.name}: no rows"
    r = rng.randrange(1, len(lines))
    cells = _cells(lines[r])
    c = rng.randrange(len(cells))
    if rng.random() < 0.3 and len(lines) > 2:  # a value of the same column in another row (duplicates, ids)
        other = _cells(lines[rng.randrange(1, len(lines))])
        value = other[c] if c < len(other) else ""
    else:
        value = rng.choice(TOKENS)
    cells[c] = value
    lines[r] = ",".join(cells)
    _write(file, lines)
    return f"{file.name} row {r + 1} col {c + 1} = {value!r}"


def mutate_header(rng: random.Random, folder: Path) -> str:
    file = rng.choice(sorted(folder.glob("*.csv")))
    lines = _lines(file)
    if not lines:
        return f"{file.name}: empty"
    header = _cells(lines[0])
    c = rng.randrange(len(header))
    name = header[c]
    kind = rng.choice(["drop-char", "upper", "spaces", "other", "duplicate", "remove", "empty"])
    if kind == "drop-char" and len(name) > 1:
        k = rng.randrange(len(name))
        header[c] = name[:k] + name[k + 1:]
    elif kind == "upper":
        header[c] = name.upper()
    elif kind == "spaces":
        header[c] = f"  {name} "
    elif kind == "other":
        header[c] = rng.choice(["colour", "qty", "x", "é", "order", "site", "day"])
    elif kind == "duplicate":
        header[c] = rng.choice(header)
    elif kind == "empty":
        header[c] = ""
    else:  # remove the column everywhere
        rows = [_cells(line) for line in lines]
        _write(file, [",".join(cells[:c] + cells[c + 1:]) for cells in rows])
        return f"{file.name}: column {name!r} removed"
    lines[0] = ",".join(header)
    _write(file, lines)
    return f"{file.name}: header {name!r} -> {header[c]!r} ({kind})"


def mutate_rows(rng: random.Random, folder: Path) -> str:
    file = rng.choice(sorted(folder.glob("*.csv")))
    lines = _lines(file)
    kind = rng.choice(["delete", "duplicate", "blank", "ragged", "only-header", "remove-file", "short"])
    if kind == "remove-file":
        file.unlink()
        return f"{file.name} removed"
    if len(lines) < 2:
        return f"{file.name}: no rows"
    r = rng.randrange(1, len(lines))
    if kind == "delete":
        del lines[r]
    elif kind == "duplicate":
        lines.append(lines[r])
    elif kind == "blank":
        lines.insert(r, rng.choice(["", ",,", "  "]))
    elif kind == "ragged":
        lines[r] += ",extra"
    elif kind == "short":
        lines[r] = lines[r].rsplit(",", 1)[0]
    else:
        lines = lines[:1]
    _write(file, lines)
    return f"{file.name}: {kind} row {r + 1}"


def mutate_bytes(rng: random.Random, folder: Path) -> str:
    files = [*sorted(folder.glob("*.csv")), folder / "instance.yaml"]
    file = rng.choice([f for f in files if f.exists()])
    data = bytearray(file.read_bytes())
    kind = rng.choice(["flip", "insert", "truncate", "bom", "latin1", "nul", "utf16", "empty"])
    if kind == "flip" and data:
        data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == "insert":
        k = rng.randrange(len(data) + 1)
        data[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    elif kind == "truncate" and data:
        del data[rng.randrange(len(data)):]
    elif kind == "bom":
        data[:0] = b"\xef\xbb\xbf"
    elif kind == "latin1":
        data += "é,ü\n".encode("latin-1")
    elif kind == "nul" and data:
        data[rng.randrange(len(data))] = 0
    elif kind == "utf16":
        data = bytearray(bytes(data).decode("utf-8", errors="replace").encode("utf-16"))
    elif kind == "empty":
        data = bytearray()
    file.write_bytes(bytes(data))
    return f"{file.name}: bytes {kind}"


def mutate_dialect(rng: random.Random, folder: Path) -> str:
    file = rng.choice(sorted(folder.glob("*.csv")))
    lines = _lines(file)
    sep = rng.choice([";", "\t"])
    out = []
    for line in lines:
        cells = _cells(line)
        if sep == ";":
            cells = [c.replace(".", ",") if rng.random() < 0.8 else c for c in cells]
        out.append(sep.join(cells))
    _write(file, out)
    return f"{file.name}: separator {sep!r}"


def mutate_yaml(rng: random.Random, folder: Path) -> str:
    file = folder / "instance.yaml"
    if not file.exists():
        return "no instance.yaml"
    try:
        data = yaml.safe_load(file.read_text())
    except (yaml.YAMLError, UnicodeDecodeError):
        return "instance.yaml unreadable"
    if not isinstance(data, dict):
        return "instance.yaml not a mapping"
    keys = list(data) + [f"{k}.{n}" for k, v in data.items() if isinstance(v, dict) for n in v] + ["colour", "horizn"]
    key = rng.choice(keys)
    kind = rng.choice(["set", "set", "delete", "duplicate", "garbage"])
    text = yaml.safe_dump(data, sort_keys=False)
    if kind == "garbage":
        file.write_text(rng.choice(["- 1\n- 2\n", "a: [1,\n", ":\n", "{{\n", "key: value: other\n", "~\n"]))
        return "instance.yaml garbage"
    if kind == "duplicate":
        file.write_text(text + text.splitlines()[0] + "\n")
        return "instance.yaml duplicate first line"
    parent, _, leaf = key.rpartition(".")
    target = data.setdefault(parent, {}) if parent else data
    if not isinstance(target, dict):
        return "nested value not a mapping"
    if kind == "delete":
        target.pop(leaf, None)
        file.write_text(yaml.safe_dump(data, sort_keys=False))
        return f"instance.yaml: {key} deleted"
    value = rng.choice(YAML_VALUES)
    target[leaf] = "__V__"
    file.write_text(yaml.safe_dump(data, sort_keys=False).replace("__V__", value))
    return f"instance.yaml: {key} = {value}"


CSV_MUTATIONS: list[Callable[[random.Random, Path], str]] = [
    mutate_cell, mutate_cell, mutate_cell, mutate_header, mutate_rows, mutate_bytes, mutate_dialect, mutate_yaml,
    mutate_yaml,
]


def check_load(family: str, path: Path, done: list[str]) -> None:
    load = importlib.import_module(f"plantwise.{family}.instance").load
    try:
        load(path)
    except InputErrors as exc:
        assert exc.errors, done
        for error in exc.errors:
            assert isinstance(error.file, str) and error.file, (done, error)
            assert error.row is None or (isinstance(error.row, int) and error.row >= 1), (done, error)
            assert isinstance(error.message, str) and error.message.strip(), (done, error)
        str(exc)  # renders
    except Exception as exc:  # pragma: no cover - the failure report
        raise AssertionError(f"{family}: {type(exc).__name__}: {exc} after {done}") from exc


@pytest.mark.parametrize("seed", CSV_SEEDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_mutated_folder_loads_or_raises_input_errors(bases: dict[str, Path], tmp_path: Path, family: str,
                                                     seed: int) -> None:
    rng = random.Random(f"{family}-{seed}")
    folder = tmp_path / "inst"
    shutil.copytree(bases[family], folder)
    done = [rng.choice(CSV_MUTATIONS)(rng, folder) for _ in range(rng.randint(1, 3))]
    check_load(family, folder, done)


# ---------------------------------------------------------------- workbook mutations
BOOK_VALUES: list[object] = [None, "", "x", -1, 0, 1, 2.5, 1e20, "1,5", "nan", "=1+1", "=A1", True, " 3 ", ".nan",
                             "[1, 2]", "{weeks: 0}", "1e999"]


@pytest.mark.parametrize("seed", BOOK_SEEDS)
@pytest.mark.parametrize("family", FAMILIES)
def test_mutated_workbook_loads_or_raises_input_errors(bases: dict[str, Path], tmp_path: Path, family: str,
                                                       seed: int) -> None:
    rng = random.Random(f"book-{family}-{seed}")
    path = tmp_path / "inst.xlsx"
    shutil.copy(bases[f"{family}.xlsx"], path)
    wb = openpyxl.load_workbook(path)
    done = []
    for _ in range(rng.randint(1, 4)):
        ws = wb[rng.choice(wb.sheetnames)]
        kind = rng.choice(["cell", "cell", "cell", "header", "blank-row", "rename", "delete", "row"])
        if kind == "cell" and ws.max_row > 1:
            r, c = rng.randint(2, ws.max_row), rng.randint(1, ws.max_column)
            value = rng.choice(BOOK_VALUES)
            ws.cell(r, c).value = value
            done.append(f"{ws.title}!R{r}C{c} = {value!r}")
        elif kind == "header":
            c = rng.randint(1, ws.max_column)
            value = rng.choice(["", "X", str(ws.cell(1, c).value).upper(), "colour", str(ws.cell(1, 1).value)])
            ws.cell(1, c).value = value
            done.append(f"{ws.title} header {c} = {value!r}")
        elif kind == "blank-row":
            r = rng.randint(2, ws.max_row + 1)
            ws.insert_rows(r)
            done.append(f"{ws.title}: blank row {r}")
        elif kind == "row" and ws.max_row > 1:
            ws.delete_rows(rng.randint(2, ws.max_row))
            done.append(f"{ws.title}: row deleted")
        elif kind == "rename":
            ws.title = rng.choice([ws.title.upper(), ws.title + "s", "Sheet9"])
            done.append(f"sheet renamed {ws.title}")
        elif kind == "delete" and len(wb.sheetnames) > 1:
            done.append(f"sheet {ws.title} deleted")
            wb.remove(ws)
    wb.save(path)
    check_load(family, path, done)
