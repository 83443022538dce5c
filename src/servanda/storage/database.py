"""Engines and sessions.

The database is a SQLite file ``servanda.db`` in the working directory unless an explicit URL or
the environment variable ``SERVANDA_DATABASE_URL`` names another one, e.g.
``postgresql+psycopg://user@host:5432/servanda``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///servanda.db"
"""The embedded database: a file in the working directory."""
URL_ENV = "SERVANDA_DATABASE_URL"
"""The environment variable naming the database."""


def database_url(url: str | None = None) -> str:
    """``url`` when given, else ``$SERVANDA_DATABASE_URL``, else :data:`DEFAULT_URL`."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see :func:`database_url`); ``kwargs`` go to ``create_engine``.

    SQLite connections enforce foreign keys and use write-ahead logging (file databases).
    """
    resolved = make_url(database_url(url))
    engine = create_engine(resolved, **kwargs)
    if engine.dialect.name == "sqlite":
        in_memory = resolved.database in (None, "", ":memory:")
        event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
    return engine


def _sqlite_pragmas(*, wal: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    return on_connect


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory for ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on error."""
    with make_sessionmaker(engine).begin() as session:
        yield session
