"""Answers to the exact-form canary item counted apart in the rollups (the issue 10 follow-up).

`strict_format` joins the default suite; its answers say whether a model keeps the exact
form asked for, not whether it answers right, so they get counts of their own beside
`answers_checked` / `answers_correct`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Zero for every older row: the default suite did not ask the item before (one configured
    # by hand was counted with the answers, and stays so). A plain ADD COLUMN with a default
    # on both databases: no table rebuild for years of rollups.
    for name in ("forms_checked", "forms_correct"):
        op.add_column("rollups", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("rollups", "forms_correct")
    op.drop_column("rollups", "forms_checked")
