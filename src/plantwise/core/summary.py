"""One summary schema for every family: building, reading and validating ``summary.json``.

The schema ships with the package (``plantwise/schemas/summary.schema.json``). Common keys sit
at the top level — ``family, method, status, objective, sense, bound, bound_source, gap,
verified, violations, input_checksum, instance, plantwise_version, solver, solver_version,
options, timings, started_at, cost_breakdown`` — the family's figures of the plan under
``kpis`` and the method's internals under ``details``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from plantwise.core.result import json_default

SCHEMA_VERSION = 1


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of ``summary.json``."""
    text = resources.files("plantwise").joinpath("schemas/summary.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_errors(summary: object) -> list[str]:
    """Every way ``summary`` breaks the schema (empty when it validates)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(summary), key=lambda e: list(map(str, e.absolute_path)))]


def json_safe(value: Any) -> Any:
    """``value`` with numpy types made plain and every non-finite float replaced by ``None``,
    so that ``json.dumps(..., allow_nan=False)`` always succeeds with valid JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is None or isinstance(value, str):
        return value
    return json_safe(json_default(value))


def dumps(summary: dict[str, Any]) -> str:
    """``summary`` as strict JSON text (no NaN or Infinity tokens)."""
    return json.dumps(json_safe(summary), indent=2, allow_nan=False)


def lookup(summary: object, key: str, default: Any = None) -> Any:
    """``key`` from a summary of any vintage: the top level, then ``kpis``, then ``details``.

    A value of ``None`` counts as missing, so a top-level ``None`` does not hide a figure kept
    under ``kpis``."""
    if not isinstance(summary, dict):
        return default
    if summary.get(key) is not None:
        return summary[key]
    for part in ("kpis", "details"):
        inner = summary.get(part)
        if isinstance(inner, dict) and inner.get(key) is not None:
            return inner[key]
    return default


def total_seconds(summary: object) -> float | None:
    """The whole solve's seconds: ``timings.total`` (this schema) or an older summary's ``solve_seconds``."""
    if not isinstance(summary, dict):
        return None
    timings = summary.get("timings")
    value = timings.get("total") if isinstance(timings, dict) and "total" in timings else lookup(summary,
                                                                                                 "solve_seconds")
    return float(value) if isinstance(value, (int, float)) else None
