"""Running totals of party charges: bill and settlement runs take totals, not charges.

Party charges are summed as they are stored into ``charge_totals`` (per generation, billing
month, role, parties, currency and the parts an invoice line shows), and what each tier of
the tariff counted and cost into ``charge_tiers``; a charge points to its total, and the
invoice or statement that took it is marked on the total. Charges stored before have no
tiers (their invoice lines show none). Existing charges
are summed here, in their UTC month, one generation per (invoice, statement) they were taken
by, so what was billed stays billed; ``party_charges.billed_in`` and ``settled_in`` go.
And an index on ``invoices.corrects``: deleting a run's drafts checks that no credit note
points to them, which without it scans every invoice for each draft.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=200)
TIMESTAMP = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = (
    "gen", "month", "role", "debtor", "creditor", "currency", "category", "service", "tariff",
    "destination_group", "band", "rule",
)  # fmt: skip
PARTS = ("service", "tariff", "destination_group", "band", "rule")


def upgrade() -> None:
    op.create_table(
        "charge_generations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_generations")),
    )
    op.create_table(
        "charge_totals",
        sa.Column("id", SEQ, autoincrement=True, nullable=False),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("debtor", ID, nullable=False),
        sa.Column("creditor", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("service", ID, nullable=False),
        sa.Column("tariff", ID, nullable=False),
        sa.Column("destination_group", ID, nullable=False),
        sa.Column("band", ID, nullable=False),
        sa.Column("rule", ID, nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("nanos", sa.BigInteger(), nullable=False),
        sa.Column("first", TIMESTAMP, nullable=False),
        sa.Column("last", TIMESTAMP, nullable=False),
        sa.Column("billed_in", SEQ, nullable=True),
        sa.Column("settled_in", SEQ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_totals")),
        sa.UniqueConstraint(*KEY, name=op.f("uq_charge_totals_key")),
    )
    op.create_table(
        "charge_tiers",
        sa.Column("total_id", SEQ, autoincrement=False, nullable=False),
        sa.Column("band", ID, nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("increments", sa.BigInteger(), nullable=False),
        sa.Column("nanos", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["total_id"], ["charge_totals.id"], name=op.f("fk_charge_tiers_total_id_charge_totals")
        ),
        sa.PrimaryKeyConstraint("total_id", "band", "slot", name=op.f("pk_charge_tiers")),
    )
    op.create_index("ix_charge_totals_billed_in", "charge_totals", ["billed_in"], unique=False)
    op.create_index("ix_charge_totals_settled_in", "charge_totals", ["settled_in"], unique=False)
    with op.batch_alter_table("party_charges") as batch:
        batch.add_column(sa.Column("total_id", SEQ, nullable=True))
    generations = _sum_existing()
    op.execute(sa.text(f"INSERT INTO charge_generations (id, gen) VALUES (1, {generations + 1})"))
    with op.batch_alter_table("party_charges") as batch:
        batch.alter_column("total_id", existing_type=SEQ, nullable=False)
        batch.create_foreign_key(
            op.f("fk_party_charges_total_id_charge_totals"), "charge_totals", ["total_id"], ["id"]
        )
        batch.create_index("ix_party_charges_total_id", ["total_id"], unique=False)
        batch.drop_column("billed_in")
        batch.drop_column("settled_in")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE party_charges RESET (fillfactor)")
    op.create_index("ix_invoices_corrects", "invoices", ["corrects"], unique=False)


def _sum_existing() -> int:
    """Sum the stored charges into totals, one generation per (invoice, statement) that
    took them; the number of generations made."""
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    month = (
        "to_char(p.usage_start AT TIME ZONE 'UTC', 'YYYY-MM')"
        if pg
        else "strftime('%Y-%m', p.usage_start)"
    )
    same = "IS NOT DISTINCT FROM" if pg else "IS"
    taken = bind.execute(sa.text("SELECT DISTINCT billed_in, settled_in FROM party_charges")).all()
    parts = ", ".join(f"coalesce(p.{c}, '')" for c in PARTS)
    for gen, (billed, settled) in enumerate(taken, start=1):
        where = f"p.billed_in {same} :billed AND p.settled_in {same} :settled"
        values = {"gen": gen, "billed": billed, "settled": settled}
        bind.execute(
            sa.text(
                "INSERT INTO charge_totals (gen, month, role, debtor, creditor, currency, "
                "category, service, tariff, destination_group, band, rule, records, nanos, "
                "first, last, billed_in, settled_in) "
                f"SELECT :gen, {month}, p.role, p.debtor, p.creditor, p.currency, p.category, "
                f"{parts}, sum(CASE p.kind WHEN 'reversal' THEN -1 ELSE 1 END), sum(p.nanos), "
                "min(p.usage_start), max(p.usage_start), :billed, :settled "
                f"FROM party_charges AS p WHERE {where} "
                f"GROUP BY {month}, p.role, p.debtor, p.creditor, p.currency, p.category, "
                f"{parts}"
            ),
            values,
        )
        match = " AND ".join(
            [f"t.{c} = p.{c}" for c in ("role", "debtor", "creditor", "currency", "category")]
            + [f"t.{c} = coalesce(p.{c}, '')" for c in PARTS]
        )
        bind.execute(
            sa.text(
                "UPDATE party_charges SET total_id = (SELECT t.id FROM charge_totals AS t "
                "JOIN party_charges AS p ON p.id = party_charges.id "
                f"WHERE t.gen = :gen AND t.month = {month} AND {match}) "
                f"WHERE party_charges.billed_in {same} :billed "
                f"AND party_charges.settled_in {same} :settled"
            ),
            values,
        )
    return len(taken)


def downgrade() -> None:
    op.drop_index("ix_invoices_corrects", table_name="invoices")
    with op.batch_alter_table("party_charges") as batch:
        batch.add_column(sa.Column("billed_in", SEQ, nullable=True))
        batch.add_column(sa.Column("settled_in", SEQ, nullable=True))
    op.execute(
        "UPDATE party_charges SET billed_in = (SELECT t.billed_in FROM charge_totals AS t "
        "WHERE t.id = party_charges.total_id), settled_in = (SELECT t.settled_in "
        "FROM charge_totals AS t WHERE t.id = party_charges.total_id)"
    )
    with op.batch_alter_table("party_charges") as batch:
        batch.drop_index("ix_party_charges_total_id")
        batch.drop_constraint(op.f("fk_party_charges_total_id_charge_totals"), type_="foreignkey")
        batch.drop_column("total_id")
    op.drop_index("ix_charge_totals_settled_in", table_name="charge_totals")
    op.drop_index("ix_charge_totals_billed_in", table_name="charge_totals")
    op.drop_table("charge_tiers")
    op.drop_table("charge_totals")
    op.drop_table("charge_generations")
