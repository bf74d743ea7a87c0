"""Datasets: immutable, versioned instances of a family, stored as the family's CSV folder.

A dataset is made by uploading (a CSV zip or an ``.xlsx`` workbook), by a generator, or as a
**scenario** of another dataset: its cells edited or some of its tables replaced. Every way
goes through the family's loader first: an input with defects is refused with every defect
(file, row, column, message) and nothing is stored. What is stored is the instance as the
family writes it (``inst.save``), so every version has one canonical form and a scenario's
diff against its base compares like with like. Files are written into a temporary folder and
renamed into place, so a dataset folder is whole or absent.

A dataset's ``version`` counts the datasets of the same family and name: uploading
``plant-west`` twice gives versions 1 and 2; nothing is ever overwritten.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import stat
import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantwise.core.errors import InputError, InputErrors
from plantwise.core.family import Family, get_family
from plantwise.workspace.models import Dataset
from plantwise.workspace.settings import WorkspaceSettings

SETTINGS_FILE = "instance.yaml"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class UploadRejected(ValueError):
    """An upload refused before its content is read (size, zip safety, kind of file)."""


class InvalidInstance(ValueError):
    """An instance with defects; ``errors`` lists them as dicts (file, row, column, message)."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(f"{len(errors)} defect(s) in the input")
        self.errors = errors


def new_id() -> str:
    """An opaque id (128 random bits, hex)."""
    return uuid.uuid4().hex


def dataset_dir(settings: WorkspaceSettings, dataset_id: str) -> Path:
    return settings.data_dir / "datasets" / dataset_id


def instance_dir(settings: WorkspaceSettings, dataset_id: str) -> Path:
    return dataset_dir(settings, dataset_id) / "instance"


def error_dicts(exc: InputErrors | InputError) -> list[dict[str, Any]]:
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    return [{"file": e.file, "row": e.row, "column": e.column, "message": e.message} for e in errors]


# ---------------------------------------------------------------------- zip safety


