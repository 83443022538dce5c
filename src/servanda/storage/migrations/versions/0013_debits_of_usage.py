"""A balance movement names the usage version it paid for: RADIUS interims debit balances of
credit-limited accounts per usage record, and a closed online session's debits point to the
usage it was stored as, so billing finds what was paid in advance for each usage. The
quarantine is found by origin (a stream message is quarantined once).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("balance_movements") as batch:
        batch.add_column(sa.Column("usage_id", SEQ, nullable=True))
    op.create_index(
        "ix_balance_movements_usage_id", "balance_movements", ["usage_id"], unique=False
    )
    op.create_index("ix_usage_rejected_origin", "usage_rejected", ["origin"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_usage_rejected_origin", table_name="usage_rejected")
    op.drop_index("ix_balance_movements_usage_id", table_name="balance_movements")
    with op.batch_alter_table("balance_movements") as batch:
        batch.drop_column("usage_id")
