"""Running the real ``servanda`` command in-process, and the example it is run on."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from servanda.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
"""The example configuration every command is tried on."""

LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<path>[^:\n]+): .+$")
"""A problem line: ``file:line:column: path: message``."""

_runner = CliRunner(env={"SERVANDA_DATABASE_URL": None})


def run(*args: str | Path, db: str | None = None) -> Result:
    """``servanda [--db DB] ARGS…``; an exception that escapes the command fails the test."""
    argv = [str(a) for a in args]
    if db is not None:
        argv = ["--db", db, *argv]
    return _runner.invoke(app, argv, catch_exceptions=False)


def ok(*args: str | Path, db: str | None = None) -> Result:
    """Like :func:`run`, and the command must succeed."""
    result = run(*args, db=db)
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def ok_json(*args: str | Path, db: str | None = None) -> Any:
    """The parsed stdout of a successful ``ARGS… --format json``."""
    return json.loads(ok(*args, "--format", "json", db=db).stdout)


def copy_example(root: Path) -> Path:
    """A copy of the example under ``root``, to edit."""
    target = root / "metro-isp"
    shutil.copytree(EXAMPLE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def position(path: Path, marker: str, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the first ``marker`` in ``path``, moved ``offset`` columns."""
    text = path.read_text(encoding="utf-8")
    at = text.index(marker)
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1 + offset


def no_traceback(result: Result) -> None:
    """Nothing Python-internal reached the user."""
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream
        assert 'File "' not in stream
