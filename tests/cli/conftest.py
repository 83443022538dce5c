"""Databases the commands run on: migrated by ``servanda db upgrade``, filled by ``servanda load``.

Both build on ``db_url`` (see ``tests/conftest.py``), so they run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from .cli_support import EXAMPLE, ok


@pytest.fixture
def migrated(db_url: str) -> str:
    """``db_url`` after ``servanda db upgrade``."""
    ok("db", "upgrade", db=db_url)
    return db_url


@pytest.fixture
def loaded(migrated: str) -> str:
    """``migrated`` after ``servanda load examples/metro-isp``."""
    ok("load", EXAMPLE, db=migrated)
    return migrated
