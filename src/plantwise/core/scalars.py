"""Scalar settings of an instance (``instance.yaml`` or a workbook's ``instance`` sheet), checked
against a declared :class:`ScalarSpec` per key.

Every defect becomes an :class:`InputError` naming the source (``instance.yaml`` or
``book.xlsx[instance]``) and the key (dotted for nested keys, ``calendar.weeks``); all of them
are collected. Numbers must be finite and of magnitude at most :data:`MAX_MAGNITUDE`: ``.nan``,
``.inf`` and ``1e999`` are input errors, never "unlimited" or silently propagated.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from plantwise.core.errors import InputError

MAX_MAGNITUDE = 1e15  # larger (or infinite) numbers are input errors, never wrapped or clipped
ScalarKind = Literal["int", "float", "str", "bool", "choice", "mapping"]
KIND_NAMES = {"int": "integer", "float": "number", "str": "text", "bool": "true/false", "choice": "choice",
              "mapping": "mapping"}


@dataclass(frozen=True)
class ScalarSpec:
    """One setting: its key, kind and admissible values.

    ``minimum``/``maximum`` bound numbers (inclusive, unless ``exclusive_minimum``);
    ``choices`` lists the values of a ``choice``; a ``mapping`` holds the nested settings
    ``fields`` (``item`` names one of them in messages, e.g. "unknown penalty"). A setting
    that is not ``required`` takes ``default`` when absent or null.
    """

    name: str
    kind: ScalarKind
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    default: object = None
    unit: str = ""
    doc: str = ""
    choices: tuple[str, ...] = ()
    exclusive_minimum: bool = False
    fields: tuple[ScalarSpec, ...] = ()
    item: str = "key"

    def expectation(self) -> str:
        """What a valid value is, in words ("a positive integer", "a finite number >= 0")."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "text"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "mapping":
            return "a mapping of " + ", ".join(f.name for f in self.fields)
        lo, hi = self.minimum, self.maximum
        if self.kind == "int":
            if lo is not None and self.exclusive_minimum:
                lo = math.floor(lo) + 1
            if lo is not None and hi is not None:
                return f"an integer from {lo:g} to {hi:g}"
            if lo == 1:
                return "a positive integer"
            if lo is not None:
                return f"an integer >= {lo:g}"
            return f"an integer <= {hi:g}" if hi is not None else "an integer"
        low = None if lo is None else (f"> {lo:g}" if self.exclusive_minimum else f">= {lo:g}")
        if low and hi is not None:
            return f"a finite number {low} and <= {hi:g}"
        if low:
            return f"a finite number {low}"
        return f"a finite number <= {hi:g}" if hi is not None else "a finite number"


# ---------------------------------------------------------------------- YAML
_FLOAT_WITH_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


class ScalarLoader(yaml.SafeLoader):
    """A safe YAML loader that reads ``1e3``/``1e999`` as numbers (YAML 1.2; PyYAML's YAML 1.1
    reads them as text), so that the check sees and rejects a non-finite one."""


ScalarLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_WITH_EXPONENT, list("-+0123456789."))


def _duplicates(node: yaml.Node | None, prefix: str, found: list[tuple[str, int, int]],
                seen_nodes: set[int] | None = None) -> None:
    """Every key given twice in one mapping of ``node``: (dotted key, first line, repeated line).
    Each node is visited once (aliases may share or even nest nodes)."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value.strip())
                line = key_node.start_mark.line + 1
                if key in seen:
                    found.append((prefix + key[1], seen[key], line))
                else:
                    seen[key] = line
                _duplicates(value_node, f"{prefix}{key[1]}.", found, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicates(item, prefix, found, seen_nodes)


def parse_yaml(text: str, source: str) -> tuple[object, list[InputError]]:
    """Parse ``text`` (one document). A duplicate key is an error naming both lines (the value
    is still returned, so the other keys can be checked); invalid YAML returns None."""
    loader = ScalarLoader(text)
    try:
        node = loader.get_single_node()
        found: list[tuple[str, int, int]] = []
        _duplicates(node, "", found)
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        return None, [InputError(source, None, None, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    errors = [InputError(source, None, key, f"duplicate key '{key}' (" + (f"lines {first} and {line}" if first != line
                                                                         else f"twice on line {line}")
                         + "): give each key once") for key, first, line in sorted(found, key=lambda d: d[2])]
    return data, errors


def decode_text(data: bytes, source: str, hint: str = "save the file as UTF-8"
                ) -> tuple[str | None, InputError | None]:
    """UTF-8 text of ``data`` (a UTF-8 BOM stripped); an undecodable file is one error naming
    the line of the first bad byte, ending with ``hint``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, InputError(source, None, None, f"the file is UTF-16 text: {hint}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, InputError(source, line, None, f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}): "
                                                    f"{hint}")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, InputError(source, line, None, f"contains a NUL byte on line {line}: not a text file")
    return text, None


def format_value(value: object) -> str:
    """A setting's value as YAML text that :func:`parse_yaml` reads back as the same value."""
    if isinstance(value, str):
        try:
            same = yaml.load(value, Loader=ScalarLoader) == value  # a SafeLoader subclass
        except yaml.YAMLError:
            same = False
        if same and value.strip() == value and value:
            return value
    text = yaml.dump(value, Dumper=yaml.SafeDumper, default_flow_style=True, width=10**9).strip()
    return text.removesuffix("...").strip()


# ---------------------------------------------------------------------- checking
def did_you_mean(word: str, candidates: Sequence[str]) -> str | None:
    """The closest of ``candidates`` to ``word`` (case-insensitive), if any is close."""
    folded = {c.casefold(): c for c in candidates}
    hit = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[hit[0]] if hit else None


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict, _REPR.maxlevel = 60, 60, 4, 4, 2


