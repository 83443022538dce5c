"""Accounting: usage records (every version, the current one unique per key), their charges
and reversals, the quarantine of usage not taken or not rated, and the mediation state of
accounting sessions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they are at this revision (see servanda.storage.types).
ID = sa.String(length=200)
TIMESTAMP = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
CURRENT = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "usage_records",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("source", ID, nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("account", ID, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("start", TIMESTAMP, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("superseded_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_records")),
        sa.UniqueConstraint(
            "source", "record_id", "version", name=op.f("uq_usage_records_source_record_id_version")
        ),
    )
    op.create_index(
        "ix_usage_records_account_start", "usage_records", ["account", "start"], unique=False
    )
    op.create_index(
        "ux_usage_records_current", "usage_records", ["source", "record_id"], unique=True,
        sqlite_where=CURRENT, postgresql_where=CURRENT,
    )  # fmt: skip
    op.create_table(
        "usage_charges",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("usage_id", SEQ, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account", ID, nullable=False),
        sa.Column("tariff", ID, nullable=False),
        sa.Column("tariff_version", TIMESTAMP, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("rated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["usage_id"], ["usage_records.id"], name=op.f("fk_usage_charges_usage_id_usage_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_charges")),
        sa.UniqueConstraint("usage_id", "kind", name=op.f("uq_usage_charges_usage_id_kind")),
    )
    op.create_table(
        "usage_rejected",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("source", ID, nullable=True),
        sa.Column("record_id", ID, nullable=True),
        sa.Column("usage_id", SEQ, nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["usage_id"],
            ["usage_records.id"],
            name=op.f("fk_usage_rejected_usage_id_usage_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_rejected")),
    )
    op.create_index("ix_usage_rejected_open", "usage_rejected", ["resolved_at"], unique=False)
    op.create_table(
        "accounting_sessions",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("last_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_accounting_sessions")),
    )


def downgrade() -> None:
    op.drop_table("accounting_sessions")
    op.drop_index("ix_usage_rejected_open", table_name="usage_rejected")
    op.drop_table("usage_rejected")
    op.drop_table("usage_charges")
    op.drop_index("ux_usage_records_current", table_name="usage_records")
    op.drop_index("ix_usage_records_account_start", table_name="usage_records")
    op.drop_table("usage_records")
