"""``servanda measure ingest`` streams its files: memory bounded whatever the file's size, the
same measurements stored as reading the whole file, still all or nothing with located problems,
and a progress bar only on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from servanda.core.access import LOCAL_ADMIN
from servanda.ingest.measurements import read_measurement_file, stream_measurement_file
from servanda.services import measurements as cases
from servanda.storage.database import make_engine
from servanda.storage.repositories.measurements import MEASUREMENTS

from .cli_support import EXAMPLE, ok, run
from .terminal import on_a_terminal

SERVANDA = str(Path(sys.executable).parent / "servanda")
START = datetime(2024, 4, 1, tzinfo=UTC)
MIB = 1024


def latency_file(path: Path, rows: int, bad_at: int | None = None) -> Path:
    """``rows`` latency measurements a second apart; line ``bad_at`` (if any) has no value."""
    with path.open("w", encoding="utf-8") as f:
        f.write("series,at,value\n")
        for i in range(rows):
            at = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            value = "" if bad_at == i + 2 else f"{2 + (i % 1000) / 1000:.3f}"
            f.write(f"quai-internet-latency,{at},{value}\n")
    return path


def peak_kib(*args: str) -> int:
    """The peak resident set size (KiB) of ``servanda ARGS``, run in a process of its own."""
    code = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, SERVANDA, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "SERVANDA_DATABASE_URL"},
    )
    code_, peak = done.stdout.split()
    assert code_ == "0", done.stderr
    return int(peak)


def stored(url: str) -> list[tuple[Any, ...]]:
    """Every stored measurement but when it was stored, by key."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            columns = [c for c in MEASUREMENTS.c if c.name != "stored_at"]
            return [tuple(r) for r in connection.execute(select(*columns).order_by("key"))]
    finally:
        engine.dispose()


@pytest.fixture
def example_db(sqlite_url: str) -> str:
    """The example loaded on SQLite (what is measured here is the reading, not the database)."""
    ok("db", "upgrade", db=sqlite_url)
    ok("load", EXAMPLE, db=sqlite_url)
    return sqlite_url


def test_memory_stays_bounded_as_the_file_grows(example_db: str, tmp_path: Path) -> None:
    loaded = example_db
    small = latency_file(tmp_path / "small.csv", 30_000)
    large = latency_file(tmp_path / "large.csv", 300_000)
    first = peak_kib("--db", loaded, "measure", "ingest", str(small))
    second = peak_kib("--db", loaded, "measure", "ingest", str(large))
    # Holding the file would take some 300 MiB more for the 270,000 more rows; a stream holds
    # one batch of 50,000 whatever the file's length.
    assert second - first < 100 * MIB, (first, second)
    summary = ok("measure", "list", "quai-internet-latency", "--since", "2024-04-01",
                 "--until", "2024-04-10", "--format", "json", db=loaded)  # fmt: skip
    assert '"count": 300000' in summary.stdout


def test_the_stream_stores_what_the_whole_file_stored(db_url: str, tmp_path: Path) -> None:
    """The example's files, in batches of 1,000, against the whole file read at once."""
    other = f"sqlite:///{tmp_path / 'whole.db'}"
    for url in (db_url, other):
        ok("db", "upgrade", db=url)
        ok("load", EXAMPLE, db=url)
    files = sorted((EXAMPLE / "measurements").glob("*.csv"))
    now = datetime(2024, 5, 1, tzinfo=UTC)
    streamed, whole = make_engine(db_url), make_engine(other)
    try:
        series = cases.series_by_id(streamed)
        for path in files:
            batches = stream_measurement_file(path, series_by_id=series, batch=1000)
            one = cases.ingest_measurement_stream(streamed, LOCAL_ADMIN, batches, now)
            found, problems = read_measurement_file(path, series_by_id=series)
            assert problems == []
            two = cases.ingest_measurements(whole, LOCAL_ADMIN, found, now)
            assert one == two
    finally:
        streamed.dispose()
        whole.dispose()
    left, right = stored(db_url), stored(other)
    assert len(left) > 20_000
    if db_url.startswith("sqlite"):
        assert left == right
    else:  # the same keys, series and instants; values compare as decimals
        assert [r[:3] for r in left] == [r[:3] for r in right]


def test_a_bad_line_late_in_a_long_file_stores_nothing(loaded: str, tmp_path: Path) -> None:
    path = latency_file(tmp_path / "late.csv", 120_000, bad_at=110_000)
    result = run("measure", "ingest", path, db=loaded)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:110000: <document>: a measurement needs a value, good and total, or sent_at "
        "and received_at"
    ]
    summary = ok("measure", "list", "quai-internet-latency", "--since", "2024-04-01",
                 "--until", "2024-04-10", "--format", "json", db=loaded)  # fmt: skip
    assert '"count": 0' in summary.stdout


def test_a_progress_bar_on_a_terminal_only(example_db: str, tmp_path: Path) -> None:
    loaded = example_db
    path = latency_file(tmp_path / "bar.csv", 60_000)
    code, drawn = on_a_terminal("--db", loaded, "measure", "ingest", str(path))
    assert code == 0
    assert "bar.csv" in drawn
    assert "MB" in drawn  # bytes read of the file's
    code, drawn = on_a_terminal("--db", loaded, "measure", "ingest", "--quiet", str(path))
    assert (code, drawn) == (0, "")
    piped = run("measure", "ingest", path, db=loaded)
    assert piped.exit_code == 0
    assert piped.stderr == ""
