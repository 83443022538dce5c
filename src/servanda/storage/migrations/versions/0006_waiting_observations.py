"""The event-time watermark: how far correlation went, where the observations it holds back
begin in the journal, how many it holds and how many came late.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event_engine") as batch:
        batch.add_column(sa.Column("waiting_seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("watermark", TIMESTAMP, nullable=True))
        batch.add_column(
            sa.Column("held_events", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("late_events", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("event_engine") as batch:
        batch.drop_column("late_events")
        batch.drop_column("held_events")
        batch.drop_column("watermark")
        batch.drop_column("waiting_seq")
