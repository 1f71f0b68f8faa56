"""The model a response said it came from, when it was not the model asked (issue 10).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and empty for every older row: they were never checked.
    op.add_column("probe_results", sa.Column("served_model", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("probe_results", "served_model")
