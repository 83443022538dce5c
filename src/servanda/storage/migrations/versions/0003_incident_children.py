"""Incident symptoms and impact intervals in their own tables; the incident record keeps the
rest (its audit trail is read from ``incident_transitions``).

Existing records are split: their symptoms and intervals become rows, transitions missing from
``incident_transitions`` are added, and the three lists leave the JSON. Downgrading puts them
back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they were at this revision (see servanda.storage.types).
ID = sa.String(length=200)
INCIDENT_ID = sa.String(length=64)
STATE = sa.String(length=16)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

CHILDREN = ("symptoms", "impacted", "transitions")


def _tables() -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    meta = sa.MetaData()
    incidents = sa.Table(
        "incidents", meta, sa.Column("id", INCIDENT_ID, primary_key=True), sa.Column("record", JSON)
    )
    symptoms = sa.Table(
        "incident_symptoms",
        meta,
        sa.Column("incident_id", INCIDENT_ID),
        sa.Column("fingerprint", ID),
        sa.Column("node", ID),
        sa.Column("reason", sa.Text()),
        sa.Column("since", TIMESTAMP),
        sa.Column("until", TIMESTAMP),
    )
    impacts = sa.Table(
        "incident_impacts",
        meta,
        sa.Column("incident_id", INCIDENT_ID),
        sa.Column("node", ID),
        sa.Column("seq", sa.Integer()),
        sa.Column("kind", STATE),
        sa.Column("fraction", sa.Double()),
        sa.Column("since", TIMESTAMP),
        sa.Column("until", TIMESTAMP),
        sa.Column("reason", sa.Text()),
    )
    transitions = sa.Table(
        "incident_transitions",
        meta,
        sa.Column("incident_id", INCIDENT_ID),
        sa.Column("seq", sa.Integer()),
        sa.Column("from_state", STATE),
        sa.Column("to_state", STATE),
        sa.Column("at", TIMESTAMP),
        sa.Column("by", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("on_behalf_of", ID),
    )
    return incidents, symptoms, impacts, transitions


def _time(value: Any) -> datetime | None:
    """A timestamp from the record's JSON (ISO text), or a stored column value, in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # SQLite keeps UTC wall time
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _bind_time(value: datetime | None, sqlite: bool) -> datetime | None:
    if value is None or not sqlite:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _document(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str | bytes) else value)


def upgrade() -> None:
    op.create_table(
        "incident_symptoms",
        sa.Column("incident_id", INCIDENT_ID, nullable=False),
        sa.Column("fingerprint", ID, nullable=False),
        sa.Column("node", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.Column("until", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_symptoms_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "fingerprint", name=op.f("pk_incident_symptoms")),
    )
    op.create_table(
        "incident_impacts",
        sa.Column("incident_id", INCIDENT_ID, nullable=False),
        sa.Column("node", ID, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", STATE, nullable=False),
        sa.Column("fraction", sa.Double(), nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.Column("until", TIMESTAMP, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_impacts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "node", "seq", name=op.f("pk_incident_impacts")),
    )
    _split_records()


def _split_records() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    incidents, symptoms, impacts, transitions = _tables()
    stored_trail = {
        (r.incident_id, r.seq)
        for r in connection.execute(sa.select(transitions.c.incident_id, transitions.c.seq))
    }
    for row in connection.execute(sa.select(incidents.c.id, incidents.c.record)).all():
        record = _document(row.record)
        sym = [
            {
                "incident_id": row.id,
                "fingerprint": s["fingerprint"],
                "node": s["node"],
                "reason": s["reason"],
                "since": _bind_time(_time(s["since"]), sqlite),
                "until": _bind_time(_time(s.get("until")), sqlite),
            }
            for s in {s["fingerprint"]: s for s in record.get("symptoms", [])}.values()
        ]
        seqs: dict[str, int] = {}
        imp = []
        for i in record.get("impacted", []):
            seq = seqs[i["node"]] = seqs.get(i["node"], -1) + 1
            imp.append(
                {
                    "incident_id": row.id,
                    "node": i["node"],
                    "seq": seq,
                    "kind": i["kind"],
                    "fraction": float(i["fraction"]),
                    "since": _bind_time(_time(i["since"]), sqlite),
                    "until": _bind_time(_time(i.get("until")), sqlite),
                    "reason": i.get("reason", ""),
                }
            )
        trail = [
            {
                "incident_id": row.id,
                "seq": n,
                "from_state": t.get("from_state"),
                "to_state": t["to_state"],
                "at": _bind_time(_time(t["at"]), sqlite),
                "by": t["by"],
                "note": t.get("note", ""),
                "on_behalf_of": t.get("on_behalf_of"),
            }
            for n, t in enumerate(record.get("transitions", []))
            if (row.id, n) not in stored_trail
        ]
        for table, rows in ((symptoms, sym), (impacts, imp), (transitions, trail)):
            if rows:
                connection.execute(table.insert(), rows)
        slim = {k: v for k, v in record.items() if k not in CHILDREN}
        connection.execute(incidents.update().where(incidents.c.id == row.id).values(record=slim))


def downgrade() -> None:
    connection = op.get_bind()
    incidents, symptoms, impacts, transitions = _tables()
    by_incident: dict[str, dict[str, list[Any]]] = {}

    def rows_of(table: sa.Table, order: Sequence[str]) -> None:
        query = sa.select(table).order_by(*(table.c[c] for c in order))
        key = {"incident_symptoms": "symptoms", "incident_impacts": "impacted"}.get(
            table.name, "transitions"
        )
        for r in connection.execute(query).mappings():
            data = {k: v for k, v in r.items() if k not in ("incident_id", "seq")}
            for name in ("since", "until", "at"):
                if name in data:
                    data[name] = _text(_time(data[name]))
            by_incident.setdefault(r["incident_id"], {}).setdefault(key, []).append(data)

    rows_of(symptoms, ("incident_id", "since", "node", "fingerprint"))
    rows_of(impacts, ("incident_id", "node", "seq"))
    rows_of(transitions, ("incident_id", "seq"))
    for row in connection.execute(sa.select(incidents.c.id, incidents.c.record)).all():
        record = _document(row.record)
        children = by_incident.get(row.id, {})
        for name in CHILDREN:
            record[name] = children.get(name, [])
        connection.execute(incidents.update().where(incidents.c.id == row.id).values(record=record))
    op.drop_table("incident_impacts")
    op.drop_table("incident_symptoms")
