"""The example's month of usage is stored and rated by what ``servanda demo`` loads, once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.ingest.usage_files import read_usage_file
from servanda.services import configuration, usage

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 2, tzinfo=UTC)


def test_the_example_usage_is_stored_rated_and_charged_once(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    [path] = sorted((EXAMPLE / "usage").glob("*.csv"))
    records, problems = read_usage_file(path)
    assert problems == []
    first = usage.ingest_usage(engine, LOCAL_ADMIN, records, NOW, origins=str(path))
    assert (first.stored, first.rated, first.not_rated) == (80, 80, 0)
    # the same sum servanda rate gives for the file (docs and README show it)
    assert first.charged == {"EUR": Decimal("58.1787")}
    again = usage.ingest_usage(engine, LOCAL_ADMIN, records, NOW, origins=str(path))
    assert (again.stored, again.unchanged, again.charged) == (0, 80, {})
