"""The "Input tables" section of every ``docs/models/<family>.md`` is ``describe_schema`` of that
family's ``SPECS`` and ``SCALAR_SPECS``, so the docs cannot drift from the loader.

After changing a spec, rewrite the sections with ``python tests/core/test_schema_docs.py``.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from plantwise.core.tables import describe_schema

FAMILIES = ("offload", "e2e", "schedule", "acceptance")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "models"
BEGIN, END = "<!-- schema:begin -->", "<!-- schema:end -->"
HEADING = "## Input tables"


def schema(family: str) -> str:
    module = importlib.import_module(f"plantwise.{family}.instance")
    return describe_schema(getattr(module, "ALL_SPECS", module.SPECS), module.SCALAR_SPECS)  # optional tables too


def section(family: str) -> str:
    return (f"{HEADING}\n\nGenerated from the loader's specs (`plantwise {family} schema` prints it); "
            f"`tests/core/test_schema_docs.py` keeps it in step.\n\n{BEGIN}\n{schema(family)}{END}\n")


def rewrite(family: str) -> None:
    """Replace the family's section, or add it after the ``## Input`` section."""
    path = DOCS / f"{family}.md"
    text = path.read_text()
    if HEADING in text:
        start = text.index(HEADING)
        end = text.index(END, start) + len(END) + 1
        text = text[:start] + section(family) + text[end:]
    else:
        match = re.search(r"^## Input\n.*?(?=^## )", text, flags=re.S | re.M)
        assert match, f"{path} has no '## Input' section"
        text = text[: match.end()] + section(family) + "\n" + text[match.end():]
    path.write_text(text)


@pytest.mark.parametrize("family", FAMILIES)
def test_docs_show_the_generated_schema(family: str) -> None:
    text = (DOCS / f"{family}.md").read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1, f"{family}.md needs one {BEGIN} ... {END} block"
    assert HEADING in text and text.index(HEADING) < text.index(BEGIN)
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert documented.strip() == schema(family).strip(), (
        f"docs/models/{family}.md is out of date: run python tests/core/test_schema_docs.py")


@pytest.mark.parametrize("family", FAMILIES)
def test_every_column_and_setting_has_a_unit_and_a_meaning(family: str) -> None:
    module = importlib.import_module(f"plantwise.{family}.instance")
    for spec in module.SPECS:
        assert spec.unknown_columns == "error", spec.name
        for column in spec.columns:
            assert column.unit and column.doc, f"{spec.name}.{column.name}"
    for scalar in module.SCALAR_SPECS:
        assert scalar.doc, scalar.name
        for nested in scalar.fields:
            assert nested.unit and nested.doc, f"{scalar.name}.{nested.name}"


def test_schema_lists_every_table_column_and_setting() -> None:
    from plantwise.e2e.instance import SCALAR_SPECS, SPECS

    text = describe_schema(SPECS, SCALAR_SPECS)
    for spec in SPECS:
        assert f"### `{spec.filename}`" in text
        for column in spec.columns:
            assert f"| `{column.name}` |" in text
    assert "| `penalties.stockout` | number | currency/unit/day | optional, default `1500` | >= 0 |" in text
    assert "| `horizon` | integer | days | required | >= 1, <= 3660 |" in text


if __name__ == "__main__":
    for name in sys.argv[1:] or FAMILIES:
        rewrite(name)
        print(f"rewrote docs/models/{name}.md")
