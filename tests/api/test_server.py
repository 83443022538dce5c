"""End to end: the real server on a free local port, read with httpx and a real token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from .support import Tokens, bearer, running_server


@pytest.fixture
def base_url(loaded: Engine) -> Iterator[str]:
    """The URL of a server running in a thread until the test ends."""
    with running_server(loaded) as url:
        yield url


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
