"""The workspace tests' fixtures. The shared helpers live in ``support.py``: test modules import
them with ``from support import TINY, FAST, wait_final, serve, ...`` (this file puts the folder
on ``sys.path``: pytest's importlib import mode does not)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import pg_url_or_skip


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL URL whose database was emptied; skips with the reason when there is none."""
    return pg_url_or_skip()
