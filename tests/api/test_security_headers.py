"""Security headers on every answer (``servanda.api.headers``): no sniffing, no framing, no
referrer; a content security policy on HTML (the report loads nothing, the API documentation
only FastAPI's CDN); HSTS only over TLS."""

from __future__ import annotations

import warnings

from sqlalchemy import Engine

from servanda.api.app import create_app

from .support import Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient


def test_every_answer_carries_the_headers(client: TestClient, tokens: Tokens) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/api/v1/agreements", headers=bearer(tokens.admin)),
        client.get("/api/v1/agreements"),  # 401
        client.get("/api/v1/nowhere"),  # 404
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in response.headers  # plain HTTP
        assert "content-security-policy" not in response.headers  # not HTML


def test_html_gets_a_content_security_policy(client: TestClient, tokens: Tokens) -> None:
    report = client.get("/api/v1/sla/alpha/report", headers=bearer(tokens.admin),
                        params={"period": "2024-06", "format": "html"})  # fmt: skip
    assert report.status_code == 200
    policy = report.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in policy
    docs = client.get("/docs")
    assert "https://" not in docs.headers["content-security-policy"]  # nothing from a CDN


def test_hsts_over_tls(loaded: Engine) -> None:
    with TestClient(create_app(loaded), base_url="https://servanda.example") as tls:
        response = tls.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
