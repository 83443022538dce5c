"""Running the real ``servanda`` command with its standard error on a terminal (a pseudo-
terminal), to see what it draws there: progress bars are drawn on terminals only."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

SERVANDA = str(Path(sys.executable).parent / "servanda")


def on_a_terminal(*args: str) -> tuple[int, str]:
    """Run ``servanda ARGS`` with standard error on a terminal: exit code and what it drew."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [SERVANDA, *args],
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
        )
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            drawn += chunk
        return process.wait(timeout=120), drawn.decode(errors="replace")
    finally:
        os.close(leader)
