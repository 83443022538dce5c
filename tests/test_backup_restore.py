"""Backups restore to the same answers (docs/deployment.md, "Backups and restore").

The example is loaded with its month of alerts, measurements, feedback and usage, closed and
billed; the database is backed up (PostgreSQL: ``pg_dump --format=custom``; SQLite: its online
backup) and restored into a new database (``pg_restore --single-transaction``); then the real
``servanda`` command gives the same SLA report, invoices, credits, incidents, measurement
summary and audit log, byte for byte, from both.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from servanda.core.access import LOCAL_ADMIN
from servanda.services import billing, closing, configuration, settlement
from servanda.services.example_month import load_example_month
from servanda.storage import migrate
from servanda.storage.database import make_engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "metro-isp"
SERVANDA = str(Path(sys.executable).parent / "servanda")
NOW = datetime(2024, 5, 3, 9, 0, tzinfo=UTC)
PERIOD = "2024-04"

ANSWERS = [
    ("report", "sla", "quai-capital", "--period", PERIOD, "--as-of", "2024-05-15T00:00:00Z"),
    ("report", "sla", "hospital", "--period", PERIOD, "--as-of", "2024-05-15T00:00:00Z"),
    ("invoice", "list"),
    ("invoice", "show", "1"),
    ("sla", "credits"),
    ("sla", "versions", "quai-capital", "--period", PERIOD),
    ("incidents", "list", "--since", "2024-04-01", "--until", "2024-05-01", "--limit", "1000"),
    ("measure", "list", "quai-internet-latency", "--since", "2024-04-01", "--until", "2024-05-01"),
    ("statement", "list"),
    ("audit", "list", "--limit", "10000"),
    ("token", "list"),
    ("db", "current"),
]
"""What is asked of both databases (each with ``--format json`` where it takes it)."""


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _server() -> str:
    return os.environ.get("SERVANDA_TEST_POSTGRES_URL") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture
def restored_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same backend, to restore into."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"servanda_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(_server()), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(_server()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(_libpq(_server()), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _fill(url: str) -> None:
    """The example, its month, closed and billed (what ``servanda demo`` stores)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        configuration.load(engine, [EXAMPLE], NOW)
        load_example_month(engine, EXAMPLE, NOW)
        closing.close_period(engine, LOCAL_ADMIN, PERIOD, NOW)
        run = billing.bill(engine, LOCAL_ADMIN, PERIOD, NOW)
        billing.issue(engine, LOCAL_ADMIN, PERIOD, NOW, run.drafts)
        settlement.settle(engine, LOCAL_ADMIN, PERIOD, NOW)
    finally:
        engine.dispose()


def _answers(url: str) -> list[str]:
    found = []
    for args in ANSWERS:
        fmt = () if args[0] == "db" else ("--format", "json")
        done = subprocess.run(
            [SERVANDA, "--db", url, *args, *fmt],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{args}: {done.stderr}"
        found.append(done.stdout)
    return found


def _back_up_and_restore(source: str, target: str, dump: Path) -> None:
    if source.startswith("sqlite"):
        source_file, target_file = make_url(source).database, make_url(target).database
        assert source_file is not None
        assert target_file is not None
        s, t = sqlite3.connect(source_file), sqlite3.connect(target_file)
        try:
            s.backup(t)
        finally:
            s.close()
            t.close()
        return
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package postgresql-client)")
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq(source)],
        check=True,
        timeout=600,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
         f"--dbname={_libpq(target)}", str(dump)],
        check=True,
        timeout=600,
    )  # fmt: skip


@pytest.mark.slow
def test_a_restored_backup_gives_the_same_answers(
    db_url: str, restored_url: str, tmp_path: Path
) -> None:
    _fill(db_url)
    before = _answers(db_url)
    assert '"number"' in before[2]  # invoices were issued
    assert '"quai-capital"' in before[0]
    _back_up_and_restore(db_url, restored_url, tmp_path / "servanda.dump")
    after = _answers(restored_url)
    for args, one, two in zip(ANSWERS, before, after, strict=True):
        assert one == two, " ".join(args)
