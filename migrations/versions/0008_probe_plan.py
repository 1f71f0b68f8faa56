"""The probe plan, so every region's prober confirms, not only the evaluating worker's (issue 9).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from monitor.store.rows.schema (see 0001).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "probe_plan",
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("until", TIMESTAMP, nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("target", name="pk_probe_plan"),
    )


def downgrade() -> None:
    op.drop_table("probe_plan")
