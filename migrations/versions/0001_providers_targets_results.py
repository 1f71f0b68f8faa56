"""Providers, targets and raw probe results.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Incidents, status changes and rollups come in later revisions (0002+).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from monitor.store.rows.schema: a migration must keep
# creating exactly this schema after the models have moved on.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("not_configured_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_providers"),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("group", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("price_input_per_mtok", sa.Float(), nullable=False),
        sa.Column("price_output_per_mtok", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_targets_provider_id_providers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
    )
    op.create_index("ix_targets_provider_id", "targets", ["provider_id"])
    op.create_table(
        "probe_results",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("failure_class", sa.String(32), nullable=False),
        sa.Column("check", sa.String(64), nullable=False),
        sa.Column("connect_ms", sa.Float(), nullable=True),
        sa.Column("ttfb_ms", sa.Float(), nullable=True),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("total_ms", sa.Float(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("tokens_per_s", sa.Float(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_type", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("retry_after_s", sa.Float(), nullable=True),
        sa.Column("ratelimit", sa.JSON(), nullable=False),
        sa.Column("timeout", sa.String(32), nullable=True),
        sa.Column("answer_correct", sa.Boolean(), nullable=True),
        sa.Column("error_excerpt", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_probe_results"),
    )
    op.create_index("ix_probe_results_target_started_at", "probe_results", ["target", "started_at"])
    op.create_index("ix_probe_results_started_at", "probe_results", ["started_at"])


def downgrade() -> None:
    op.drop_table("probe_results")
    op.drop_table("targets")
    op.drop_table("providers")
