"""Helpers shared by the command modules: the database of the current invocation, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer
from sqlalchemy import Engine

from servanda.cli.output import USAGE, fail
from servanda.storage.database import make_engine


def engine(ctx: typer.Context) -> Engine:
    """The engine for ``--db`` (or its default)."""
    settings = ctx.find_root().obj
    return make_engine(getattr(settings, "db", None))


def now() -> datetime:
    """The current instant, UTC: the command line is where the clock is read."""
    return datetime.now(UTC)


def parse_day(value: str | None) -> date:
    """A ``YYYY-MM-DD`` option, today (UTC) when absent."""
    if value is None:
        return now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"not a date: {value!r} (write YYYY-MM-DD)", USAGE)
