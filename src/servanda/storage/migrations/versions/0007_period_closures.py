"""Closed reporting periods: a close makes a customer's results and credits of a period final
(versioned, with who closed it and when, and the report as closed); views store nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they are at this revision (see servanda.storage.types).
ID = sa.String(length=200)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sla_closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", ID, nullable=False),
        sa.Column("customer", ID, nullable=False),
        sa.Column("period_label", sa.Text(), nullable=False),
        sa.Column("period_start", TIMESTAMP, nullable=False),
        sa.Column("period_end", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=False),
        sa.Column("closed_by", sa.Text(), nullable=False),
        sa.Column("reopened_at", TIMESTAMP, nullable=True),
        sa.Column("reopened_by", sa.Text(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.Column("report", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_closures")),
        sa.UniqueConstraint(
            "customer",
            "period_start",
            "period_end",
            "version",
            name=op.f("uq_sla_closures_customer_period_start_period_end_version"),
        ),
    )
    op.create_index(
        "ix_sla_closures_customer_period_start", "sla_closures", ["customer", "period_start"]
    )
    for table in ("sla_results", "credits"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("closure_id", sa.Integer(), nullable=True))
            batch.create_index(batch.f(f"ix_{table}_closure_id"), ["closure_id"], unique=False)
            batch.create_foreign_key(
                batch.f(f"fk_{table}_closure_id_sla_closures"),
                "sla_closures",
                ["closure_id"],
                ["id"],
                ondelete="RESTRICT",
            )


def downgrade() -> None:
    for table in ("credits", "sla_results"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(
                batch.f(f"fk_{table}_closure_id_sla_closures"), type_="foreignkey"
            )
            batch.drop_index(batch.f(f"ix_{table}_closure_id"))
            batch.drop_column("closure_id")
    op.drop_index("ix_sla_closures_customer_period_start", table_name="sla_closures")
    op.drop_table("sla_closures")
