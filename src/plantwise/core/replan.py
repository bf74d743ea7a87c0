"""Re-planning after disruptions: the changes file, and the rules every family's re-plan keeps.

``changes.yaml``, one format for all families::

    now: 12              # time already past: a decision that starts before `now` is history
    freeze_until: 18     # decisions starting in [now, freeze_until) stay unless infeasible
    change_penalty: 1000 # cost per changed decision beyond the fence (0: the cold re-optimum)
    events:              # family-specific kinds (Family.replan_events), each field checked
      - {kind: cancel_order, order: O0017}

A family declares its event kinds (:class:`EventKind`: the fields, their kinds, which are
required) and a ``replan(instance, plan, changes, options) -> Replanned`` function. The
rules, for every family, in the family's time unit (periods, days or hours):

* **history** — a decision whose time is before ``now`` is kept as it is (a hard rule);
* **fence** — a decision whose time (in the old plan) is in ``[now, freeze_until)`` is kept
  unless keeping it is infeasible after the changes; each one that had to change is named
  with the reason (``Replanned.fence_changes``);
* **beyond the fence** — each changed decision costs ``change_penalty`` in the re-plan's
  objective (the plan's own cost is reported without it).

A changed decision is what :mod:`plantwise.core.decisions` says differs between the old and
the new plan (the family's ``decisions``); :func:`history_changes` finds those before
``now`` (there must be none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from plantwise.core.decisions import DecisionSpec, diff_table
from plantwise.core.errors import InputError, InputErrors

CHANGES_FILE = "changes.yaml"


@dataclass(frozen=True)
class EventField:
    """A field of an event: ``kind`` is ``str``, ``int``, ``float``, ``bool``, ``mapping`` or ``any``;
    ``minimum`` applies to numbers; ``time`` marks a time of the horizon (checked against it)."""

    name: str
    kind: str = "str"
    required: bool = True
    help: str = ""
    minimum: float | None = None
    time: bool = False


@dataclass(frozen=True)
class EventKind:
    name: str
    fields: tuple[EventField, ...]
    doc: str = ""


@dataclass
class Changes:
    """A checked changes file."""

    now: int
    freeze_until: int
    change_penalty: float
    events: list[dict[str, Any]] = field(default_factory=list)
    source: str = CHANGES_FILE

    def as_dict(self) -> dict[str, Any]:
        return {"now": self.now, "freeze_until": self.freeze_until, "change_penalty": self.change_penalty,
                "events": self.events}


@dataclass
class Replanned:
    """What a family's re-plan returns: the changed instance, the method output of the
    re-plan (objective = the plan's own cost, without change penalties) and the frozen
    decisions that had to change (``{"decision": ..., "reason": ...}``)."""

    instance: Any
    output: Any
    fence_changes: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_KINDS = {"str": str, "int": int, "float": float, "bool": bool}


def _error(source: str, where: str, field_name: str | None, message: str) -> InputError:
    return InputError(source, None, field_name, f"{where}: {message}")


def check_changes(data: object, kinds: Mapping[str, EventKind], horizon: int, source: str = CHANGES_FILE,
                  time_word: str = "period") -> Changes:
    """``data`` (the parsed YAML) as :class:`Changes`; every defect is collected and raised as
    one :class:`InputErrors`, each naming the event (its position and kind) and the field."""
    errors: list[InputError] = []
    if not isinstance(data, Mapping):
        raise InputErrors([InputError(source, None, None, "must be a mapping with now, freeze_until, "
                                                          "change_penalty and events")])
    unknown = sorted(set(map(str, data)) - {"now", "freeze_until", "change_penalty", "events"})
    for key in unknown:
        errors.append(_error(source, "top level", key, "unknown key; the keys are now, freeze_until, "
                                                       "change_penalty, events"))

    def number(key: str, default: object, kind: type) -> Any:
        value = data.get(key, default)
        if value is None or isinstance(value, bool):
            errors.append(_error(source, "top level", key, f"must be a number, got {value!r}"))
            return None
        try:
            number_value = kind(value)
        except (TypeError, ValueError):
            errors.append(_error(source, "top level", key, f"must be a number, got {value!r}"))
            return None
        if kind is int and number_value != value:
            errors.append(_error(source, "top level", key, f"must be a whole number of {time_word}s, got {value!r}"))
        return number_value

    if "now" not in data:
        errors.append(_error(source, "top level", "now", f"missing: the first {time_word} not yet past"))
    now = number("now", 1, int)
    freeze = number("freeze_until", now, int)
    penalty = number("change_penalty", 0.0, float)
    if now is not None and not 1 <= now <= horizon:
        errors.append(_error(source, "top level", "now", f"{now} is outside the horizon 1..{horizon}"))
    if freeze is not None and now is not None and not now <= freeze <= horizon + 1:
        errors.append(_error(source, "top level", "freeze_until",
                             f"{freeze} must be between now ({now}) and the horizon's end + 1 ({horizon + 1})"))
    if penalty is not None and not (penalty >= 0 and penalty == penalty and penalty != float("inf")):
        errors.append(_error(source, "top level", "change_penalty", f"must be a number >= 0, got {penalty!r}"))
    raw_events = data.get("events") or []
    if not isinstance(raw_events, list):
        errors.append(_error(source, "top level", "events", "must be a list of events"))
        raw_events = []
    events: list[dict[str, Any]] = []
    for k, raw in enumerate(raw_events, start=1):
        where = f"event {k}"
        if not isinstance(raw, Mapping):
            errors.append(_error(source, where, None, "must be a mapping with a kind"))
            continue
        kind_name = str(raw.get("kind", ""))
        where = f"event {k} ({kind_name or 'no kind'})"
        if kind_name not in kinds:
            errors.append(_error(source, where, "kind", f"unknown kind {kind_name!r}; this family's kinds are "
                                                        f"{', '.join(sorted(kinds))}"))
            continue
        spec = kinds[kind_name]
        names = {f.name for f in spec.fields}
        event: dict[str, Any] = {"kind": kind_name}
        for key in sorted(set(map(str, raw)) - names - {"kind"}):
            errors.append(_error(source, where, key, f"unknown field; {kind_name} takes {', '.join(sorted(names))}"))
        for f in spec.fields:
            if f.name not in raw or raw[f.name] is None:
                if f.required:
                    errors.append(_error(source, where, f.name, "missing" + (f" ({f.help})" if f.help else "")))
                continue
            value = raw[f.name]
            if f.kind in _KINDS:
                if isinstance(value, bool) and f.kind != "bool":
                    errors.append(_error(source, where, f.name, f"must be a {f.kind}, got {value!r}"))
                    continue
                try:
                    converted = _KINDS[f.kind](value)
                except (TypeError, ValueError):
                    errors.append(_error(source, where, f.name, f"must be a {f.kind}, got {value!r}"))
                    continue
                if f.kind == "int" and converted != value:
                    errors.append(_error(source, where, f.name, f"must be a whole number, got {value!r}"))
                    continue
                value = converted
                if f.minimum is not None and value < f.minimum:
                    errors.append(_error(source, where, f.name, f"must be at least {f.minimum:g}, got {value!r}"))
                    continue
                if f.time and not 1 <= value <= horizon:
                    errors.append(_error(source, where, f.name, f"{time_word} {value} is outside the horizon "
                                                                f"1..{horizon}"))
                    continue
            elif f.kind == "mapping" and not isinstance(value, Mapping):
                errors.append(_error(source, where, f.name, "must be a mapping"))
                continue
            event[f.name] = value
        events.append(event)
    if errors:
        raise InputErrors(errors)
    return Changes(int(now), int(freeze), float(penalty), events, source)


def load_changes(path: str | Path, kinds: Mapping[str, EventKind], horizon: int, time_word: str = "period"
                 ) -> Changes:
    """Read and check ``changes.yaml`` (see :func:`check_changes`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputErrors([InputError(path.name, None, None, f"cannot read: {exc.strerror or exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputErrors([InputError(path.name, None if mark is None else mark.line + 1, None,
                                      f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return check_changes(data, kinds, horizon, path.name, time_word)


def history_changes(specs: Sequence[DecisionSpec], old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame],
                    now: int) -> pd.DataFrame:
    """The decisions with a time before ``now`` (in either plan) that differ: must be empty."""
    rows = []
    for spec in specs:
        if spec.time is None:
            continue
        diff = diff_table(spec, old.get(spec.table), new.get(spec.table))
        times = [pd.to_numeric(diff[f"{spec.time}{s}"], errors="coerce") for s in ("_a", "_b")] \
            if f"{spec.time}_a" in diff.columns else [pd.to_numeric(diff[spec.time], errors="coerce")]
        past = pd.concat(times, axis=1).min(axis=1) / spec.time_scale < now
        if past.any():
            rows.append(diff[past.to_numpy()].assign(table=spec.table))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["table"])


def changes_table(specs: Sequence[DecisionSpec], old: Mapping[str, pd.DataFrame],
                  new: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every changed decision, one row each: ``kind`` (the decision table), ``key`` (its key
    columns as ``column=value``), ``before``, ``after`` (its values as ``column=value``) and
    ``change`` (changed, only in A = removed, only in B = added)."""
    rows: list[dict[str, str]] = []
    for spec in specs:
        diff = diff_table(spec, old.get(spec.table), new.get(spec.table))
        for record in diff.to_dict("records"):
            rows.append({
                "kind": spec.table,
                "key": "; ".join(f"{k}={record[k]}" for k in spec.keys),
                "before": "; ".join(f"{v}={_text(record[f'{v}_a'])}" for v in spec.values),
                "after": "; ".join(f"{v}={_text(record[f'{v}_b'])}" for v in spec.values),
                "change": {"only in A": "removed", "only in B": "added"}.get(record["change"], "changed"),
            })
    return pd.DataFrame(rows, columns=["kind", "key", "before", "after", "change"])


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
