"""Engines and sessions.

The database is a SQLite file ``servanda.db`` in the working directory unless an explicit URL or
the environment variable ``SERVANDA_DATABASE_URL`` names another one, e.g.
``postgresql+psycopg://user@host:5432/servanda``.

JSON columns are encoded and decoded with orjson (:func:`json_dumps`, :func:`json_loads`); a
:class:`JSONText` value is JSON text already encoded (e.g. by pydantic's ``dump_json``) and is
stored as it is.

Durability on SQLite: file databases use write-ahead logging with ``synchronous = NORMAL``, the
usual setting for WAL. A commit is atomic and survives the process crashing; it is made durable
at the next checkpoint rather than at every commit, so a power loss or an operating-system crash
can lose the last transactions committed before it (never corrupt the database). Deployments
that cannot lose any acknowledged batch on power loss should use PostgreSQL (or set
``synchronous = FULL`` on their connections, at several milliseconds per commit).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///servanda.db"
"""The embedded database: a file in the working directory."""
URL_ENV = "SERVANDA_DATABASE_URL"
"""The environment variable naming the database."""


class JSONText(str):
    """JSON text already encoded: a JSON column stores it as it is instead of encoding it."""

    __slots__ = ()


_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_dumps(value: Any) -> str:
    """JSON text of ``value`` (a :class:`JSONText` as it is), as JSON columns store it."""
    if isinstance(value, JSONText):
        return value
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def _json_dumps_bytes(value: Any) -> bytes:
    """:func:`json_dumps` as UTF-8 bytes (what psycopg sends)."""
    if isinstance(value, JSONText):
        return value.encode()
    return orjson.dumps(value, option=_JSON_OPTIONS)


def json_loads(text: str | bytes) -> Any:
    """The value of JSON text read from a JSON column."""
    return orjson.loads(text)


def database_url(url: str | None = None) -> str:
    """``url`` when given, else ``$SERVANDA_DATABASE_URL``, else :data:`DEFAULT_URL`."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see :func:`database_url`); ``kwargs`` go to ``create_engine``.

    SQLite connections enforce foreign keys, wait up to 30 s for the write lock, and use
    write-ahead logging with ``synchronous = NORMAL`` (file databases; see the module's note on
    durability). JSON goes through orjson.
    """
    resolved = make_url(database_url(url))
    postgres = resolved.get_backend_name() == "postgresql"
    kwargs.setdefault("json_serializer", _json_dumps_bytes if postgres else json_dumps)
    kwargs.setdefault("json_deserializer", json_loads)
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
            # Writers wait their turn for up to 30 s (the driver's default, 5 s, fails a
            # batch of usage behind three others on a busy server).
            cursor.execute("PRAGMA busy_timeout = 30000")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return on_connect


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory for ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


_SESSIONMAKERS: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = (
    weakref.WeakKeyDictionary()
)


def _sessions(engine: Engine) -> sessionmaker[Session]:
    """The engine's one session factory (a sessionmaker makes a new Session class, which costs
    more than the short transactions of an ingestion request)."""
    found = _SESSIONMAKERS.get(engine)
    if found is None:
        found = _SESSIONMAKERS[engine] = make_sessionmaker(engine)
    return found


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on error."""
    with _sessions(engine).begin() as session:
        yield session
