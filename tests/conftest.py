"""Shared database fixtures: every storage-backed test runs on SQLite and on PostgreSQL.

* ``db_backend`` — ``"sqlite"`` or ``"postgresql"``; tests using any fixture below run once per
  backend (ids ``[sqlite]`` and ``[postgresql]``; the PostgreSQL ones carry the ``postgres``
  mark, so ``-m "not postgres"`` leaves them out).
* ``db_url`` — a fresh, empty (unmigrated) database for this test alone, dropped afterwards.
* ``engine`` — an engine on a database migrated with :func:`servanda.storage.migrate.upgrade`
  once per session and backend; every table is emptied after each test, so commit freely but
  close your sessions.
* ``session`` — a session on ``engine``, closed (uncommitted work rolled back) after the test.
* ``sqlite_url`` — a fresh, empty SQLite file, for tests that need no PostgreSQL variant.

PostgreSQL: ``$SERVANDA_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) names the server and a maintenance
database; each test database is created there under a unique name and dropped at the end, so
parallel runs do not meet. When the server is unreachable the PostgreSQL variants are skipped
with one summary line, or fail when ``SERVANDA_REQUIRE_POSTGRES=1`` (as in CI).

Event-time order: tests take the correlator's input as it arrives (``SERVANDA_EVENTS_LATENESS``
of zero, unless the environment says otherwise), so an ingested alert's incident is there at
once; the tests of the order itself (``tests/services/test_event_time_order.py``, and the real
servers in ``tests/servers/test_event_order_server.py``) set the lateness they test.

Property tests: with ``CI`` set (as ``.ci/run`` does), hypothesis runs derandomized, so a CI
run replays the same examples every time; developers' runs keep exploring new ones (and
hypothesis keeps the failures it finds in ``.hypothesis/`` to replay them first).
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from servanda.storage.database import make_engine, make_sessionmaker
from servanda.storage.migrate import upgrade
from servanda.storage.tables import Base

os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "0s")

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_URL_ENV = "SERVANDA_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "SERVANDA_REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

_postgres_skipped: list[str] = []
_postgres_errors: list[str] = []


def _postgres_server() -> URL:
    return make_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def _postgres_unreachable() -> str | None:
    """Why the test server cannot be used, or None when it can."""
    server = _postgres_server()
    try:
        psycopg.connect(_libpq(server), connect_timeout=3).close()
    except psycopg.Error as error:
        _postgres_errors.append(str(error).strip() or type(error).__name__)
        return f"PostgreSQL not reachable at {server.host}:{server.port or 5432}"
    return None


def _create_postgres_database() -> str:
    server = _postgres_server()
    name = f"servanda_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    if name is None or not name.startswith("servanda_test_"):
        raise ValueError(f"refusing to drop {name!r}, not a test database")
    with psycopg.connect(_libpq(_postgres_server()), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once why the PostgreSQL variants did not run."""
    if _postgres_skipped:
        terminalreporter.write_line(
            f"{_postgres_skipped[0]}: PostgreSQL tests skipped "
            f"(set {POSTGRES_URL_ENV} to use another server)",
            yellow=True,
        )


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def db_backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: ``sqlite`` or ``postgresql``."""
    backend: str = request.param
    if backend == "postgresql":
        problem = _postgres_unreachable()
        if problem is not None:
            if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
                pytest.fail(
                    f"{problem}: {_postgres_errors[-1]}\n{REQUIRE_POSTGRES_ENV}=1 requires it",
                    pytrace=False,
                )
            _postgres_skipped.append(problem)
            pytest.skip(problem)
    return backend


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, empty SQLite database file."""
    return f"sqlite:///{tmp_path / 'servanda.db'}"


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of ``db_backend`` for this test alone."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'servanda.db'}"
        return
    url = _create_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(url)


@pytest.fixture(scope="session")
def migrated_db_url(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of ``db_backend`` migrated to head, shared by the session."""
    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'servanda.db'}"
        upgrade(url)
        yield url
        return
    url = _create_postgres_database()
    try:
        upgrade(url)
        yield url
    finally:
        _drop_postgres_database(url)


@pytest.fixture(scope="session")
def _session_engine(migrated_db_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_session_engine: Engine) -> Iterator[Engine]:
    """An engine on the migrated database; every table is emptied after the test."""
    yield _session_engine
    with _session_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # A session left open by the test would otherwise block this forever.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; closed after the test, rolling back what was not committed."""
    with make_sessionmaker(engine)() as session:
        yield session
