"""Outbox claims: a webhook subscription that timed out is served in a slow lane (issue 12).

`subscriptions.slow_until`: until then the deliverer sends this receiver's
deliveries through a few slots of their own, so receivers that hang cannot hold
the slots healthy ones are waiting for. Cleared by the receiver's next answer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from monitor.store.rows.schema (see 0001).
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("slow_until", TIMESTAMP, nullable=True))


def downgrade() -> None:
    op.drop_column("subscriptions", "slow_until")
