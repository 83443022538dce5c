"""The event journal: the correlator's inputs in order, its snapshots and its lease; when a
person's lifecycle step was recorded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they were at this revision (see servanda.storage.types).
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_journal",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("payload", JSON, nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_journal")),
    )
    op.create_table(
        "correlator_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("load_run", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("taken_at", TIMESTAMP, nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlator_snapshots")),
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("journal_seq", sa.BigInteger(), nullable=True))
        batch.create_index(batch.f("ix_events_journal_seq"), ["journal_seq"], unique=False)
    with op.batch_alter_table("incident_transitions") as batch:
        batch.add_column(sa.Column("recorded_at", TIMESTAMP, nullable=True))
    with op.batch_alter_table("event_engine") as batch:
        batch.add_column(sa.Column("holder", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_until", TIMESTAMP, nullable=True))
        batch.add_column(
            sa.Column("applied_seq", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("event_engine") as batch:
        batch.drop_column("applied_seq")
        batch.drop_column("lease_until")
        batch.drop_column("holder")
    with op.batch_alter_table("incident_transitions") as batch:
        batch.drop_column("recorded_at")
    with op.batch_alter_table("events") as batch:
        batch.drop_index(batch.f("ix_events_journal_seq"))
        batch.drop_column("journal_seq")
    op.drop_table("correlator_snapshots")
    op.drop_table("event_journal")
