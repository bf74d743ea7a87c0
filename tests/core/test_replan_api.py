"""Every family's package API has ``replan`` (and it stays the function after the family's
re-planning module is imported); every family with re-planning declares events, a time word
and decisions with a time."""

from __future__ import annotations

import importlib

import pytest

from plantwise.core.family import families


@pytest.mark.parametrize("name", ["offload", "e2e", "schedule", "acceptance"])
def test_the_package_replan_is_the_api_function(name: str) -> None:
    package = importlib.import_module(f"plantwise.{name}")
    importlib.import_module(f"plantwise.{name}.replanning")
    assert callable(package.replan) and package.replan.__name__ == "replan"
    assert not isinstance(package.replan, type(package))
    fam = families()[name]
    assert fam.replan is not None and fam.replan_events and fam.time_word in ("period", "day", "hour")
    assert any(spec.time for spec in fam.decisions)
