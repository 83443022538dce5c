"""``GET /metrics``: Prometheus exposition (checked by Prometheus' own promtool and parsed),
what was ingested and how long requests took, the stored state, and who may scrape."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from servanda.api import ApiSettings, create_app
from servanda.api.deps import get_clock

from .support import FixedClock, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

SAMPLE = (
    Path(__file__).parents[1] / "ingest" / "samples" / "alertmanager"
    / "prom2teams__tests__data__json_files__all_ok.json"
)  # fmt: skip
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of the exposition, by sample name."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, []).append((dict(s.labels), s.value))
    return found


def scrape(client: TestClient, token: str) -> str:
    response = client.get("/metrics", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def total(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **want: str) -> float:
    """The sum of the samples ``name`` whose labels include ``want``."""
    return sum(v for labels, v in found.get(name, []) if want.items() <= labels.items())


def test_metrics_count_what_came_in_and_time_the_requests(
    client: TestClient, tokens: Tokens
) -> None:
    before = samples(scrape(client, tokens.operator))
    raw = SAMPLE.read_bytes()
    sent = len(json.loads(raw)["alerts"])
    answer = client.post(
        "/api/v1/events/alertmanager",
        headers={**bearer(tokens.ingest), "Content-Type": "application/json"},
        content=raw,
    )
    assert answer.status_code == 200, answer.text
    found = samples(scrape(client, tokens.operator))
    ingested = "servanda_ingested_total"
    assert total(found, ingested, kind="alerts") - total(before, ingested, kind="alerts") == sent
    assert total(found, "servanda_correlation_duration_seconds_count", step="batch") >= 1
    timed = "servanda_http_request_duration_seconds_count"
    route = {"method": "POST", "route": "/api/v1/events/alertmanager", "status": "200"}
    assert total(found, timed, **route) - total(before, timed, **route) == 1
    labels = {labels["route"] for labels, _ in found[timed]}
    assert not any(tokens.alpha_id in route for route in labels)  # templates, not paths
    for family in ("servanda_evaluation_duration_seconds_count", "servanda_rated_records_total"):
        assert family in found


@pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool is not installed")
def test_promtool_accepts_the_exposition(client: TestClient, tokens: Tokens) -> None:
    client.get("/api/v1/me", headers=bearer(tokens.operator))
    body = scrape(client, tokens.operator)
    checked = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=body, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "", checked.stdout  # no lint remark either


def test_only_staff_may_scrape_by_default(client: TestClient, tokens: Tokens) -> None:
    assert client.get("/metrics").status_code == 401
    for token in (tokens.alpha, tokens.ingest, tokens.billing):
        assert client.get("/metrics", headers=bearer(token)).status_code == 403
    assert client.get("/metrics", headers=bearer(tokens.admin)).status_code == 200


@pytest.fixture
def scrape_token(loaded: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SERVANDA_METRICS_TOKEN", "prometheus-scrape-secret")
    app = create_app(loaded, ApiSettings())
    app.dependency_overrides[get_clock] = FixedClock
    with TestClient(app) as test_client:
        yield test_client


def test_a_scrape_token_of_its_own(scrape_token: TestClient, tokens: Tokens) -> None:
    ok = scrape_token.get("/metrics", headers=bearer("prometheus-scrape-secret"))
    assert ok.status_code == 200
    assert "servanda_ingested_total" in ok.text or "servanda_ingested" in ok.text
    assert scrape_token.get("/metrics", headers=bearer("wrong")).status_code == 401
    # an API token is not the scrape token
    assert scrape_token.get("/metrics", headers=bearer(tokens.admin)).status_code == 401


def test_metrics_stay_out_of_the_openapi_document(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
