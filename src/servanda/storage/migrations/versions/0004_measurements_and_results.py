"""SLA measurement: declared series, measurements, control attestations, customer feedback and
reviews, SLA results and service credits.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they were at this revision (see servanda.storage.types).
ID = sa.String(length=200)
HASH = sa.String(length=64)
INCIDENT_ID = sa.String(length=64)
TIMESTAMP = sa.DateTime(timezone=True)
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("node", ID, nullable=False),
        sa.Column("customer", ID, nullable=True),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["node"], ["nodes.id"], name=op.f("fk_series_node_nodes")),
        sa.ForeignKeyConstraint(
            ["customer"], ["parties.id"], name=op.f("fk_series_customer_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )

    op.create_table(
        "measurements",
        sa.Column("key", HASH, nullable=False),
        sa.Column("series", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("start", TIMESTAMP, nullable=True),
        sa.Column("value", DECIMAL, nullable=True),
        sa.Column("good", sa.BigInteger(), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=True),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column("stored_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["series"], ["series.id"], name=op.f("fk_measurements_series_series")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_measurements")),
    )
    op.create_index("ix_measurements_series_at", "measurements", ["series", "at"])

    op.create_table(
        "attestations",
        sa.Column("key", HASH, nullable=False),
        sa.Column("policy", ID, nullable=False),
        sa.Column("control", ID, nullable=False),
        sa.Column("period_start", TIMESTAMP, nullable=False),
        sa.Column("period_end", TIMESTAMP, nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("attested_by", sa.Text(), nullable=False),
        sa.Column("attested_at", TIMESTAMP, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attestations")),
    )
    op.create_index(
        "ix_attestations_policy_control_period_start",
        "attestations",
        ["policy", "control", "period_start"],
    )

    op.create_table(
        "feedback",
        sa.Column("key", HASH, nullable=False),
        sa.Column("customer", ID, nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("incident", INCIDENT_ID, nullable=True),
        sa.Column("respondent", sa.Text(), nullable=True),
        sa.Column("stored_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_customer_at", "feedback", ["customer", "at"])
    op.create_index("ix_feedback_service_at", "feedback", ["service", "at"])

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer", ID, nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("attendees", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index("ix_reviews_customer_held_on", "reviews", ["customer", "held_on"])

    op.create_table(
        "sla_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", ID, nullable=False),
        sa.Column("customer", ID, nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("agreement", ID, nullable=True),
        sa.Column("objective", ID, nullable=False),
        sa.Column("period_label", sa.Text(), nullable=False),
        sa.Column("period_start", TIMESTAMP, nullable=False),
        sa.Column("period_end", TIMESTAMP, nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("target", DECIMAL, nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("numerator", DECIMAL, nullable=True),
        sa.Column("denominator", DECIMAL, nullable=True),
        sa.Column("convention", sa.Text(), nullable=True),
        sa.Column("budget", JSON, nullable=True),
        sa.Column("breaches", JSON, nullable=False),
        sa.Column("figures", JSON, nullable=False),
        sa.Column("computed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_results")),
    )
    op.create_index(
        "ix_sla_results_customer_period_start", "sla_results", ["customer", "period_start"]
    )

    op.create_table(
        "credits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer", ID, nullable=False),
        sa.Column("service", ID, nullable=True),
        sa.Column("period_start", TIMESTAMP, nullable=False),
        sa.Column("period_end", TIMESTAMP, nullable=False),
        sa.Column("objective", ID, nullable=False),
        sa.Column("actual", DECIMAL, nullable=False),
        sa.Column("target", DECIMAL, nullable=False),
        sa.Column("tier_below", DECIMAL, nullable=False),
        sa.Column("percent", DECIMAL, nullable=False),
        sa.Column("charge", DECIMAL, nullable=True),
        sa.Column("amount", DECIMAL, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("claim", sa.String(length=16), nullable=False),
        sa.Column("claim_by", TIMESTAMP, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("computed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credits")),
    )
    op.create_index("ix_credits_customer_period_start", "credits", ["customer", "period_start"])


def downgrade() -> None:
    op.drop_table("credits")
    op.drop_table("sla_results")
    op.drop_table("reviews")
    op.drop_table("feedback")
    op.drop_table("attestations")
    op.drop_table("measurements")
    op.drop_table("series")
