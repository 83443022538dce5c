"""Helpers shared by the command modules: the database of the current invocation, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from servanda.cli.output import USAGE, fail
from servanda.ingest.generic import parse_timestamp
from servanda.storage.database import database_url, make_engine

_ENGINE = "servanda.engine"


def engine(ctx: typer.Context) -> Engine:
    """The engine for ``--db`` (or its default), one per invocation, disposed when it ends.

    A URL that names no database is a usage error.
    """
    root = ctx.find_root()
    found: Engine | None = root.meta.get(_ENGINE)
    if found is not None:
        return found
    url = database_url(getattr(root.obj, "db", None))
    try:
        found = make_engine(url)
    except ArgumentError as exc:
        fail(f"not a database URL: {_shown(url)!r} ({exc})", USAGE)
    root.meta[_ENGINE] = found
    root.call_on_close(found.dispose)
    return found


def _shown(url: str) -> str:
    """``url`` with its password masked when it parses, as little as possible otherwise."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def write_text(path: Path, text: str) -> None:
    """Write an ``--out`` file; a path that cannot be written is a usage error."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}", USAGE)


def now() -> datetime:
    """The current instant, UTC: the command line is where the clock is read."""
    return datetime.now(UTC)


AsOfOption = typer.Option(
    None,
    "--as-of",
    help="Evaluate as at this time (RFC 3339 with its offset, e.g. 2024-04-15T12:00:00Z) "
    "instead of now: a mid-period view, or a replay.",
)


def as_of(value: str | None) -> datetime:
    """The ``--as-of`` time, or now; a bad one is a usage error."""
    if value is None:
        return now()
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        fail(f"--as-of: {exc}", USAGE)


def parse_day(value: str | None) -> date:
    """A ``YYYY-MM-DD`` option, today (UTC) when absent."""
    if value is None:
        return now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"not a date: {value!r} (write YYYY-MM-DD)", USAGE)
