"""Printing for people (Rich) and for scripts (JSON), and the exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from servanda.core.problems import Problem, Severity

OK, PROBLEMS, USAGE = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    """Output formats of data-printing commands."""

    TEXT = "text"
    JSON = "json"


FormatOption = typer.Option(
    Format.TEXT, "--format", "-f", help="text for people, json for scripts."
)


def print_json(data: Any) -> None:
    """Print data as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_problems(problems: Iterable[Problem]) -> None:
    """Print problems as ``file:line:column: path: message``, one a line, on stderr."""
    for p in problems:
        style = "yellow" if p.severity is Severity.WARNING else "red"
        err.print(str(p), style=style, markup=False)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a table for people."""
    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")  # ids are copied from here: wrap, never cut
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    out.print(t)


def fail(message: str, code: int = PROBLEMS) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    err.print(f"error: {message}", style="red", markup=False)
    raise typer.Exit(code)
