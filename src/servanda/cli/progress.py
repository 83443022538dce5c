"""Progress bars of long commands (ingesting files, rating, billing), on a terminal only.

A bar is drawn on standard error when it is a terminal and ``--quiet`` is not given; in a
script, a pipe or a log file nothing is drawn, so what the command prints stays what it was.
A command asks :func:`progress_bars` for a :class:`Bars` and each piece of work for a function
told how far it has come (:meth:`Bars.add`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Protocol

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from servanda.cli.output import err

QuietOption = typer.Option(
    False,
    "--quiet",
    "-q",
    help="No progress bar (none is drawn anyway when standard error is no terminal).",
)


class Advance(Protocol):
    """Told how much of a piece of work is done (not how much more), and its new total when
    that is known only as it goes."""

    def __call__(self, done: int, total: int | None = None) -> None: ...


class Unit(Enum):
    """What a bar counts."""

    BYTES = "bytes"
    ITEMS = "items"


class Bars:
    """The bars of one command; all of them do nothing when there is no terminal."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    def add(self, label: str, total: int | None, unit: Unit = Unit.ITEMS) -> Advance:
        """A new bar for ``total`` bytes or items (None: unknown); the function moving it."""
        progress = self._progress
        if progress is None:
            return _nothing
        task = progress.add_task(label, total=total, unit=unit)

        def advance(done: int, total: int | None = None) -> None:
            if total is None:
                progress.update(task, completed=done)
            else:
                progress.update(task, completed=done, total=total)

        return advance


def _nothing(done: int, total: int | None = None) -> None:
    return None


class _Amount(ProgressColumn):
    """Bytes as bytes (1.2/3.4 MB), items as items (1200/3400)."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes = DownloadColumn()
        self._items = MofNCompleteColumn()

    def render(self, task: Task) -> Text:
        column = self._bytes if task.fields.get("unit") is Unit.BYTES else self._items
        return column.render(task)


def shown(quiet: bool) -> bool:
    """Whether bars are drawn: on a terminal, unless ``--quiet``."""
    return not quiet and err.is_terminal


@contextmanager
def progress_bars(quiet: bool = False) -> Iterator[Bars]:
    """The bars of a command (see the module), removed from the screen when it ends."""
    if not shown(quiet):
        yield Bars(None)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        _Amount(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        yield Bars(progress)
