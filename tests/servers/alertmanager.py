"""A real Prometheus Alertmanager on a free loopback port, whose webhook receiver is a Servanda
server, for end-to-end tests and ``bench/bench_alertmanager.py``.

The binary is Debian's (``/usr/bin/prometheus-alertmanager``, package ``prometheus-alertmanager``,
installed by ``make test`` and ``make bench`` as root); ``$SERVANDA_ALERTMANAGER`` names another
one. Clustering is off (no gossip port) and the state lives in a temporary directory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

BINARY_ENV = "SERVANDA_ALERTMANAGER"
REQUIRE_ENV = "SERVANDA_REQUIRE_ALERTMANAGER"
DEFAULT_BINARY = "/usr/bin/prometheus-alertmanager"


def binary() -> str:
    return os.environ.get(BINARY_ENV) or DEFAULT_BINARY


def missing() -> str | None:
    """Why no Alertmanager can be run here, or None when one can."""
    path = binary()
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return (
        f"Alertmanager not installed: no executable {path} (Debian package "
        f"prometheus-alertmanager, which `make test` installs as root; or set {BINARY_ENV})"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stamp(at: datetime) -> str:
    """RFC 3339 with milliseconds, as Prometheus writes times."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def config(
    webhook_url: str,
    token: str,
    *,
    group_by: Sequence[str] = ("alertname", "instance"),
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
) -> dict[str, Any]:
    """The receiver configuration of ``docs/api.md``, with short timers."""
    return {
        "route": {
            "receiver": "servanda",
            "group_by": list(group_by),
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [
            {
                "name": "servanda",
                "webhook_configs": [
                    {
                        "url": webhook_url,
                        "send_resolved": True,
                        "max_alerts": 0,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
                    }
                ],
            }
        ],
    }


class Alertmanager:
    """One Alertmanager process. Use :func:`running` so that it is always stopped."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="servanda-alertmanager-")
        root = Path(self.dir.name)
        # JSON is YAML: the configuration file is written as JSON.
        (root / "alertmanager.yml").write_text(json.dumps(settings), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (root / "alertmanager.log").open("w+b")
        try:
            self.process = subprocess.Popen(
                [
                    binary(),
                    f"--config.file={root / 'alertmanager.yml'}",
                    f"--storage.path={root / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--cluster.listen-address=",  # no cluster, no gossip port
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.log,
            )
        except OSError:
            self.log.close()
            self.dir.cleanup()
            raise
        self.http = httpx.Client(base_url=self.url, timeout=30)
        try:
            deadline = time.monotonic() + 20
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"Alertmanager stopped while starting:\n{self.output()}")
                try:
                    if self.http.get("/-/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Alertmanager did not start in 20 s:\n{self.output()}")
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        """What Alertmanager logged (warnings and errors)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def push(self, alerts: list[dict[str, Any]], client: httpx.Client | None = None) -> None:
        """``POST /api/v2/alerts``, as Prometheus sends its alerts."""
        response = (client or self.http).post(self.url + "/api/v2/alerts", json=alerts)
        if response.status_code != 200:
            raise RuntimeError(f"Alertmanager answered {response.status_code}: {response.text}")

    def alerts(self) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``: the alerts Alertmanager holds, with their fingerprints."""
        response = self.http.get("/api/v2/alerts")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def notifications(self) -> tuple[int, int]:
        """Webhook notifications sent so far: (succeeded or not, failed), from ``/metrics``."""
        text = self.http.get("/metrics").text
        total = failed = 0.0
        for line in text.splitlines():
            if 'integration="webhook"' not in line:
                continue
            if line.startswith("alertmanager_notifications_total"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith("alertmanager_notifications_failed_total"):
                failed += float(line.rsplit(" ", 1)[1])
        return int(total), int(failed)

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        self.dir.cleanup()


@contextmanager
def running(settings: dict[str, Any]) -> Iterator[Alertmanager]:
    manager = Alertmanager(settings)
    try:
        yield manager
    finally:
        manager.stop()
