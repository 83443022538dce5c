"""Migrations: they build the schema the tables declare, on every backend."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from servanda.storage import migrate
from servanda.storage.database import make_engine
from servanda.storage.tables import Base


def test_upgrade_an_empty_database_to_head(db_url: str) -> None:
    assert migrate.current(db_url) is None
    assert migrate.upgrade(db_url) == migrate.head()
    assert migrate.current(db_url) == migrate.head()
    assert migrate.is_up_to_date(db_url)


def test_upgrade_twice_changes_nothing(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert migrate.upgrade(db_url) == migrate.head()


def test_migrations_match_the_tables(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_downgrade_to_base_removes_every_table(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert migrate.downgrade(db_url, "base") is None
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_ship_inside_the_package() -> None:
    assert (migrate.MIGRATIONS / "env.py").is_file()
    assert (migrate.MIGRATIONS / "script.py.mako").is_file()
    assert list((migrate.MIGRATIONS / "versions").glob("*.py"))
    assert Path(migrate.__file__).parent == migrate.MIGRATIONS.parent
