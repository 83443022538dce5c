"""Problems are values: every stage returns what it produced and the problems it found.

A :class:`Problem` carries its location (file, line, column, and the dotted path of the field
inside the document), so the command line can print ``file:line:column: path: message`` and a
machine can read the same thing as JSON. One bad line never hides the next nine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How serious a problem is: errors stop a load, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem was found."""

    file: str = "<input>"
    """The file (or stream name) the input came from."""
    line: int | None = None
    """1-based line, when known."""
    column: int | None = None
    """1-based column, when known."""

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) in the input."""

    message: str
    """What is wrong, in words a person can act on."""
    location: Location = field(default_factory=Location)
    """Where it is."""
    path: tuple[str | int, ...] = ()
    """The field inside the document, e.g. ``("agreements", 0, "objectives", 1, "target")``."""
    severity: Severity = Severity.ERROR
    """Errors stop a load; warnings are reported and the input is used."""

    @property
    def dotted_path(self) -> str:
        """The path as ``agreements[0].objectives[1].target``."""
        out = ""
        for part in self.path:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += ("." if out else "") + part
        return out or "<document>"

    def __str__(self) -> str:
        prefix = "" if self.severity is Severity.ERROR else f"{self.severity}: "
        return f"{self.location}: {self.dotted_path}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON-compatible data."""
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "path": self.dotted_path,
            "message": self.message,
            "severity": str(self.severity),
        }


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the problems that are errors."""
    return [p for p in problems if p.severity is Severity.ERROR]


class ServandaError(Exception):
    """Base of every error Servanda raises on purpose."""


class InvalidInput(ServandaError):
    """Input was rejected; ``problems`` says every reason and where."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))


class NotFound(ServandaError):
    """A named thing does not exist (or is not visible to the caller)."""


class Conflict(ServandaError):
    """The request does not fit what is stored (a request out of its order, a session that
    ended); the API answers 409."""


class Forbidden(ServandaError):
    """The caller may not do this."""


class UnreadableRecord(ServandaError):
    """A stored record no longer validates as its domain type (the model changed under it)."""
