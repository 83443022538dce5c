"""End to end: the real server on a free local port, read with httpx and a real token."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from servanda.api.server import make_server

from .support import Tokens, bearer


@pytest.fixture
def base_url(loaded: Engine) -> Iterator[str]:
    """The URL of a server running in a thread until the test ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = make_server(loaded, "127.0.0.1", port, log_level="warning")
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


def test_read_an_agreement_over_http(base_url: str, tokens: Tokens) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.get("/healthz").json()["status"] == "ok"
        assert http.get("/api/v1/agreements").status_code == 401
        response = http.get(
            "/api/v1/customers/alpha/services/internet/agreement",
            params={"on": "2024-07-01"},
            headers=bearer(tokens.alpha),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["objectives"][0]["value"]["target"] == "99.95"
        assert body["objectives"][0]["source"]["agreement"] == "alpha-internet"
        document = http.get(
            "/api/v1/customers/alpha/services/internet/agreement/document",
            params={"on": "2024-07-01"},
            headers=bearer(tokens.alpha),
        )
        assert "available 99.95 %" in document.text
