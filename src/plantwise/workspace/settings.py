"""Workspace settings: the store (data folder and database), the job runner, access control."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

TOKEN_ENV = "PLANTWISE_TOKEN"
DEFAULT_DATA = Path("plantwise-data")
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: addresses only this machine can reach."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class WorkspaceSettings:
    """Everything the server, the supervisor and the workers need (picklable, sent to workers).

    ``database_url`` empty means the embedded SQLite store ``<data_dir>/workspace.sqlite``;
    ``workers`` solver processes run at once, each with ``threads`` solver threads (default:
    the machine's cores divided among the workers, at least 1).
    """

    data_dir: Path = DEFAULT_DATA
    database_url: str = ""
    workers: int = 1
    threads: int = 0
    executor: Literal["local", "ray"] = "local"
    ray_address: str = ""
    token: str = field(default="", repr=False)
    max_upload_bytes: int = 50 * 1024 * 1024
    max_zip_entries: int = 200
    max_unzipped_bytes: int = 500 * 1024 * 1024
    max_attempts: int = 2  # a run the server lost while running is re-queued until it has run this often

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).absolute()
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.executor not in ("local", "ray"):
            raise ValueError(f"unknown executor {self.executor!r}; choose local or ray")

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'workspace.sqlite'}"

    @property
    def solver_threads(self) -> int:
        return self.threads or max(1, (os.cpu_count() or 1) // self.workers)

    def for_worker(self) -> dict[str, Any]:
        values = asdict(self)
        values["token"] = ""  # workers never need it
        return values
