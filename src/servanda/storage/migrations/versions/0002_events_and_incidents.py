"""Events and incidents: label-to-node mappings, received events, alert states, incidents,
their audit trail and outages, and the version of the stored correlation state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they were at this revision (see servanda.storage.types).
ID = sa.String(length=200)
INCIDENT_ID = sa.String(length=64)
HASH = sa.String(length=64)
STATE = sa.String(length=16)
TIMESTAMP = sa.DateTime(timezone=True)
DECIMAL = sa.String(length=64).with_variant(sa.Numeric(), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "node_mappings",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("match", JSON, nullable=False),
        sa.Column("node", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_node_mappings")),
    )
    op.create_table(
        "events",
        sa.Column("key", HASH, nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("status", STATE, nullable=False),
        sa.Column("severity", STATE, nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("node", ID, nullable=True),
        sa.Column("generator_url", sa.Text(), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_events")),
    )
    op.create_index("ix_events_node_received_at", "events", ["node", "received_at"])
    op.create_index("ix_events_starts_at", "events", ["starts_at"])

    op.create_table(
        "alerts",
        sa.Column("fingerprint", ID, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("node", ID, nullable=True),
        sa.Column("status", STATE, nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("incident_id", INCIDENT_ID, nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_incident_id"), "alerts", ["incident_id"])
    op.create_index(op.f("ix_alerts_last_seen"), "alerts", ["last_seen"])
    op.create_index(op.f("ix_alerts_node"), "alerts", ["node"])

    op.create_table(
        "incidents",
        sa.Column("id", INCIDENT_ID, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("root", ID, nullable=True),
        sa.Column("severity", STATE, nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("detected_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("merged_into", INCIDENT_ID, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_detected_at"), "incidents", ["detected_at"])
    op.create_index(op.f("ix_incidents_root"), "incidents", ["root"])
    op.create_index(op.f("ix_incidents_state"), "incidents", ["state"])

    op.create_table(
        "incident_transitions",
        sa.Column("incident_id", INCIDENT_ID, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("from_state", STATE, nullable=True),
        sa.Column("to_state", STATE, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("on_behalf_of", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_transitions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "seq", name=op.f("pk_incident_transitions")),
    )
    op.create_index(op.f("ix_incident_transitions_at"), "incident_transitions", ["at"])

    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", INCIDENT_ID, nullable=False),
        sa.Column("service", ID, nullable=False),
        sa.Column("customer", ID, nullable=True),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=True),
        sa.Column("fraction", DECIMAL, nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_outages_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    op.create_index(op.f("ix_outages_incident_id"), "outages", ["incident_id"])
    op.create_index("ix_outages_service_starts_at", "outages", ["service", "starts_at"])
    op.create_index("ix_outages_customer_starts_at", "outages", ["customer", "starts_at"])

    op.create_table(
        "event_engine",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_engine")),
    )


def downgrade() -> None:
    op.drop_table("event_engine")
    op.drop_table("outages")
    op.drop_table("incident_transitions")
    op.drop_table("incidents")
    op.drop_table("alerts")
    op.drop_table("events")
    op.drop_table("node_mappings")
