"""Read and check configuration in one call: the stage ``servanda check`` and ``load`` use."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from servanda.config.checks import check_all
from servanda.config.reader import ReadResult, read_paths


def load_config(paths: Iterable[str | Path]) -> ReadResult:
    """Read ``paths`` and run every check; ``result.problems`` holds all that was found,
    sorted by file and line."""
    result = read_paths(paths)
    result.problems.extend(check_all(result))
    result.problems.sort(
        key=lambda p: (p.location.file, p.location.line or 0, p.location.column or 0)
    )
    return result
