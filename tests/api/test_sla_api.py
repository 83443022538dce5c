"""``/api/v1/sla`` on both database backends: the customer report as JSON, HTML and PDF, kept
to the customer's own token, a bad period at 422, and the credits stored by an evaluation.

The declaration of :mod:`.support`: alpha takes internet (any of two routers) and voice (on
router-1 alone, 20.00 a month), both on the ``ops`` calendar (Europe/Paris, 24×7). router-1
fails on 5 June from 10:00 to 11:00 UTC: internet keeps router-2, voice is down an hour.
June in Paris: 30 days, 2 592 000 s; voice 2 588 400 / 2 592 000 = 99.861 %: the corporate
99.5 % is met, but it is below the 99.9 % tier: 10 % of 20.00, 2.00.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.events.model import Event, Severity, Status
from servanda.reports.sla_json import report_from_json
from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories.results import ResultRepository

from .support import NOW, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

REPORT = "/api/v1/sla/{customer}/report"
CREDITS = "/api/v1/sla/credits"
BURN = "/api/v1/sla/burn-check"
CLOSE = "/api/v1/sla/{customer}/close"
CLOSE_ALL = "/api/v1/sla/close"
REOPEN = "/api/v1/sla/{customer}/reopen"
VERSIONS = "/api/v1/sla/{customer}/versions"
ADJUSTMENTS = "/api/v1/sla/adjustments"
DOWN = datetime(2024, 6, 5, 10, tzinfo=UTC)
UP = datetime(2024, 6, 5, 11, tzinfo=UTC)


@pytest.fixture
def router_down(loaded: Engine) -> Engine:
    """router-1 down for an hour on 5 June, through event management."""
    down = router_event(DOWN)
    up = Event(
        source="test", fingerprint="router-1-down", labels=down.labels, status=Status.RESOLVED,
        starts_at=DOWN, ends_at=UP, severity=Severity.CRITICAL, summary=down.summary,
        node="router-1",
    )  # fmt: skip
    events = EventEngine(loaded)
    events.ingest(LOCAL_ADMIN, [down], DOWN)
    events.ingest(LOCAL_ADMIN, [up], UP)
    return loaded


def get_report(client: TestClient, token: str, customer: str = "alpha", **query: str) -> Any:
    params = {"period": "2024-06", **query}
    return client.get(REPORT.format(customer=customer), headers=bearer(token), params=params)


def section(data: dict[str, Any], service: str) -> dict[str, Any]:
    (found,) = [s for s in data["report"]["sections"] if s["service"] == service]
    return found


def test_the_report_as_json(client: TestClient, tokens: Tokens, router_down: Engine) -> None:
    response = get_report(client, tokens.admin)
    assert response.status_code == 200, response.text
    data = response.json()
    report_from_json(data)
    body = data["report"]
    assert (body["customer"]["name"], body["period"]["timezone"]) == (
        "Alpha Trading",
        "Europe/Paris",
    )
    assert body["generated_at"] == "2024-07-01T09:30:00Z"  # the API's clock
    voice = {r["objective"]: r for r in section(data, "voice")["results"]}
    a = voice["availability"]
    assert (a["numerator"], a["denominator"], a["verdict"]) == ("2588400", "2592000", "met")
    internet = {r["objective"]: r for r in section(data, "internet")["results"]}
    # June is under the second version of alpha-internet: 99.95 %, nothing down (router-2)
    assert (internet["availability"]["target"], internet["availability"]["actual"]) == (
        "99.95",
        "100",
    )
    (credit,) = body["credits"]
    assert (credit["service"], credit["percent"], credit["charge"], credit["amount"]) == (
        "voice",
        "10",
        "20.00",
        "2.00",
    )


def test_the_report_as_html(client: TestClient, tokens: Tokens, router_down: Engine) -> None:
    response = get_report(client, tokens.admin, format="html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Alpha Trading" in response.text
    assert "Internet Access" in response.text  # the sections, by service name
    assert "Voice" in response.text


def test_the_report_as_pdf(client: TestClient, tokens: Tokens, router_down: Engine) -> None:
    response = get_report(client, tokens.operator, format="pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="sla-alpha-2024-06.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_a_customer_token_gets_its_own_report_only(client: TestClient, tokens: Tokens) -> None:
    own = get_report(client, tokens.alpha)
    assert own.status_code == 200
    assert own.json()["report"]["customer"]["id"] == "alpha"
    other = get_report(client, tokens.alpha, customer="beta")
    assert other.status_code == 404
    assert get_report(client, tokens.beta, customer="beta").status_code == 200


def test_unknown_customer_bad_period_and_bad_format(client: TestClient, tokens: Tokens) -> None:
    assert get_report(client, tokens.admin, customer="gamma").status_code == 404
    bad = get_report(client, tokens.admin, period="June")
    assert bad.status_code == 422
    (problem,) = bad.json()["detail"]
    assert problem["loc"][-1] == "period"
    assert "not a period: 'June'" in problem["msg"]
    assert get_report(client, tokens.admin, format="docx").status_code == 422
    missing = client.get(REPORT.format(customer="alpha"), headers=bearer(tokens.admin))
    assert missing.status_code == 422


def test_a_token_is_needed(client: TestClient, tokens: Tokens) -> None:
    response = client.get(REPORT.format(customer="alpha"), params={"period": "2024-06"})
    assert response.status_code == 401
    assert get_report(client, tokens.revoked).status_code == 401
    assert client.get(CREDITS).status_code == 401


def test_credits_are_final_once_the_period_is_closed(
    client: TestClient, tokens: Tokens, router_down: Engine
) -> None:
    assert client.get(CREDITS, headers=bearer(tokens.billing)).json() == []
    # Reading the report stores nothing, whoever reads it: June is provisional until closed.
    viewed = get_report(client, tokens.alpha)
    assert viewed.status_code == 200
    assert viewed.json()["report"]["closing"]["standing"] == "provisional"
    assert client.get(CREDITS, headers=bearer(tokens.billing)).json() == []
    with transaction(router_down) as session:
        assert ResultRepository(session).closures() == []

    assert client.post(CLOSE.format(customer="alpha"), headers=bearer(tokens.alpha),
                       params={"period": "2024-06"}).status_code == 403  # fmt: skip
    july = client.post(CLOSE.format(customer="alpha"), headers=bearer(tokens.billing),
                       params={"period": "2024-07"})  # fmt: skip
    assert july.status_code == 409
    assert "a period is closed once it has ended" in july.json()["detail"]
    closed = client.post(
        CLOSE.format(customer="alpha"), headers=bearer(tokens.billing), params={"period": "2024-06"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["new"] is True
    assert closed.json()["closure"]["closed_by"].startswith("billing:")
    listed = client.get(CREDITS, headers=bearer(tokens.billing)).json()
    (credit,) = listed
    assert {k: credit[k] for k in ("customer", "service", "objective", "percent", "amount")} == {
        "customer": "alpha",
        "service": "voice",
        "objective": "availability",
        "percent": "10",
        "amount": "2.00",
    }
    assert Decimal(credit["actual"]) == Decimal(2_588_400) * 100 / Decimal(2_592_000)
    assert (credit["period_start"], credit["period_end"]) == (
        "2024-05-31T22:00:00Z",
        "2024-06-30T22:00:00Z",
    )
    assert (credit["version"], credit["closed_at"]) == (1, "2024-07-01T09:30:00Z")
    final = get_report(client, tokens.alpha).json()["report"]["closing"]
    assert (final["standing"], final["version"], final["pending"]) == ("final", 1, [])
    again = client.post(
        CLOSE.format(customer="alpha"), headers=bearer(tokens.billing), params={"period": "2024-06"}
    )
    assert again.status_code == 409
    every = client.post(CLOSE_ALL, headers=bearer(tokens.operator), params={"period": "2024-06"})
    assert {(c["closure"]["customer"], c["new"]) for c in every.json()} == {
        ("alpha", False),
        ("beta", True),
    }
    assert len(client.get(CREDITS, headers=bearer(tokens.admin)).json()) == 1
    # customers see their own credits
    assert client.get(CREDITS, headers=bearer(tokens.alpha)).json() == listed
    assert client.get(CREDITS, headers=bearer(tokens.beta)).json() == []
    mine = client.get(CREDITS, headers=bearer(tokens.beta), params={"customer": "alpha"})
    assert mine.status_code == 404
    filtered = client.get(CREDITS, headers=bearer(tokens.admin), params={"customer": "beta"})
    assert filtered.json() == []

    # A correction: reopen (the closed version is kept), close again: version 2.
    june = {"period": "2024-06"}
    no_reason = client.post(REOPEN.format(customer="alpha"), headers=bearer(tokens.billing),
                            params=june)  # fmt: skip
    assert no_reason.status_code == 422
    reopened = client.post(REOPEN.format(customer="alpha"), headers=bearer(tokens.billing),
                           params={**june, "reason": "ticket 4711"})  # fmt: skip
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["final"], reopened.json()["reopen_reason"]) == (False, "ticket 4711")
    assert client.get(CREDITS, headers=bearer(tokens.billing)).json() == []
    assert get_report(client, tokens.alpha).json()["report"]["closing"]["standing"] == (
        "provisional"
    )
    client.post(CLOSE.format(customer="alpha"), headers=bearer(tokens.billing), params=june)
    versions = client.get(VERSIONS.format(customer="alpha"), headers=bearer(tokens.alpha),
                          params=june).json()  # fmt: skip
    assert [(v["closure"]["version"], v["closure"]["final"]) for v in versions] == [
        (1, False),
        (2, True),
    ]
    assert versions[1]["difference"] == []  # nothing changed in between: nothing to correct
    pending = client.get(ADJUSTMENTS, headers=bearer(tokens.operator), params=june).json()
    assert {(a["closure"]["customer"], a["pending"]) for a in pending} == {
        ("alpha", False),
        ("beta", False),
    }


@pytest.mark.parametrize(
    ("who", "code"),
    [("admin", 200), ("operator", 200), ("billing", 200), ("alpha", 403), ("ingest", 403),
     ("revoked", 401)],
)  # fmt: skip
def test_who_may_close_and_reopen(
    client: TestClient, tokens: Tokens, loaded: Engine, who: str, code: int
) -> None:
    token = getattr(tokens, who)
    june = {"period": "2024-06"}
    closed = client.post(CLOSE.format(customer="beta"), headers=bearer(token), params=june)
    assert closed.status_code == code, closed.text
    if code == 200:
        reopened = client.post(REOPEN.format(customer="beta"), headers=bearer(token),
                               params={**june, "reason": "check"})  # fmt: skip
        assert reopened.status_code == 200
    else:
        with transaction(loaded) as session:
            assert ResultRepository(session).closures() == []
    assert client.post(CLOSE.format(customer="nobody"), headers=bearer(tokens.admin),
                       params=june).status_code == 404  # fmt: skip
    assert client.post(REOPEN.format(customer="alpha"), headers=bearer(tokens.admin),
                       params={**june, "reason": "x"}).status_code == 409  # fmt: skip


# --- Burn-rate checks -------------------------------------------------------------------------


def test_a_burn_check_raises_warnings_as_events(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    # router-1 down since 09:00 and still down at the API's 09:30: voice has lost 30 of the
    # last 60 minutes, where the corporate 99.5 % allows 0.005 × 14.4 = 0.072 of them.
    EventEngine(loaded).ingest(LOCAL_ADMIN, [router_event(datetime(2024, 7, 1, 9, tzinfo=UTC))],
                               NOW)  # fmt: skip
    response = client.post(BURN, headers=bearer(tokens.operator))
    assert response.status_code == 200, response.text
    found = response.json()
    # availability of alpha's internet (its own 99.9 % replaces the corporate one), of
    # alpha's voice and of beta's internet
    assert found["objectives"] == 3
    assert {(e["labels"]["long_window"], e["labels"]["factor"]) for e in found["events"]} == {
        ("1h", "14.4"),
        ("6h", "6"),
        ("3d", "1"),
    }
    assert {(e["labels"]["customer"], e["labels"]["service"]) for e in found["events"]} == {
        ("alpha", "voice")
    }
    assert all(e["status"] == "firing" for e in found["events"])
    assert found["ingested"]["new"] == 3
    again = client.post(BURN, headers=bearer(tokens.ingest)).json()
    assert (again["ingested"]["new"], again["ingested"]["duplicates"]) == (0, 3)
    assert client.post(BURN, headers=bearer(tokens.alpha)).status_code == 403


def router_event(start: datetime) -> Event:
    return Event(
        source="test", fingerprint="router-1-down", labels=(("alertname", "RouterDown"),),
        status=Status.FIRING, starts_at=start, severity=Severity.CRITICAL,
        summary="router-1 is down", node="router-1",
    )  # fmt: skip


def test_roll_ups_add_agreed_seconds(
    client: TestClient, tokens: Tokens, router_down: Engine
) -> None:
    # voice down 1 h of June (2 592 000 s): 2 588 400 s up; internet survives on router-2.
    by_service = client.get(
        "/api/v1/sla/rollup",
        headers=bearer(tokens.admin),
        params={"period": "2024-06", "by": "service"},
    )
    assert by_service.status_code == 200
    voice = next(r for r in by_service.json() if r["key"] == "voice")
    availability = next(x for x in voice["results"] if x["objective"] == "availability")
    assert Decimal(availability["numerator"]) == Decimal(2_588_400)
    assert Decimal(availability["denominator"]) == Decimal(2_592_000)
    [provider] = client.get(
        "/api/v1/sla/rollup", headers=bearer(tokens.admin), params={"period": "2024-06"}
    ).json()
    whole = next(x for x in provider["results"] if x["objective"] == "availability")
    # every subscription's agreed seconds add up; only voice lost an hour
    assert Decimal(whole["denominator"]) - Decimal(whole["numerator"]) == Decimal(3600)
    own = client.get(
        "/api/v1/sla/rollup",
        headers=bearer(tokens.alpha),
        params={"period": "2024-06", "by": "customer"},
    ).json()
    assert [r["key"] for r in own] == ["alpha"]


def test_the_customer_report_names_no_component(
    client: TestClient, tokens: Tokens, router_down: Engine
) -> None:
    """router-1 (a component) took alpha's voice down: the report says voice, never router-1."""
    for fmt in ("json", "html"):
        response = get_report(client, tokens.alpha, format=fmt)
        assert response.status_code == 200
        assert "router-1" not in response.text, fmt
    incidents = [
        e
        for s in get_report(client, tokens.alpha).json()["report"]["sections"]
        for e in s["incidents"]
    ]
    assert [e["title"] for e in incidents] == ["voice unavailable"]
