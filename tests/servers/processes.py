"""Real ``servanda serve`` processes on free loopback ports, for tests that kill, restart and
run several servers on one database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

SERVANDA = str(Path(sys.executable).parent / "servanda")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
MONTH = EXAMPLE / "events" / "2024-04.alertmanager.jsonl"
FAST = {"SERVANDA_EVENTS_LEASE": "1s", "SERVANDA_EVENTS_TICK": "0.2s"}
"""A short lease and a fast clock, so that take-overs happen within the test."""


def cli(db: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``servanda --db DB ARGS`` in its own process; its output."""
    done = subprocess.run(
        [SERVANDA, "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def prepare(db: str) -> str:
    """Migrate, load the example and create an ingest token; the token."""
    cli(db, "db", "upgrade")
    cli(db, "load", str(EXAMPLE))
    found = json.loads(cli(db, "token", "create", "--role", "admin", "--format", "json"))
    return str(found["token"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``servanda serve`` process."""

    def __init__(
        self, db: str, token: str, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
    ) -> None:
        self.port = free_port()
        self.token = token
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in kill or stop)
        self.process = subprocess.Popen(
            [SERVANDA, "--db", db, "serve", "--port", str(self.port), *args],
            env={**os.environ, **FAST, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.output()
            try:
                if self.http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 30 s"
            time.sleep(0.1)

    def output(self) -> str:
        """What the server wrote to its standard error."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def post(self, line: str) -> dict[str, Any]:
        """Post one Alertmanager webhook body."""
        response = self.http.post(
            "/api/v1/events/alertmanager",
            content=line.encode(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def kill(self) -> None:
        """kill -9: no shutdown, no lease given up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.http.close()
        self.log.close()

    def stop(self) -> None:
        """A graceful stop (SIGTERM): snapshot saved, lease given up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.http.close()
        if not self.log.closed:
            self.log.close()


@contextmanager
def running(
    db: str, token: str, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[Server]:
    server = Server(db, token, env, args)
    try:
        yield server
    finally:
        server.stop()


def month_lines() -> list[str]:
    return MONTH.read_text(encoding="utf-8").splitlines()


def wait_applied(server: Server, timeout: float = 30) -> dict[str, Any]:
    """Wait until every journal entry is applied (the holder caught up)."""
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = server.get("/api/v1/events/log")
        if status["waiting"] == 0 and status["holder"]:
            return status
        assert time.monotonic() < deadline, f"the journal was not applied: {status}"
        time.sleep(0.1)
