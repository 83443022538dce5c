"""Checking and loading configuration files."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from servanda.config.loader import load_config
from servanda.config.reader import ReadResult
from servanda.core.problems import InvalidInput, errors
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository, LoadSummary


def check(paths: Iterable[str | Path]) -> ReadResult:
    """Read and check configuration; nothing is stored."""
    return load_config(paths)


def load(
    engine: Engine, paths: Iterable[str | Path], now: datetime
) -> tuple[ReadResult, LoadSummary]:
    """Check, then store everything in one transaction: all or nothing.

    Raises :class:`InvalidInput` with every problem when the configuration has errors; then
    nothing is written. Loading the same files twice changes nothing.
    """
    result = load_config(paths)
    found = errors(result.problems)
    if found:
        raise InvalidInput(found)
    with transaction(engine) as session:
        summary = BundleRepository(session).save(result.bundle, sources=result.files, now=now)
    return result, summary
