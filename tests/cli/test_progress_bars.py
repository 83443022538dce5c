"""Long commands draw a progress bar on a terminal, and nothing in a script or with --quiet:
``usage ingest``, ``rate`` and ``bill`` (``measure ingest``: test_measure_stream.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_support import EXAMPLE, ok, run
from .terminal import on_a_terminal

CALLS = EXAMPLE / "usage" / "2024-04.calls.csv"


@pytest.fixture
def example_db(sqlite_url: str) -> str:
    ok("db", "upgrade", db=sqlite_url)
    ok("load", EXAMPLE, db=sqlite_url)
    return sqlite_url


def test_usage_ingest_and_bill(example_db: str) -> None:
    code, drawn = on_a_terminal("--db", example_db, "usage", "ingest", str(CALLS))
    assert code == 0
    assert CALLS.name in drawn
    code, drawn = on_a_terminal("--db", example_db, "bill", "--period", "2024-04")
    assert code == 0
    assert "billing 2024-04" in drawn
    code, drawn = on_a_terminal("--db", example_db, "bill", "--period", "2024-04", "-q")
    assert (code, drawn) == (0, "")
    piped = run("bill", "--period", "2024-04", db=example_db)
    assert (piped.exit_code, piped.stderr) == (0, "")


def test_rate(tmp_path: Path) -> None:
    rated = tmp_path / "rated.parquet"
    args = ("rate", "--tariffs", str(EXAMPLE), "--usage", str(CALLS), "--out", str(rated))
    code, drawn = on_a_terminal(*args)
    assert code == 0
    assert f"rating {CALLS.name}" in drawn
    assert on_a_terminal(*args, "--quiet") == (0, "")
    piped = run(*args)
    assert (piped.exit_code, piped.stderr) == (0, "")
