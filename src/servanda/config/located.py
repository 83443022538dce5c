"""Where a declared record came from, for the cross-record checks' problems."""

from __future__ import annotations

from collections.abc import Iterator

from servanda.config.reader import Origin, ReadResult
from servanda.core.problems import Location, Problem


def origins(result: ReadResult, section: str, count: int) -> Iterator[tuple[int, Origin | None]]:
    """Each record of ``section`` with the place it was read from."""
    for i in range(count):
        yield i, result.origin(section, i)


def located(origin: Origin | None, field: tuple[str | int, ...], message: str) -> Problem:
    """A problem at ``field`` of the record read at ``origin``."""
    if origin is None:
        return Problem(message, Location(), field)
    return origin.problem(field, message)
