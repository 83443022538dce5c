"""Engines: the default database, SQLite pragmas, the column types."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select, text

from servanda.storage.database import DEFAULT_URL, URL_ENV, database_url, make_engine
from servanda.storage.types import ExactDecimal, UTCDateTime


def test_the_url_is_explicit_then_from_the_environment_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    assert database_url() == DEFAULT_URL == "sqlite:///servanda.db"
    monkeypatch.setenv(URL_ENV, "postgresql+psycopg://db/servanda")
    assert database_url() == "postgresql+psycopg://db/servanda"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_the_default_database_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    engine = make_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
    finally:
        engine.dispose()
    assert (tmp_path / "servanda.db").is_file()


def test_sqlite_enforces_foreign_keys_and_uses_wal(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_in_memory_sqlite_works() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_column_types_keep_instants_and_decimals_exact(db_url: str) -> None:
    metadata = MetaData()
    table = Table(
        "samples",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
        Column("amount", ExactDecimal()),
    )
    tokyo = timezone(timedelta(hours=9))
    values = [
        (datetime(2025, 3, 30, 1, 30, tzinfo=tokyo), Decimal("1234.56")),
        (datetime(2025, 1, 1, tzinfo=UTC), Decimal("0.000000000000000000000000001")),
        (datetime(2025, 6, 1, 23, 59, 59, 999999, tzinfo=UTC), Decimal("-12345678901234567890.12")),
        (None, None),
    ]
    engine = make_engine(db_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                insert(table),
                [{"id": i, "at": at, "amount": amount} for i, (at, amount) in enumerate(values)],
            )
        with engine.connect() as connection:
            rows = connection.execute(select(table.c.at, table.c.amount).order_by(table.c.id)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == values
    for at, amount in rows[:-1]:
        assert at.utcoffset() == timedelta(0)
        assert isinstance(amount, Decimal)
    assert str(rows[0][1]) == "1234.56"


def test_naive_datetimes_and_floats_are_refused(sqlite_url: str) -> None:
    metadata = MetaData()
    table = Table(
        "samples", metadata, Column("at", UTCDateTime()), Column("amount", ExactDecimal())
    )
    engine = make_engine(sqlite_url)
    try:
        metadata.create_all(engine)
        with pytest.raises(Exception, match="naive datetime"), engine.begin() as connection:
            connection.execute(insert(table).values(at=datetime(2025, 1, 1)))  # noqa: DTZ001
        with pytest.raises(Exception, match="expected a Decimal"), engine.begin() as connection:
            connection.execute(insert(table).values(amount=0.1))
    finally:
        engine.dispose()


_AMOUNTS = Table("amounts", MetaData(), Column("amount", ExactDecimal()))


@pytest.fixture(scope="module")
def amounts() -> Iterator[Engine]:
    """An in-memory SQLite table of exact decimals."""
    engine = make_engine("sqlite://")
    _AMOUNTS.metadata.create_all(engine)
    yield engine
    engine.dispose()


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_any_finite_decimal_survives_sqlite(amounts: Engine, value: Decimal) -> None:
    with amounts.begin() as connection:
        connection.execute(insert(_AMOUNTS), {"amount": value})
        stored = connection.execute(select(_AMOUNTS.c.amount)).scalar_one()
        connection.execute(_AMOUNTS.delete())
    assert stored == value
    assert str(stored) == str(value)
