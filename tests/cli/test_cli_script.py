"""The installed ``servanda`` script: bad input gives a message and an exit code, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .cli_support import EXAMPLE, copy_example, edit, position


def script() -> str:
    found = shutil.which("servanda") or str(Path(sys.executable).with_name("servanda"))
    assert Path(found).exists(), "the servanda console script is not installed"
    return found


def servanda(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SERVANDA_DATABASE_URL"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [script(), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
        assert 'File "' not in stream, stream


def test_help_and_a_good_check(tmp_path: Path) -> None:
    assert servanda("--help", cwd=tmp_path).returncode == 0
    done = servanda("check", EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok:")


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        pytest.param(("check", "nowhere"), 1, "no such file", id="check-missing-path"),
        pytest.param(("frobnicate",), 2, "frobnicate", id="unknown-command"),
        pytest.param(("--db", "bogus://x", "parties", "list"), 2, "not a database URL", id="url"),
        pytest.param(("--db", "not a url", "token", "list"), 2, "not a database URL", id="url2"),
        pytest.param(("parties", "list"), 1, "servanda db upgrade", id="unmigrated"),
        pytest.param(("db", "upgrade", "no-such-rev"), 2, "no-such-rev", id="bad-revision"),
        pytest.param(
            ("agreement", "show", "nobody", "--config", str(EXAMPLE)),
            1,
            "error: no customer 'nobody'",
            id="unknown-customer",
        ),
        pytest.param(
            ("agreement", "render", "hospital", "--on", "2024-02-30", "--config", str(EXAMPLE)),
            2,
            "error: not a date",
            id="bad-day",
        ),
        pytest.param(
            ("agreement", "render", "hospital", "--config", str(EXAMPLE), "--out", "no/dir/x.md"),
            2,
            "cannot write",
            id="unwritable-out",
        ),
        pytest.param(("import", "openslo", "nowhere.yaml"), 2, "cannot read", id="openslo-missing"),
    ],
)
def test_bad_input(tmp_path: Path, args: tuple[str, ...], code: int, words: str) -> None:
    done = servanda(*args, cwd=tmp_path)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert words in done.stderr
    assert_clean(done)


def test_broken_config_and_tokens_on_a_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'script.db'}"
    assert servanda("--db", db, "db", "upgrade", cwd=tmp_path).returncode == 0

    root = copy_example(tmp_path)
    hospital = root / "agreements" / "hospital.yaml"
    edit(hospital, "        target: 4.2\n", "        target: lots\n")
    line_no, column = position(hospital, "lots")
    done = servanda("--db", db, "load", root, cwd=tmp_path)
    assert done.returncode == 1
    assert_clean(done)
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{hospital}:{line_no}:{column}: ")
    assert servanda("--db", db, "parties", "list", "-f", "json", cwd=tmp_path).stdout == "[]\n"

    done = servanda("--db", db, "token", "create", "--role", "customer", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert_clean(done)

    done = servanda("--db", db, "token", "revoke", "nope", cwd=tmp_path)
    assert done.returncode == 1
    assert_clean(done)
