"""The family contract: what every problem family declares so that one pipeline, one CLI factory
and one workspace can drive it.

A :class:`Family` names its source document, the sense of its objective, its input and plan
table specs, its loaders (the native CSV/Excel one and foreign formats), its generator, its
verifier, its report and its :class:`Method` s. A method runs on an instance with the shared
:class:`~plantwise.core.options.SolveOptions` plus its own parameters (a frozen dataclass,
declared once: the CLI options and the summary's ``options`` are generated from it) and
returns a :class:`MethodOutput`. Everything after that — interruption, verification, the
summary, writing the plan folder — is the pipeline's (:mod:`plantwise.core.pipeline`), the
same for all families.

Families register themselves with :func:`register` when their package is imported;
:func:`families` imports the built-in ones and lists them.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from plantwise.core.decisions import DecisionSpec
from plantwise.core.options import SolveOptions
from plantwise.core.result import SolveStatus
from plantwise.core.verification import Verification

Sense = Literal["min", "max"]
BUILTIN_FAMILIES = ("offload", "e2e", "schedule", "acceptance")


@dataclass(frozen=True)
class NoParams:
    """A method without parameters of its own."""


def param(default: Any, help: str, unit: str = "", choices: Sequence[str] | None = None,
          minimum: float | None = None) -> Any:
    """A method or generator parameter: a dataclass field whose metadata gives the CLI help
    text, the unit, the allowed choices and the minimum. Declared once, used everywhere."""
    meta = {"help": help, "unit": unit, "choices": tuple(choices) if choices else None, "minimum": minimum}
    return field(default=default, metadata=meta)


@dataclass
class MethodOutput:
    """What a method hands to the pipeline.

    ``objective`` is in the family's sense (a cost for ``min``, a profit for ``max``);
    ``bound`` a proven bound on the optimum in the same sense (lower for ``min``, upper for
    ``max``) with ``bound_source`` saying where it comes from, or ``None`` with the reason in
    ``bound_source``. ``kpis`` are the family's figures of the plan, ``details`` the method's
    internals (iteration histories, model sizes).
    """

    status: SolveStatus
    plan: Any | None
    objective: float | None = None
    bound: float | None = None
    bound_source: str | None = None
    solver: str = ""
    solver_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    message: str = ""
    history: Any | None = None  # an iteration table some methods keep (written as history.csv)


@dataclass(frozen=True)
class Method:
    """A solution method of a family.

    ``run(instance, options, params) -> MethodOutput``; ``params`` is an instance of
    ``params_type``. ``proves_bound``: the method itself proves a bound (an exact solver);
    a method that does not still reports the best bound it can cite (``bound_source``).
    ``applies(instance)`` returns ``None`` or the reason the method cannot run on it.
    """

    name: str
    run: Callable[[Any, SolveOptions, Any], MethodOutput]
    doc: str
    params_type: type = NoParams
    proves_bound: bool = True
    applies: Callable[[Any], str | None] | None = None

    def make_params(self, values: Mapping[str, Any] | None = None) -> Any:
        """The params dataclass from ``values`` (unknown names are a ``ValueError``)."""
        values = dict(values or {})
        names = {f.name for f in dataclasses.fields(self.params_type)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"method {self.name!r} has no parameter(s) {', '.join(unknown)}"
                             + (f"; it takes {', '.join(sorted(names))}" if names else "; it takes none"))
        return self.params_type(**values)


@dataclass(frozen=True)
class Family:
    """A problem family (see the module docstring)."""

    name: str
    document: str
    title: str
    sense: Sense
    load: Callable[[Path], Any]
    load_plan: Callable[[Path], Any]
    verify: Callable[[Any, Any], Verification]
    write_report: Callable[[Any, Any, Path], Path]
    generate: Callable[[Any], Any]
    generate_params: type
    checksum: Callable[[Any], str]
    methods: Mapping[str, Method]
    default_method: str
    input_specs: Sequence[Any] = ()
    scalar_specs: Sequence[Any] = ()
    plan_specs: Sequence[Any] = ()
    formats: Mapping[str, Callable[[Path], Any]] = field(default_factory=dict)
    choose_method: Callable[[Any], tuple[str, str]] | None = None  # for method "auto": (name, reason)
    plan_files: Sequence[str] = ()
    native_format: str = ""  # the name of the CSV folder / workbook format (default: the family's name)
    model_size: Callable[[Any], int] | None = None  # variables a method builds, about; checked before solving
    decisions: Sequence[DecisionSpec] = ()  # what compare and re-planning count as a changed decision
    replan: Callable[..., Any] | None = None  # (instance, plan, changes, options) -> core.replan.Replanned
    replan_events: Mapping[str, Any] = field(default_factory=dict)  # kind -> core.replan.EventKind
    time_word: str = "period"  # the unit of `now` and of the events' times
    replan_horizon: Callable[[Any], int] | None = None  # the horizon in time_word units (default: inst.horizon)
    rolling: Any = None  # core.rolling.RollingSpec: the rolling-horizon simulation's event generator

    @property
    def native(self) -> str:
        return self.native_format or self.name

    def read_changes(self, changes: Any, instance: Any, source: str = "changes.yaml") -> Any:
        """``changes`` (a :class:`plantwise.core.replan.Changes`, a path to a ``changes.yaml`` or
        its parsed mapping) checked against this family's events and ``instance``'s horizon
        (in ``time_word`` units); defects raise ``InputErrors`` naming the event and field."""
        from plantwise.core.replan import Changes, check_changes, load_changes

        if isinstance(changes, Changes):
            return changes
        horizon = int(self.replan_horizon(instance) if self.replan_horizon else instance.horizon)
        if isinstance(changes, str | Path):
            return load_changes(changes, self.replan_events, horizon, self.time_word)
        return check_changes(changes, self.replan_events, horizon, source, self.time_word)

    def method(self, name: str) -> Method:
        if name not in self.methods:
            raise ValueError(f"unknown method {name!r} for {self.name}; choose one of "
                             f"{', '.join(self.method_names())}")
        return self.methods[name]

    def method_names(self) -> list[str]:
        return (["auto"] if self.choose_method else []) + list(self.methods)

    def read(self, path: str | Path, fmt: str | None = None) -> Any:
        """Load an instance in the native format (``fmt`` None or the family name) or a foreign one."""
        if fmt in (None, "", self.native, "native"):
            return self.load(Path(path))
        if fmt not in self.formats:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join([self.native, *self.formats])}")
        return self.formats[fmt](Path(path))


def lazy(target: str) -> Callable[..., Any]:
    """``"package.module:function"`` as a callable that imports the module on its first call, so
    a family's definition names its loaders, verifier and report without importing them."""
    module_name, _, attr = target.partition(":")
    cache: list[Callable[..., Any]] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not cache:
            cache.append(getattr(importlib.import_module(module_name), attr))
        return cache[0](*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    call.__doc__ = f"Calls {target} (imported on first use)."
    return call


def conventional_functions(name: str) -> dict[str, Callable[..., Any]]:
    """The loader, plan reader, verifier and report of family ``name`` where the layout of
    docs/architecture.md puts them: ``instance:load``, ``plan:load_plan``, ``verifier:verify``,
    ``reporting:write_report`` (imported on first use)."""
    return {"load": lazy(f"plantwise.{name}.instance:load"), "load_plan": lazy(f"plantwise.{name}.plan:load_plan"),
            "verify": lazy(f"plantwise.{name}.verifier:verify"),
            "write_report": lazy(f"plantwise.{name}.reporting:write_report")}


def specs_of(module_name: str, *names: str) -> tuple[Any, ...]:
    """Module constants ``names`` of ``module_name`` (``()`` for one it does not define)."""
    module = importlib.import_module(module_name)
    return tuple(getattr(module, name, ()) for name in names)


_REGISTRY: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add ``family`` to the registry (called by each family package on import)."""
    _REGISTRY[family.name] = family
    return family


def families() -> dict[str, Family]:
    """Every registered family by name, the built-in ones first, in document order."""
    for name in BUILTIN_FAMILIES:
        if name not in _REGISTRY:
            importlib.import_module(f"plantwise.{name}")
    order = [*BUILTIN_FAMILIES, *sorted(set(_REGISTRY) - set(BUILTIN_FAMILIES))]
    return {name: _REGISTRY[name] for name in order if name in _REGISTRY}


def get_family(name: str) -> Family:
    found = families()
    if name not in found:
        raise ValueError(f"unknown family {name!r}; choose one of {', '.join(found)}")
    return found[name]


# keys of the families' own summaries that the pipeline's common part replaces
_COMMON_KEYS = frozenset({
    "status", "objective", "bound", "gap", "solver", "solver_version", "timings", "message", "cost_breakdown",
    "diagnosis", "bound_source", "instance", "instance_checksum", "input_checksum", "checksum",
    "plantwise_version", "options", "seed", "time_limit", "method", "verified", "violations", "solve_seconds",
    "format", "_messages",
})


def output_from_summary(plan: Any | None, summary: Mapping[str, Any], kpi_keys: Sequence[str], *,
                        status: SolveStatus | str | None = None, bound_source: str | None = None,
                        history: Any | None = None) -> MethodOutput:
    """A :class:`MethodOutput` from the summary a family's method builds: the common keys are
    lifted, ``kpi_keys`` go to ``kpis`` and everything else to ``details``."""
    raw_status = status if status is not None else summary.get("status", "error")
    timings = {str(k): float(v) for k, v in dict(summary.get("timings") or {}).items()
               if isinstance(v, (int, float))}
    if "solve_seconds" in summary and "solve" not in timings:
        timings["solve"] = float(summary["solve_seconds"])  # type: ignore[arg-type]
    diagnosis = summary.get("diagnosis") or []
    return MethodOutput(
        status=SolveStatus(str(raw_status)),
        plan=plan,
        objective=summary.get("objective"),  # type: ignore[arg-type]
        bound=summary.get("bound"),  # type: ignore[arg-type]
        bound_source=bound_source if bound_source is not None else summary.get("bound_source"),  # type: ignore[arg-type]
        solver=str(summary.get("solver") or ""),
        solver_version=str(summary.get("solver_version") or ""),
        timings=timings,
        cost_breakdown=dict(summary.get("cost_breakdown") or {}),
        kpis={k: summary[k] for k in kpi_keys if k in summary},
        details={k: v for k, v in summary.items() if k not in _COMMON_KEYS and k not in kpi_keys},
        diagnosis=[str(d) for d in diagnosis] if isinstance(diagnosis, list) else [str(diagnosis)],
        message=str(summary.get("message") or ""),
        history=history,
    )


class FamilyAPI:
    """The five functions every family package exposes, bound to its :class:`Family`::

        load(path, fmt=None)              -> instance   (InputErrors name file, row and column)
        generate(**options)               -> instance   (options: the family's generate dataclass)
        solve(instance, method=None, **kw) -> Solution  (plantwise.core.pipeline.solve)
        verify(instance, plan_dir)        -> PlanCheck  (plantwise.core.pipeline.verify_folder)
        report(instance, plan, folder)    -> Path       (report.html)
        replan(instance, plan, changes, **kw) -> Solution (plantwise.core.pipeline.replan)

    ``changes`` of ``replan`` is a :class:`plantwise.core.replan.Changes`, a path to a
    ``changes.yaml`` or its parsed mapping (checked against the instance's horizon).
    """

    def __init__(self, family: Family) -> None:
        self.family = family

    def load(self, path: str | Path, fmt: str | None = None) -> Any:
        """Load and validate an instance: a CSV folder, an .xlsx workbook, or a foreign ``fmt``."""
        return self.family.read(path, fmt)

    def generate(self, **options: Any) -> Any:
        """A seeded instance from the family's generator options."""
        return self.family.generate(self.family.generate_params(**options))

    def solve(self, instance: Any, method: str | None = None, **kwargs: Any) -> Any:
        """Solve through the shared pipeline: stop on SIGINT, verify, one summary schema."""
        from plantwise.core.pipeline import solve

        return solve(self.family, instance, method, **kwargs)

    def verify(self, instance: Any, plan_dir: str | Path) -> Any:
        """Check a plan folder against ``instance`` from the files alone."""
        from plantwise.core.pipeline import verify_folder

        return verify_folder(self.family, instance, plan_dir)

    def report(self, instance: Any, plan: Any, folder: str | Path) -> Path:
        """Write ``report.html`` (and plotly.min.js once) for ``plan`` into ``folder``."""
        return self.family.write_report(instance, plan, Path(folder))

    def replan(self, instance: Any, plan: Any, changes: Any, **kwargs: Any) -> Any:
        """Re-plan ``plan`` of ``instance`` after ``changes``: history kept, the fence kept unless
        infeasible, each change beyond it charged ``change_penalty`` (docs/replanning.md)."""
        from plantwise.core.pipeline import replan

        changes = self.family.read_changes(changes, instance)
        if isinstance(plan, str | Path):
            plan = self.family.load_plan(Path(plan))
        return replan(self.family, instance, plan, changes, **kwargs)
