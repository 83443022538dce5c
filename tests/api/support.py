"""What the API tests share besides fixtures: the declaration, the clock, token helpers.

The declaration: provider ``metro``; customers ``alpha`` (internet and voice) and ``beta``
(internet); a corporate agreement, a customer agreement for each customer, and two versions
of ``alpha-internet`` (availability 99.9 % from 2024-01-01, 99.95 % from 2024-06-01).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from servanda.api.server import make_server
from servanda.api.settings import ApiSettings

NOW = datetime(2024, 7, 1, 9, 30, tzinfo=UTC)
"""The clock of every API test."""

CONFIG = """\
parties:
  - {id: metro, name: Metro Fibre, roles: [provider], contact: noc@metro.example}
  - {id: alpha, name: Alpha Trading, roles: [customer], contact: it@alpha.example}
  - {id: beta, name: Beta Bakery, roles: [customer]}
calendars:
  - {id: ops, timezone: Europe/Paris, name: Network operations}
components:
  - {id: router-1, kind: router, calendar: ops, site: Saint-Denis}
  - {id: router-2, kind: router, calendar: ops, site: Aubervilliers}
services:
  - id: internet
    name: Internet Access
    provider: metro
    calendar: ops
    description: Fibre Internet access.
    depends_on:
      - {any_of: [router-1, router-2]}
  - {id: voice, name: Voice, provider: metro, calendar: ops, depends_on: [router-1]}
subscriptions:
  - {customer: alpha, service: internet, start: 2024-01-01, monthly_charge: "100.10"}
  - {customer: alpha, service: voice, start: 2024-01-01, monthly_charge: "20.00"}
  - {customer: beta, service: internet, start: 2024-01-01, monthly_charge: "50.00"}
agreements:
  - id: metro-terms
    level: corporate
    provider: metro
    title: Metro general terms
    effective_from: 2024-01-01
    calendar: ops
    objectives:
      - {metric: availability, target: 99.5%}
      - {metric: mttr, target: 4h}
    responsibilities:
      fault_reporting: customer
      pays_credits: provider
      severities:
        - {severity: critical, response: 15m, resolution: 4h}
    credits:
      tiers: [{below: 99.9%, credit: 10%}, {below: 99%, credit: 25%}]
      cap: "50"
    policies:
      - {id: security, title: Security, text: Passwords have at least 8 characters.}
  - id: alpha
    level: customer
    provider: metro
    customer: alpha
    title: Alpha customer terms
    effective_from: 2024-01-01
    responsibilities: {fault_reporting: both}
  - id: alpha-internet
    level: service
    provider: metro
    customer: alpha
    service: internet
    title: Alpha internet
    effective_from: 2024-01-01
    objectives:
      - {metric: availability, target: 99.9%}
  - id: alpha-internet
    level: service
    provider: metro
    customer: alpha
    service: internet
    title: Alpha internet
    effective_from: 2024-06-01
    objectives:
      - {metric: availability, target: "99.95"}
  - id: beta
    level: customer
    provider: metro
    customer: beta
    title: Beta customer terms
    effective_from: 2024-01-01
"""


class FixedClock:
    """A clock that always says :data:`NOW`."""

    def now(self) -> datetime:
        return NOW


@dataclass(frozen=True)
class Tokens:
    """Plaintext tokens of every kind, and the ids of a few."""

    admin: str
    operator: str
    billing: str
    ingest: str
    alpha: str
    """Customer token of ``alpha``."""
    beta: str
    """Customer token of ``beta``."""
    revoked: str
    """An admin token that was revoked."""
    alpha_id: str
    revoked_id: str


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def running_server(engine: Engine, settings: ApiSettings | None = None) -> Iterator[str]:
    """The URL of a real server (Uvicorn, as ``servanda serve`` runs it) on a free local port,
    running in a thread until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = make_server(engine, "127.0.0.1", port, settings=settings, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start in 10 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