def safe_extract(data: bytes, dest: Path, settings: WorkspaceSettings) -> None:
    """Extract a zip of instance files into ``dest`` after checking every entry: no absolute
    path, no ``..``, no symbolic link, no more than ``max_zip_entries`` files or
    ``max_unzipped_bytes`` bytes uncompressed, files only at the top level or in one common
    folder (which is dropped, so a zipped folder works as well as zipped files)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRejected("not a zip archive (upload a zip of the instance's CSV files or an .xlsx workbook)"
                             ) from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if not infos:
            raise UploadRejected("the zip archive holds no file")
        if len(archive.infolist()) > settings.max_zip_entries:
            raise UploadRejected(f"the zip archive has {len(archive.infolist())} entries; at most "
                                 f"{settings.max_zip_entries} are accepted")
        if sum(i.file_size for i in infos) > settings.max_unzipped_bytes:
            raise UploadRejected(f"the zip archive unpacks to more than {settings.max_unzipped_bytes:,} bytes")
        names: list[PurePosixPath] = []
        for info in archive.infolist():
            raw = info.filename.replace("\\", "/")
            path = PurePosixPath(raw)
            if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or ".." in path.parts:
                raise UploadRejected(f"zip entry {info.filename!r} points outside the archive")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UploadRejected(f"zip entry {info.filename!r} is a symbolic link")
            if not info.is_dir() and not path.name.startswith(".") and "__MACOSX" not in path.parts:
                names.append(path)
        tops = {p.parts[0] for p in names if len(p.parts) > 1}
        if any(len(p.parts) > 2 for p in names) or (tops and (len(tops) > 1 or any(len(p.parts) == 1 for p in names))):
            raise UploadRejected("the zip archive must hold the instance files at its top level or in one folder")
        dest.mkdir(parents=True, exist_ok=True)
        seen: set[str] = set()
        for info in infos:
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path not in names:
                continue
            target = path.name
            if target.lower() in seen:
                raise UploadRejected(f"the zip archive holds {target!r} twice")
            seen.add(target.lower())
            with archive.open(info) as src, open(dest / target, "wb") as out:
                shutil.copyfileobj(src, out)


# ---------------------------------------------------------------------- storing


def _load(fam: Family, path: Path) -> Any:
    try:
        return fam.load(path)
    except InputErrors as exc:
        raise InvalidInstance(error_dicts(exc)) from None
    except InputError as exc:
        raise InvalidInstance(error_dicts(exc)) from None


def table_sizes(folder: Path) -> dict[str, int]:
    return {p.stem: int(sum(1 for _ in p.open(encoding="utf-8")) - 1) for p in sorted(folder.glob("*.csv"))}


def _next_version(session: Session, family: str, name: str) -> int:
    count = session.scalar(select(func.max(Dataset.version)).where(Dataset.family == family, Dataset.name == name))
    return int(count or 0) + 1


def store(session: Session, settings: WorkspaceSettings, fam: Family, inst: Any, name: str, source: str, *,
          description: str = "", options: Mapping[str, Any] | None = None, base: Dataset | None = None,
          original: tuple[str, bytes] | None = None) -> Dataset:
    """Write ``inst`` as a new dataset (files first, atomically, then the row) and commit."""
    did = new_id()
    final = dataset_dir(settings, did)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{did}."))
    try:
        inst.save(tmp / "instance")
        if original is not None:
            (tmp / ("upload" + Path(original[0]).suffix.lower())).write_bytes(original[1])
        files = sorted(p.name for p in (tmp / "instance").iterdir())
        changes = diff_datasets(fam, instance_dir(settings, base.id), tmp / "instance") if base is not None else {}
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    row = Dataset(id=did, family=fam.name, name=name, version=_next_version(session, fam.name, name),
                  base_id=base.id if base is not None else None, source=source, checksum=fam.checksum(inst),
                  description=description, files=files, options=dict(options or {}), changes=changes,
                  size=table_sizes(final / "instance"))
    session.add(row)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        shutil.rmtree(final, ignore_errors=True)
        raise
    return row


def upload(session: Session, settings: WorkspaceSettings, family: str, name: str, filename: str, data: bytes,
           description: str = "") -> Dataset:
    """A dataset from an uploaded CSV zip or workbook; :class:`InvalidInstance` lists every defect."""
    fam = get_family(family)
    if len(data) > settings.max_upload_bytes:
        raise UploadRejected(f"the upload has {len(data):,} bytes; at most {settings.max_upload_bytes:,} are accepted")
    suffix = Path(filename or "").suffix.lower()
    with tempfile.TemporaryDirectory(prefix="plantwise-upload-") as tmp:
        if suffix in WORKBOOK_SUFFIXES:
            path = Path(tmp) / f"instance{suffix}"
            path.write_bytes(data)
        elif suffix == ".zip" or (data[:4] == b"PK\x03\x04" and suffix not in WORKBOOK_SUFFIXES):
            path = Path(tmp) / "instance"
            safe_extract(data, path, settings)
        else:
            raise UploadRejected(f"{filename or 'the upload'}: upload a .zip of the instance's CSV files or an "
                                 ".xlsx workbook")
        inst = _load(fam, path)
    return store(session, settings, fam, inst, name or Path(filename).stem or fam.name, "upload",
                 description=description, original=(filename or "upload.zip", data))


def generator_options(fam: Family) -> list[dict[str, Any]]:
    """The generator's options (name, default, help, unit, choices, minimum, type)."""
    out = []
    for f in dataclasses.fields(fam.generate_params):
        meta = f.metadata
        out.append({"name": f.name, "default": f.default, "help": meta.get("help", ""), "unit": meta.get("unit", ""),
                    "choices": list(meta["choices"]) if meta.get("choices") else None,
                    "minimum": meta.get("minimum"), "type": _kind(f.type)})
    return out


