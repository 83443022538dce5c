"""Declared records stored as documents: the kinds of the registry of declared kinds that have
no table of their own (tariffs and the other accounting declarations).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types as they are at this revision (see servanda.storage.types).
HASH = sa.String(length=64)
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "declared_documents",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("content_hash", HASH, nullable=False),
        sa.Column("record", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_declared_documents")),
    )


def downgrade() -> None:
    op.drop_table("declared_documents")
