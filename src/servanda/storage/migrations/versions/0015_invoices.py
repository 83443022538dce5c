"""Invoices and credit notes, their lines, and the gapless numbering of each issuer's year.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
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
        "invoices",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account", ID, nullable=False),
        sa.Column("issuer", ID, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net", DECIMAL, nullable=False),
        sa.Column("tax", DECIMAL, nullable=False),
        sa.Column("gross", DECIMAL, nullable=False),
        sa.Column("prepaid", DECIMAL, nullable=False),
        sa.Column("due", DECIMAL, nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("corrects", SEQ, nullable=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=True),
        sa.Column("paid_at", TIMESTAMP, nullable=True),
        sa.Column("voided_at", TIMESTAMP, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["corrects"], ["invoices.id"], name=op.f("fk_invoices_corrects_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("issuer", "number", name=op.f("uq_invoices_issuer_number")),
    )
    op.create_index("ix_invoices_account_period", "invoices", ["account", "period"], unique=False)
    op.create_table(
        "invoice_lines",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("invoice_id", SEQ, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("quantity", DECIMAL, nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("tax_category", sa.String(length=4), nullable=True),
        sa.Column("tax_rate", DECIMAL, nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"], unique=False)
    op.create_index("ix_invoice_lines_key", "invoice_lines", ["key"], unique=False)
    op.create_table(
        "invoice_counters",
        sa.Column("issuer", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "year", name=op.f("pk_invoice_counters")),
    )


def downgrade() -> None:
    op.drop_table("invoice_counters")
    op.drop_index("ix_invoice_lines_key", table_name="invoice_lines")
    op.drop_index("ix_invoice_lines_invoice_id", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_invoices_account_period", table_name="invoices")
    op.drop_table("invoices")