def _kind(annotation: object) -> str:
    text = str(annotation)
    for kind in ("bool", "int", "float"):
        if text.startswith(kind):
            return kind
    return "str"


def generate(session: Session, settings: WorkspaceSettings, family: str, name: str, options: Mapping[str, Any],
             source: str = "generate") -> Dataset:
    """A dataset from the family's generator; unknown or invalid options are a ``ValueError``."""
    fam = get_family(family)
    fields = {f.name: f for f in dataclasses.fields(fam.generate_params)}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise ValueError(f"unknown generator option(s) {', '.join(unknown)}; {fam.name} takes {', '.join(fields)}")
    values: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or value == "":
            continue
        kind = _kind(fields[key].type)
        try:
            values[key] = cast(value, kind)
        except (TypeError, ValueError):
            raise ValueError(f"generator option {key}: {value!r} is not a valid {kind}") from None
        minimum = fields[key].metadata.get("minimum")
        if minimum is not None and values[key] < minimum:
            raise ValueError(f"generator option {key}: {values[key]} is below its minimum {minimum}")
        choices = fields[key].metadata.get("choices")
        if choices and values[key] not in choices:
            raise ValueError(f"generator option {key}: {values[key]!r} is not one of {', '.join(choices)}")
    params = fam.generate_params(**values)
    inst = fam.generate(params)
    return store(session, settings, fam, inst, name or f"{fam.name}-generated", source,
                 options=dataclasses.asdict(params))


def cast(value: object, kind: str) -> Any:
    """A form or JSON value as ``kind`` (``int``, ``float``, ``bool``, ``str``); ``ValueError`` if it is not one."""
    return {"int": int, "float": float, "bool": _as_bool, "str": str}[kind](value)


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


# ---------------------------------------------------------------------- scenarios


