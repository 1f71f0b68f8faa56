"""Status changes, incidents with their updates and models, leases, the data version.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from monitor.store.rows.schema (see 0001).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_changes"),
        sa.UniqueConstraint("subject", "at", name="uq_status_changes_subject_at"),
    )
    op.create_index("ix_status_changes_at", "status_changes", ["at"])
    _create_incidents()
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    data_version = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_data_version"),
    )
    op.bulk_insert(data_version, [{"id": 1, "version": 0}])


def _create_incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("key_started_at", TIMESTAMP, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("impact", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("active_models", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("detected_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("monitoring_since", TIMESTAMP, nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_override", sa.Text(), nullable=True),
        sa.Column("worst", sa.String(32), nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.UniqueConstraint(
            "provider", "cause", "key_started_at", name="uq_incidents_provider_cause_key_started_at"
        ),
    )
    op.create_index("ix_incidents_started_at", "incidents", ["started_at"])
    op.create_table(
        "incident_updates",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("body_override", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_updates_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("incident_id", "position", name="pk_incident_updates"),
        sa.UniqueConstraint(
            "incident_id",
            "at",
            "status",
            "body_hash",
            name="uq_incident_updates_incident_id_at_status_body_hash",
        ),
    )
    op.create_index("ix_incident_updates_at", "incident_updates", ["at"])
    op.create_table(
        "incident_targets",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_targets_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("incident_id", "target", name="pk_incident_targets"),
    )
    op.create_index("ix_incident_targets_target", "incident_targets", ["target"])


def downgrade() -> None:
    op.drop_table("data_version")
    op.drop_table("leases")
    op.drop_table("incident_targets")
    op.drop_table("incident_updates")
    op.drop_table("incidents")
    op.drop_table("status_changes")
