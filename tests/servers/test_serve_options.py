"""``servanda serve`` as deployed: options from the environment, JSON logs, several workers,
and one line when the port is taken."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

from .processes import SERVANDA, cli, running


def _token(db: str) -> str:
    cli(db, "db", "upgrade")
    found = json.loads(cli(db, "token", "create", "--role", "admin", "--format", "json"))
    return str(found["token"])


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def test_a_taken_port_is_one_line_and_exit_1(sqlite_url: str) -> None:
    token = _token(sqlite_url)
    with running(sqlite_url, token, env={"SERVANDA_LOG_FORMAT": "json"}) as first:
        first.get("/api/v1/me")
        second = subprocess.run(
            [SERVANDA, "--db", sqlite_url, "serve"],
            env={**os.environ, "SERVANDA_PORT": str(first.port)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert second.stdout == ""
        assert second.stderr.splitlines() == [
            f"error: port {first.port} on 127.0.0.1 is already in use"
        ]
        logged = _json_lines(first.output())
    assert {e["level"] for e in logged} <= {"info", "warning"}
    assert all({"time", "level", "logger", "message", "pid"} <= e.keys() for e in logged)
    access = [e for e in logged if e["logger"] == "uvicorn.access"]
    assert {(e["method"], e["path"], e["status"]) for e in access} >= {
        ("GET", "/healthz", 200),
        ("GET", "/api/v1/me", 200),
    }
    assert any(e["message"].startswith("Application startup complete") for e in logged)


def test_workers_serve_from_the_environment(sqlite_url: str) -> None:
    token = _token(sqlite_url)
    env = {"SERVANDA_WORKERS": "2", "SERVANDA_LOG_FORMAT": "json", "SERVANDA_DATABASE_URL": ""}
    with running(sqlite_url, token, env=env) as server:
        for _ in range(20):
            assert server.get("/api/v1/me")["role"] == "admin"
        deadline = time.monotonic() + 60  # the first worker up answers; the other may be late
        while True:
            logged = _json_lines(server.output())
            started = {e["pid"] for e in logged if e["message"].startswith("Started server")}
            if len(started) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert len(started) == 2
    assert any(e["message"].startswith("Started parent process") for e in logged)


def test_text_logs_by_default(sqlite_url: str) -> None:
    token = _token(sqlite_url)
    with running(sqlite_url, token) as server:
        text = server.output()
    assert "Application startup complete." in text
    assert not text.lstrip().startswith("{")
