"""Alembic environment: the connection comes from :func:`plantwise.workspace.db.upgrade`;
SQLite gets batch mode (ALTER TABLE by copy), PostgreSQL plain ALTERs."""

from __future__ import annotations

from alembic import context

from plantwise.workspace.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
