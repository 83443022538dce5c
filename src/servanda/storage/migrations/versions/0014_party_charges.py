"""Party charges: what charging rules made of each rated usage version, a debt of one billing
account to another (the payer to the provider, the provider to a content provider or a
carrier), reversed with the usage charge when a correction supersedes it; and where each was
billed or settled.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they are at this revision (see servanda.storage.types).
ID = sa.String(length=200)
TIMESTAMP = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "party_charges",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("usage_id", SEQ, nullable=False),
        sa.Column("charge_id", SEQ, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("debtor", ID, nullable=False),
        sa.Column("creditor", ID, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("nanos", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rule", ID, nullable=True),
        sa.Column("rule_version", TIMESTAMP, nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("tariff", ID, nullable=True),
        sa.Column("destination_group", ID, nullable=True),
        sa.Column("band", ID, nullable=True),
        sa.Column("quantity", DECIMAL, nullable=True),
        sa.Column("usage_start", TIMESTAMP, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("billed_in", SEQ, nullable=True),
        sa.Column("settled_in", SEQ, nullable=True),
        sa.ForeignKeyConstraint(
            ["usage_id"], ["usage_records.id"], name=op.f("fk_party_charges_usage_id_usage_records")
        ),
        sa.ForeignKeyConstraint(
            ["charge_id"],
            ["usage_charges.id"],
            name=op.f("fk_party_charges_charge_id_usage_charges"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_charges")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # room in each page, so that marking a charge billed updates it in place (HOT)
        op.execute("ALTER TABLE party_charges SET (fillfactor = 80)")
    op.create_index("ix_party_charges_usage_id", "party_charges", ["usage_id"], unique=False)
    # not on billed_in nor settled_in: marking millions of charges billed rewrites no index
    op.create_index("ix_party_charges_debtor", "party_charges", ["debtor"], unique=False)
    op.create_index("ix_party_charges_creditor", "party_charges", ["creditor"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_party_charges_creditor", table_name="party_charges")
    op.drop_index("ix_party_charges_debtor", table_name="party_charges")
    op.drop_index("ix_party_charges_usage_id", table_name="party_charges")
    op.drop_table("party_charges")
