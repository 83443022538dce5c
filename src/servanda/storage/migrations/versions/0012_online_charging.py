"""Online charging: prepaid balance buckets, their movements, and charging sessions with their
reservations.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they are at this revision (see servanda.storage.types).
ID = sa.String(length=200)
TIMESTAMP = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "balance_buckets",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("account", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_buckets")),
    )
    op.create_index("ix_balance_buckets_account", "balance_buckets", ["account"], unique=False)
    op.create_table(
        "balance_movements",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("bucket_id", SEQ, nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket_id"],
            ["balance_buckets.id"],
            name=op.f("fk_balance_movements_bucket_id_balance_buckets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_movements")),
    )
    op.create_table(
        "charging_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account", ID, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("tariff", ID, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("units_used", sa.BigInteger(), nullable=False),
        sa.Column("debited", DECIMAL, nullable=False),
        sa.Column("reserved_units", sa.BigInteger(), nullable=False),
        sa.Column("reserved_money", DECIMAL, nullable=False),
        sa.Column("granted", sa.BigInteger(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("valid_until", TIMESTAMP, nullable=False),
        sa.Column("request_number", sa.BigInteger(), nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_sessions")),
    )
    op.create_index(
        "ix_charging_sessions_account_state",
        "charging_sessions",
        ["account", "state"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_charging_sessions_account_state", table_name="charging_sessions")
    op.drop_table("charging_sessions")
    op.drop_table("balance_movements")
    op.drop_index("ix_balance_buckets_account", table_name="balance_buckets")
    op.drop_table("balance_buckets")
