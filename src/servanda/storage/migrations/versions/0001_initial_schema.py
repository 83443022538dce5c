"""Initial schema: catalog, calendars, agreements and their versions, API tokens, load runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they were at this revision (see servanda.storage.types).
ID = sa.String(length=200)
HASH = sa.String(length=64)
TIMESTAMP = sa.DateTime(timezone=True)
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def declared() -> list[sa.Column]:
    """Columns of every table of declared records."""
    return [
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", ID, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        *declared(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
    )
    op.create_table(
        "load_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("loaded_at", TIMESTAMP, nullable=False),
        sa.Column("sources", JSON, nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_load_runs")),
    )
    op.create_index(op.f("ix_load_runs_loaded_at"), "load_runs", ["loaded_at"])

    op.create_table(
        "parties",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        *declared(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
    )
    op.create_table(
        "party_roles",
        sa.Column("party_id", ID, nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_party_roles_party_id_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("party_id", "role", name=op.f("pk_party_roles")),
    )
    op.create_index(op.f("ix_party_roles_role"), "party_roles", ["role"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("party_id", ID, nullable=True),
        sa.Column("secret_hash", HASH, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "(role = 'customer' AND party_id IS NOT NULL)"
            " OR (role <> 'customer' AND party_id IS NULL)",
            name=op.f("ck_api_tokens_customer_party"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'operator', 'billing', 'customer', 'ingest')",
            name=op.f("ck_api_tokens_role"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_api_tokens_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    op.create_index(op.f("ix_api_tokens_party_id"), "api_tokens", ["party_id"])

    op.create_table(
        "nodes",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("component_type", sa.String(length=64), nullable=True),
        sa.Column("provider", ID, nullable=True),
        sa.Column("owner", ID, nullable=True),
        sa.Column("calendar", ID, nullable=True),
        sa.Column("site", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        *declared(),
        sa.CheckConstraint(
            "kind = 'component' OR provider IS NOT NULL", name=op.f("ck_nodes_service_provider")
        ),
        sa.CheckConstraint("kind IN ('service', 'component')", name=op.f("ck_nodes_kind")),
        sa.ForeignKeyConstraint(
            ["calendar"], ["calendars.id"], name=op.f("fk_nodes_calendar_calendars")
        ),
        sa.ForeignKeyConstraint(["owner"], ["parties.id"], name=op.f("fk_nodes_owner_parties")),
        sa.ForeignKeyConstraint(
            ["provider"], ["parties.id"], name=op.f("fk_nodes_provider_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
    )
    op.create_index(op.f("ix_nodes_kind"), "nodes", ["kind"])
    op.create_index(op.f("ix_nodes_provider"), "nodes", ["provider"])

    op.create_table(
        "node_requirements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("k", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name=op.f("fk_node_requirements_node_id_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_requirements")),
        sa.UniqueConstraint(
            "node_id", "position", name=op.f("uq_node_requirements_node_id_position")
        ),
    )
    op.create_table(
        "requirement_members",
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("node_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_requirement_members_node_id_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["node_requirements.id"],
            name=op.f("fk_requirement_members_requirement_id_node_requirements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("requirement_id", "position", name=op.f("pk_requirement_members")),
    )
    op.create_index(op.f("ix_requirement_members_node_id"), "requirement_members", ["node_id"])

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", HASH, nullable=False),
        sa.Column("customer", ID, nullable=False),
        sa.Column("service", ID, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("monthly_charge", DECIMAL, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        *declared(),
        sa.ForeignKeyConstraint(
            ["customer"], ["parties.id"], name=op.f("fk_subscriptions_customer_parties")
        ),
        sa.ForeignKeyConstraint(
            ["service"], ["nodes.id"], name=op.f("fk_subscriptions_service_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("key", name=op.f("uq_subscriptions_key")),
    )
    op.create_index(op.f("ix_subscriptions_customer"), "subscriptions", ["customer"])
    op.create_index(op.f("ix_subscriptions_service"), "subscriptions", ["service"])

    op.create_table(
        "agreements",
        sa.Column("id", ID, nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("provider", ID, nullable=False),
        sa.Column("customer", ID, nullable=True),
        sa.Column("service", ID, nullable=True),
        sa.CheckConstraint(
            "(level = 'corporate' AND customer IS NULL AND service IS NULL)"
            " OR (level = 'customer' AND customer IS NOT NULL AND service IS NULL)"
            " OR (level = 'service' AND customer IS NOT NULL AND service IS NOT NULL)",
            name=op.f("ck_agreements_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["customer"], ["parties.id"], name=op.f("fk_agreements_customer_parties")
        ),
        sa.ForeignKeyConstraint(
            ["provider"], ["parties.id"], name=op.f("fk_agreements_provider_parties")
        ),
        sa.ForeignKeyConstraint(
            ["service"], ["nodes.id"], name=op.f("fk_agreements_service_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    op.create_index(op.f("ix_agreements_customer"), "agreements", ["customer"])
    op.create_index(op.f("ix_agreements_provider"), "agreements", ["provider"])
    op.create_index(op.f("ix_agreements_service"), "agreements", ["service"])

    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", ID, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("calendar", ID, nullable=True),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_versions_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["calendar"], ["calendars.id"], name=op.f("fk_agreement_versions_calendar_calendars")
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "effective_from", name=op.f("pk_agreement_versions")
        ),
    )
    op.create_table(
        "agreement_objectives",
        sa.Column("agreement_id", ID, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("objective_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("target", DECIMAL, nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("period_seconds", DECIMAL, nullable=True),
        sa.Column("budgeting", sa.String(length=16), nullable=False),
        sa.Column("percentile", DECIMAL, nullable=True),
        sa.Column("severity", sa.String(length=64), nullable=True),
        sa.Column("calendar", ID, nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id", "effective_from"],
            ["agreement_versions.agreement_id", "agreement_versions.effective_from"],
            name=op.f("fk_agreement_objectives_agreement_id_effective_from_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["calendar"],
            ["calendars.id"],
            name=op.f("fk_agreement_objectives_calendar_calendars"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id",
            "effective_from",
            "objective_id",
            name=op.f("pk_agreement_objectives"),
        ),
    )
    op.create_index(op.f("ix_agreement_objectives_metric"), "agreement_objectives", ["metric"])


def downgrade() -> None:
    for table in (
        "agreement_objectives",
        "agreement_versions",
        "agreements",
        "subscriptions",
        "requirement_members",
        "node_requirements",
        "nodes",
        "api_tokens",
        "party_roles",
        "parties",
        "load_runs",
        "calendars",
    ):
        op.drop_table(table)
