"""Re-plan runs: a run may be the re-plan of another (its parent) after a changes file.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="solve"))
        batch.add_column(sa.Column("parent_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("changes", sa.JSON, nullable=True))
        batch.create_foreign_key("fk_runs_parent", "runs", ["parent_id"], ["id"])
        batch.create_index("ix_runs_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_parent_id")
        batch.drop_constraint("fk_runs_parent", type_="foreignkey")
        batch.drop_column("changes")
        batch.drop_column("parent_id")
        batch.drop_column("kind")