def _show(value: object) -> str:
    """A short ``repr`` of ``value`` for a message (bounded, even for huge or nested values)."""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:76] + " ..."


def _int_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(value)


def _check_value(spec: ScalarSpec, value: object, key: str, source: str,
                 errors: list[InputError]) -> object:
    """The typed ``value`` of ``spec``, or ``spec.default`` after recording an error."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # a numpy scalar from the Python API

    def bad(message: str | None = None) -> object:
        errors.append(InputError(source, None, key, message or f"must be {spec.expectation()}, got {_show(value)}"))
        return spec.default

    if spec.kind == "mapping":
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            bad()
            return _check_mapping({}, spec.fields, source, [], prefix=f"{key}.")  # the defaults
        return _check_mapping(value, spec.fields, source, errors, prefix=f"{key}.", item=spec.item)
    if spec.kind == "bool":
        return value if isinstance(value, bool) else bad()
    if spec.kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return _int_text(value)
        return bad()
    if spec.kind == "choice":
        if isinstance(value, str) and value in spec.choices:
            return value
        hint = did_you_mean(str(value), spec.choices) if isinstance(value, str) else None
        return bad(f"must be {spec.expectation()}, got {_show(value)}" + (f"; did you mean '{hint}'?" if hint else ""))
    # numbers
    if isinstance(value, bool) or not isinstance(value, int | float):
        return bad()
    if not math.isfinite(value):
        return bad()
    if abs(value) > MAX_MAGNITUDE:
        return bad(f"must be {spec.expectation()}, got {_show(value)} (at most {MAX_MAGNITUDE:.0e} in magnitude)")
    if spec.kind == "int":
        if not float(value).is_integer():
            return bad()
        value = int(value)
    else:
        value = float(value)
    lo, hi = spec.minimum, spec.maximum
    if lo is not None and (value < lo or (spec.exclusive_minimum and value == lo)):
        return bad()
    if hi is not None and value > hi:
        return bad()
    return value


def _check_mapping(data: Mapping[Any, Any], specs: Sequence[ScalarSpec], source: str, errors: list[InputError],
                   prefix: str = "", item: str = "key") -> dict[str, object]:
    by_name = {s.name: s for s in specs}
    keys = {str(k).strip(): v for k, v in data.items()}
    unknown = [k for k in keys if k not in by_name]
    absent = [s.name for s in specs if keys.get(s.name) is None]
    hinted: dict[str, str] = {}  # missing spec key -> the unknown key that resembles it
    for key in unknown:
        hint = did_you_mean(key, [a for a in absent if a not in hinted])
        where = f" in '{prefix[:-1]}'" if prefix else ""
        if hint is not None:
            hinted[hint] = key
            spec = by_name[hint]
            message = f"unknown {item} '{key}'{where}; did you mean '{hint}'?"
            if spec.required:
                message += f" (required {item} '{hint}' is missing: {spec.expectation()})"
        else:
            message = f"unknown {item} '{key}'{where} (expected one of {', '.join(by_name)})"
        errors.append(InputError(source, None, prefix + key, message))
    out: dict[str, object] = {}
    for spec in specs:
        value = keys.get(spec.name)
        if value is None and spec.kind != "mapping":
            if spec.required and spec.name not in hinted:
                errors.append(InputError(source, None, prefix + spec.name, f"missing: must be {spec.expectation()}"))
            out[spec.name] = spec.default
            continue
        out[spec.name] = _check_value(spec, value, prefix + spec.name, source, errors)
    return out


def check_scalars(data: Mapping[str, object] | None, specs: Sequence[ScalarSpec],
                  source: str) -> tuple[dict[str, object], list[InputError]]:
    """Check ``data`` against ``specs``: every key of ``specs`` in the result, typed (``int``,
    ``float``, ``str``, ``bool``, nested ``dict``), absent optional keys at their default.

    ``data`` None means an empty file: an error if a key is required, else all defaults.
    A key in error takes its default in the result; the errors say which keys failed.
    """
    errors: list[InputError] = []
    if data is None:
        required = [s for s in specs if s.required]
        if required:
            keys = "; ".join(f"{s.name} ({s.expectation()})" for s in required)
            errors.append(InputError(source, None, None, f"empty: it must set {keys}"))
            return {s.name: s.default if s.kind != "mapping" else _check_mapping({}, s.fields, source, [])
                    for s in specs}, errors
        data = {}
    if not isinstance(data, Mapping):
        return check_scalars({}, specs, source)[0], [InputError(source, None, None,
                                                                "expected a mapping of key: value")]
    return _check_mapping(data, specs, source, errors), errors


def flatten_specs(specs: Sequence[ScalarSpec], prefix: str = "") -> list[tuple[str, ScalarSpec]]:
    """Every setting with its dotted key, nested settings after their mapping."""
    out: list[tuple[str, ScalarSpec]] = []
    for spec in specs:
        out.append((prefix + spec.name, spec))
        if spec.kind == "mapping":
            out.extend(flatten_specs(spec.fields, prefix=f"{prefix}{spec.name}."))
    return out


def failed_keys(errors: Sequence[InputError]) -> set[str]:
    """Keys (and their parent mappings) named by ``errors``; ``""`` for an error of the whole file."""
    keys: set[str] = set()
    for error in errors:
        if error.column is None:
            keys.add("")
            continue
        parts = error.column.split(".")
        keys.update(".".join(parts[: k + 1]) for k in range(len(parts)))
    return keys