def derive(session: Session, settings: WorkspaceSettings, base: Dataset, name: str,
           edits: Sequence[Mapping[str, Any]] = (), files: Mapping[str, bytes] | None = None,
           description: str = "") -> Dataset:
    """A scenario of ``base``: ``edits`` are cells ``{table, row, column, value}`` (``row``:
    0-based data row of the table as stored), ``files`` replace whole tables (``orders.csv``)
    or the settings (``instance.yaml``). The result is validated like an upload."""
    fam = get_family(base.family)
    problems: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="plantwise-scenario-") as tmp:
        work = Path(tmp) / "instance"
        shutil.copytree(instance_dir(settings, base.id), work)
        for filename, data in (files or {}).items():
            target = Path(filename).name
            if target != filename or target not in base.files:
                problems.append({"file": filename, "row": None, "column": None,
                                 "message": f"not a file of the base dataset ({', '.join(base.files)})"})
                continue
            (work / target).write_bytes(data)
        frames: dict[str, pd.DataFrame] = {}
        for k, edit in enumerate(edits):
            table, column = str(edit.get("table", "")), str(edit.get("column", ""))
            where = {"file": f"{table}.csv", "row": None, "column": column or None}
            if f"{table}.csv" not in base.files:
                problems.append(where | {"message": f"edit {k + 1}: no table {table!r}"})
                continue
            if table not in frames:
                frames[table] = pd.read_csv(work / f"{table}.csv", dtype=str, keep_default_na=False)
            frame = frames[table]
            try:
                row = int(edit.get("row"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(where | {"message": f"edit {k + 1}: row must be a number"})
                continue
            if not 0 <= row < len(frame):
                problems.append(where | {"message": f"edit {k + 1}: row {row} outside the table's 0..{len(frame) - 1}"})
                continue
            if column not in frame.columns:
                problems.append(where | {"message": f"edit {k + 1}: no column {column!r}"})
                continue
            frame.iloc[row, frame.columns.get_loc(column)] = "" if edit.get("value") is None else str(edit["value"])
        if problems:
            raise InvalidInstance(problems)
        for table, frame in frames.items():
            frame.to_csv(work / f"{table}.csv", index=False)
        inst = _load(fam, work)
    if fam.checksum(inst) == base.checksum:
        raise InvalidInstance([{"file": None, "row": None, "column": None,
                                "message": "the scenario is identical to its base: change at least one value"}])
    return store(session, settings, fam, inst, name or f"{base.name} scenario", "scenario", base=base,
                 description=description)


def _keys(fam: Family) -> dict[str, tuple[str, ...]]:
    return {spec.name: tuple(spec.key) for spec in fam.input_specs}


def diff_datasets(fam: Family, base: Path, other: Path) -> dict[str, Any]:
    """What differs between two instance folders: per table the changed cells (by the table's
    key, or its row number when it has none), the added and the removed rows; and the
    settings that differ. Values are compared as the files spell them."""
    out: dict[str, Any] = {"tables": {}, "settings": []}
    keys = _keys(fam)
    names = sorted({p.stem for p in base.glob("*.csv")} | {p.stem for p in other.glob("*.csv")})
    for name in names:
        a = _frame(base / f"{name}.csv")
        b = _frame(other / f"{name}.csv")
        key = [k for k in keys.get(name, ()) if k in a.columns and k in b.columns]
        if not key or a.duplicated(key).any() or b.duplicated(key).any():
            a = a.assign(row=range(len(a)))
            b = b.assign(row=range(len(b)))
            key = ["row"]
        merged = a.merge(b, on=key, how="outer", suffixes=("\0a", "\0b"), indicator=True)
        changed = []
        for col in [c for c in a.columns if c not in key and c in b.columns]:
            both = merged[merged["_merge"] == "both"]
            diff = both[both[col + "\0a"] != both[col + "\0b"]]
            changed += [{"key": {k: r[k] for k in key}, "column": col, "before": r[col + "\0a"],
                         "after": r[col + "\0b"]} for _, r in diff.iterrows()]
        added = [{k: r[k] for k in key} for _, r in merged[merged["_merge"] == "right_only"].iterrows()]
        removed = [{k: r[k] for k in key} for _, r in merged[merged["_merge"] == "left_only"].iterrows()]
        if changed or added or removed:
            out["tables"][name] = {"key": key, "changed": changed[:1000], "changed_count": len(changed),
                                   "added": added[:1000], "added_count": len(added),
                                   "removed": removed[:1000], "removed_count": len(removed)}
    sa, sb = _settings(base), _settings(other)
    for k in sorted(set(sa) | set(sb)):
        if sa.get(k) != sb.get(k):
            out["settings"].append({"key": k, "before": sa.get(k), "after": sb.get(k)})
    return out


def _frame(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _settings(folder: Path) -> dict[str, Any]:
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


# ---------------------------------------------------------------------- reading back


def load_instance(settings: WorkspaceSettings, dataset: Dataset) -> Any:
    return get_family(dataset.family).load(instance_dir(settings, dataset.id))


def read_table(settings: WorkspaceSettings, dataset: Dataset, table: str) -> pd.DataFrame:
    if f"{table}.csv" not in dataset.files:
        raise KeyError(table)
    return pd.read_csv(instance_dir(settings, dataset.id) / f"{table}.csv", keep_default_na=False)


def zip_folder(folder: Path, only: Sequence[str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and (only is None or path.name in only):
                archive.write(path, path.name)
    return buf.getvalue()


def workbook_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """An ``.xlsx`` with one sheet per table."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return buf.getvalue()


def instance_workbook(settings: WorkspaceSettings, dataset: Dataset) -> bytes:
    """The dataset as the family's own workbook format (readable by upload and the CLI)."""
    with tempfile.TemporaryDirectory(prefix="plantwise-xlsx-") as tmp:
        path = Path(tmp) / "instance.xlsx"
        load_instance(settings, dataset).save(path)
        return path.read_bytes()
