"""Feedback and reviews over HTTP, on both database backends: batches of feedback in (all or
nothing, idempotent, problems at their path), reviews recorded one by one, lists, and customer
tokens kept to their own party (the declaration of :mod:`.support`: alpha takes internet and
voice, beta internet)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from servanda.storage.database import transaction
from servanda.storage.tables import FeedbackRow, ReviewRow

from .support import Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

FEEDBACK = "/api/v1/feedback"
REVIEWS = "/api/v1/reviews"


def count(engine: Engine, table: type[Any]) -> int:
    with transaction(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def answer(customer: str = "alpha", day: int = 28, **kw: Any) -> dict[str, Any]:
    return {"customer": customer, "at": f"2024-06-{day:02d}T16:00:00+02:00", **kw}


def send(client: TestClient, token: str, *answers: dict[str, Any]) -> Any:
    response = client.post(FEEDBACK, headers=bearer(token), json={"feedback": list(answers)})
    assert response.status_code == 200, response.text
    return response.json()


# -- feedback --------------------------------------------------------------------------------


def test_feedback_round_trip(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    batch = [
        answer(csat=4, nps=9, service="internet", comment="Fine", respondent="IT manager"),
        answer("beta", 29, nps=6, channel="phone"),
        answer(csat=4, nps=9, service="internet", comment="Fine", respondent="IT manager"),
    ]
    assert send(client, tokens.operator, *batch) == {"received": 3, "new": 2, "duplicates": 1}
    assert send(client, tokens.operator, *batch)["new"] == 0
    assert count(loaded, FeedbackRow) == 2

    listed = client.get(FEEDBACK, headers=bearer(tokens.operator)).json()
    assert [(f["customer"], f["csat"], f["nps"], f["channel"]) for f in listed] == [
        ("alpha", 4, 9, "survey"),
        ("beta", None, 6, "phone"),
    ]
    first = listed[0]
    assert first["at"] == "2024-06-28T14:00:00Z"
    assert first["stored_at"] == "2024-07-01T09:30:00Z"
    assert (first["service"], first["comment"], first["respondent"]) == (
        "internet",
        "Fine",
        "IT manager",
    )
    assert len(first["key"]) == 64
    since = {"since": "2024-06-29T00:00:00Z"}
    assert len(client.get(FEEDBACK, headers=bearer(tokens.billing), params=since).json()) == 1
    about = {"service": "internet"}
    assert len(client.get(FEEDBACK, headers=bearer(tokens.operator), params=about).json()) == 1


def test_bad_feedback_is_422_at_its_path_and_nothing_is_stored(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    body = {"feedback": [answer(csat=5), answer(csat=7), answer(day=30, csat=4, mood="good")]}
    response = client.post(FEEDBACK, headers=bearer(tokens.operator), json=body)
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [
        ["body", "feedback", 1, "csat"],
        ["body", "feedback", 2, "mood"],
    ]
    assert "from 1 to 5" in response.json()["detail"][0]["msg"]

    body = {
        "feedback": [
            answer(csat=5),
            answer("gamma", csat=3),
            answer("metro", csat=3),
            answer("beta", csat=2, service="voice"),
            answer(csat=1, incident="inc-unknown"),
        ]
    }
    detail = client.post(FEEDBACK, headers=bearer(tokens.operator), json=body).json()["detail"]
    assert [(d["loc"], d["msg"]) for d in detail] == [
        (["body", "feedback", 1, "customer"], "unknown party 'gamma'"),
        (["body", "feedback", 2, "customer"], "party 'metro' is not a customer"),
        (["body", "feedback", 3, "service"], "customer 'beta' has no subscription to 'voice'"),
        (["body", "feedback", 4, "incident"], "unknown incident 'inc-unknown'"),
    ]
    assert count(loaded, FeedbackRow) == 0


def test_a_customer_token_gives_and_reads_only_its_own_feedback(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    send(client, tokens.operator, answer("beta", nps=8))
    assert send(client, tokens.alpha, answer(csat=2, channel="portal"))["new"] == 1

    mixed = {"feedback": [answer(csat=5, day=29), answer("beta", csat=1)]}
    response = client.post(FEEDBACK, headers=bearer(tokens.alpha), json=mixed)
    assert response.status_code == 404
    assert response.json() == {"detail": "no customer 'beta'"}
    assert count(loaded, FeedbackRow) == 2  # nothing of that batch

    mine = client.get(FEEDBACK, headers=bearer(tokens.alpha)).json()
    assert [(f["customer"], f["csat"]) for f in mine] == [("alpha", 2)]
    others = client.get(FEEDBACK, headers=bearer(tokens.alpha), params={"customer": "beta"})
    assert others.status_code == 404
    assert [f["customer"] for f in client.get(FEEDBACK, headers=bearer(tokens.beta)).json()] == [
        "beta"
    ]


@pytest.mark.parametrize(
    ("who", "posting", "reading"),
    [
        ("admin", 200, 200),
        ("operator", 200, 200),
        ("alpha", 200, 200),
        ("billing", 403, 200),
        ("ingest", 403, 403),
    ],
)
def test_who_may_record_and_read_feedback(
    client: TestClient, tokens: Tokens, who: str, posting: int, reading: int
) -> None:
    token = getattr(tokens, who)
    body = {"feedback": [answer(csat=3)]}
    assert client.post(FEEDBACK, headers=bearer(token), json=body).status_code == posting
    assert client.get(FEEDBACK, headers=bearer(token)).status_code == reading
    assert client.get(FEEDBACK).status_code == 401


def test_a_feedback_body_over_the_limit_is_413(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    many = [answer(comment="x" * 100, respondent=f"r{i}") for i in range(1000)]
    body = json.dumps({"feedback": many}).encode()
    headers = {**bearer(tokens.operator), "Content-Type": "application/json"}
    assert client.post(FEEDBACK, headers=headers, content=body).status_code == 413
    assert count(loaded, FeedbackRow) == 0


# -- reviews ---------------------------------------------------------------------------------


def test_reviews_round_trip(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    body = {
        "customer": "alpha",
        "held_on": "2024-06-27",
        "kind": "service_review",
        "notes": "The outage of 12 June; the new backup line.",
        "actions": [
            {"text": "Quote a second line", "owner": "Sales", "due": "2024-07-15"},
            {"text": "Send the June report"},
        ],
        "service": "internet",
        "attendees": ["Alice (Alpha)", "Bob (Metro)"],
    }
    response = client.post(REVIEWS, headers=bearer(tokens.operator), json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["created_at"] == "2024-07-01T09:30:00Z"
    assert made["actions"] == [
        {"text": "Quote a second line", "owner": "Sales", "due": "2024-07-15", "done": False},
        {"text": "Send the June report", "owner": None, "due": None, "done": False},
    ]
    session = {"customer": "beta", "held_on": "2024-06-20", "kind": "listening_session"}
    assert client.post(REVIEWS, headers=bearer(tokens.operator), json=session).status_code == 201
    again = client.post(REVIEWS, headers=bearer(tokens.operator), json=body).json()
    assert again["id"] != made["id"]
    assert count(loaded, ReviewRow) == 3

    listed = client.get(REVIEWS, headers=bearer(tokens.billing)).json()
    assert [(r["customer"], r["held_on"], r["kind"]) for r in listed] == [
        ("beta", "2024-06-20", "listening_session"),
        ("alpha", "2024-06-27", "service_review"),
        ("alpha", "2024-06-27", "service_review"),
    ]
    assert listed[1] == made
    window = {"since": "2024-06-21", "until": "2024-06-28"}
    assert len(client.get(REVIEWS, headers=bearer(tokens.operator), params=window).json()) == 2


def test_bad_reviews_are_422_at_their_path(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    headers = bearer(tokens.operator)
    wrong_kind = {"customer": "alpha", "held_on": "2024-06-27", "kind": "chat"}
    response = client.post(REVIEWS, headers=headers, json=wrong_kind)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "kind"]
    empty_action = {"customer": "alpha", "held_on": "2024-06-27", "actions": [{"text": " "}]}
    response = client.post(REVIEWS, headers=headers, json=empty_action)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "actions", 0, "text"]
    no_such = {"customer": "beta", "held_on": "2024-06-27", "service": "voice"}
    response = client.post(REVIEWS, headers=headers, json=no_such)
    assert response.status_code == 422
    assert [(d["loc"], d["msg"]) for d in response.json()["detail"]] == [
        (["body", "service"], "customer 'beta' has no subscription to 'voice'")
    ]
    assert count(loaded, ReviewRow) == 0


def test_a_customer_token_keeps_to_its_own_reviews(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    beta = {"customer": "beta", "held_on": "2024-06-20"}
    assert client.post(REVIEWS, headers=bearer(tokens.operator), json=beta).status_code == 201
    own = {"customer": "alpha", "held_on": "2024-06-21", "notes": "our notes"}
    assert client.post(REVIEWS, headers=bearer(tokens.alpha), json=own).status_code == 201
    assert client.post(REVIEWS, headers=bearer(tokens.alpha), json=beta).status_code == 404
    assert count(loaded, ReviewRow) == 2
    mine = client.get(REVIEWS, headers=bearer(tokens.alpha)).json()
    assert [r["notes"] for r in mine] == ["our notes"]
    others = client.get(REVIEWS, headers=bearer(tokens.alpha), params={"customer": "beta"})
    assert others.status_code == 404
    assert client.post(REVIEWS, headers=bearer(tokens.ingest), json=own).status_code == 403
    assert client.get(REVIEWS, headers=bearer(tokens.ingest)).status_code == 403


def test_openapi_documents_feedback_and_reviews(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths[FEEDBACK]) == {"get", "post"}
    assert set(paths[REVIEWS]) == {"get", "post"}
    posting = paths[FEEDBACK]["post"]
    assert posting["summary"] == "Record customer feedback"
    assert {"200", "401", "403", "404", "413", "422"} <= set(posting["responses"])
    schema = posting["requestBody"]["content"]["application/json"]["schema"]
    assert {"customer", "at", "csat", "nps"} <= set(schema["properties"]["feedback"]["items"][
        "properties"
    ])  # fmt: skip
    created = paths[REVIEWS]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"] == {"$ref": "#/components/schemas/ReviewPublic"}
    assert {t["name"] for t in document["tags"]} >= {"feedback", "reviews"}
