"""The store's tables (SQLAlchemy 2 declarative models; the schema itself is Alembic's).

``datasets``: one immutable instance version per row; its files live in
``<data>/datasets/<id>/``. A scenario has ``base_id`` (the version it was derived from) and
``changes`` (the cells and tables that differ). ``runs`` is the job queue and the run record:
``status`` goes queued -> running -> succeeded | failed | interrupted, or queued -> cancelled;
``worker`` is the lease of the process executing it (a worker writes only while it holds it).
A ``replan`` run has the run it re-plans as ``parent_id`` and its changes file as ``changes``;
its dataset is the changed instance, stored as a scenario of the parent's dataset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
FINAL_STATUSES = ("succeeded", "failed", "cancelled", "interrupted")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """The declarative base of the store's tables."""


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    base_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # upload | generate | scenario | demo
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checksum: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # generator options
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # scenario: what differs from the base
    size: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # rows per table


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    method: Mapped[str] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    solve_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    bound: Mapped[float | None] = mapped_column(Float, nullable=True)
    gap: Mapped[float | None] = mapped_column(Float, nullable=True)
    verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="solve", server_default="solve")  # solve | replan
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), nullable=True, index=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the re-plan's changes file
