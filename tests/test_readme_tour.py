"""The README's tour runs as written: its shell block, run by bash in a fresh directory (the
repository's examples and virtualenv linked in), creates servanda.db, serves the API on a free
port and stops it, and every command exits 0."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEFAULT_ADDRESS = "127.0.0.1:8000"


def tour() -> str:
    """The shell block of the section "A short tour"."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## A short tour") :]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the tour has no ```sh block"
    return found.group(1)


def commands(block: str) -> list[str]:
    """The tour's commands, one a logical line (continuations joined, comments dropped)."""
    joined = re.sub(r"\\\n|\|\n", lambda m: " | " if m.group().startswith("|") else " ", block)
    found = []
    for line in joined.splitlines():
        code = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if code:
            found.append(code)
    return found


def test_the_tour_names_files_that_exist() -> None:
    named = re.findall(r"(examples/[\w./*-]+)", tour())
    assert named
    for name in named:
        assert list(ROOT.glob(name)), f"the tour names {name}, which does not exist"


def test_the_tour_sets_what_it_uses() -> None:
    found = commands(tour())
    assert any(c.startswith("TOKEN=$(servanda token create") for c in found)
    assert any(c.startswith("servanda serve &") for c in found)
    assert found[-1] == "kill %1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_tour_runs(tmp_path: Path) -> None:
    activate = Path(sys.prefix) / "bin" / "activate"
    missing = [t for t in ("bash", "curl", "python3") if shutil.which(t) is None]
    if missing or not activate.exists():
        pytest.skip(f"the tour needs bash, curl, python3 and a virtualenv ({missing})")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    port = _free_port()
    block = tour().replace(DEFAULT_ADDRESS, f"127.0.0.1:{port}")
    script = tmp_path / "tour.sh"
    script.write_text(
        "set -euo pipefail\n"
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
        "trap 'echo \"the tour failed at line $((LINENO - 3)): $BASH_COMMAND\" >&2' ERR\n"
        + block
        + "echo 'the tour ran'\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVANDA_")}
    env["SERVANDA_PORT"] = str(port)
    done = subprocess.run(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    failed = [line for line in done.stderr.splitlines() if "the tour failed" in line]
    assert done.returncode == 0, failed or done.stderr[-3000:]
    assert done.stdout.rstrip().endswith("the tour ran")
    assert (tmp_path / "servanda.db").exists()
    for written in ("quai-2024-04.pdf", "slo-rules.yaml", "rated.parquet", "invoice.pdf"):
        assert (tmp_path / written).stat().st_size > 0, written
    assert '"customer":"hospital"' in done.stdout  # what curl read from the server
