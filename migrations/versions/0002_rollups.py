"""Rollups: probe results summed per target, region and UTC minute, hour or day.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from monitor.store.rows.schema (see 0001).
TIMESTAMP = sa.DateTime(timezone=True)
COUNTS = (
    "ok",
    "infrastructure",
    "capacity",
    "configuration",
    "vantage",
    "quality",
    "ambiguous",
    "probes",
    "answers_checked",
    "answers_correct",
)


def upgrade() -> None:
    op.create_table(
        "rollups",
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=False),
        sa.Column("bucket_start", TIMESTAMP, nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("ttft_hist", sa.Text(), nullable=False),
        sa.Column("total_hist", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "target", "resolution", "bucket_start", "region", name="pk_rollups"
        ),
    )
    op.create_index("ix_rollups_resolution_bucket_start", "rollups", ["resolution", "bucket_start"])


def downgrade() -> None:
    op.drop_table("rollups")
