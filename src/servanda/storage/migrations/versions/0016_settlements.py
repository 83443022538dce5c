"""Settlement statements: what two billing accounts owe each other for a month, netted, with
the lines they sum (party charges point to their statement).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=200)
TIMESTAMP = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "settlements",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("first", ID, nullable=False),
        sa.Column("second", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("first_owes", DECIMAL, nullable=False),
        sa.Column("second_owes", DECIMAL, nullable=False),
        sa.Column("net", DECIMAL, nullable=False),
        sa.Column("payer", ID, nullable=True),
        sa.Column("payee", ID, nullable=True),
        sa.Column("self_billing", sa.Boolean(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
    )
    op.create_index("ix_settlements_period", "settlements", ["period"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_settlements_period", table_name="settlements")
    op.drop_table("settlements")
