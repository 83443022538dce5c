"""Every text and list a principal can send is bounded (``servanda.core.limits`` for what
people write, ``servanda.ingest.text_rules`` for what monitoring sends): one over the bound
answers 422 at its place on SQLite and PostgreSQL, and nothing is stored. A customer once
posted a review with 100,000 actions, and its PDF report then took minutes and 6 GB."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from servanda.core.limits import LIST_ITEMS, NAME_CHARS, TEXT_CHARS
from servanda.ingest.text_rules import MAX_LABELS, MAX_VALUE
from servanda.storage.database import transaction
from servanda.storage.tables import AttestationRow, EventRow, FeedbackRow, ReviewRow

from .support import Tokens, bearer
from .test_hostile_input import TestClient, located

LONG = "x" * (TEXT_CHARS + 1)


def count(engine: Engine, table: Any) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def review(**changes: Any) -> dict[str, Any]:
    return {"customer": "alpha", "held_on": "2024-06-03", "notes": "fine", **changes}


def test_reviews_are_bounded(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    post = lambda body: client.post("/api/v1/reviews", json=body, headers=bearer(tokens.alpha))  # noqa: E731
    many = [{"text": "call back"}] * (LIST_ITEMS + 1)
    assert "at most 200" in located(post(review(actions=many)), "body", "actions")
    assert "at most 10000" in located(post(review(notes=LONG)), "body", "notes")
    action = post(review(actions=[{"text": LONG}]))
    assert "at most 10000" in located(action, "body", "actions", 0, "text")
    attendee = post(review(attendees=["y" * (NAME_CHARS + 1)]))
    assert "at most 200" in located(attendee, "body", "attendees", 0)
    assert count(loaded, ReviewRow) == 0
    most = post(review(actions=[{"text": "call back"}] * LIST_ITEMS, notes="n" * TEXT_CHARS))
    assert most.status_code == 201, most.text  # the bounds themselves are accepted


def test_feedback_and_attestations_are_bounded(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    admin = bearer(tokens.admin)
    feedback = client.post(
        "/api/v1/feedback",
        json={"feedback": [{"customer": "alpha", "at": "2024-06-03T10:00:00Z", "comment": LONG}]},
        headers=admin,
    )
    assert "at most" in located(feedback, "body", "feedback", 0, "comment")
    attestation = client.post(
        "/api/v1/attestations",
        json={"attestations": [{
            "policy": "security", "control": "patching", "met": True,
            "period_start": "2024-05-01T00:00:00Z", "period_end": "2024-06-01T00:00:00Z",
            "attested_by": "ciso", "attested_at": "2024-06-02T00:00:00Z", "evidence": LONG,
        }]},
        headers=admin,
    )  # fmt: skip
    assert attestation.status_code == 422, attestation.text
    assert "at most" in located(attestation, "body", "attestations", 0, "evidence")
    assert count(loaded, FeedbackRow) == count(loaded, AttestationRow) == 0


def test_incident_notes_are_bounded(client: TestClient, tokens: Tokens) -> None:
    admin = bearer(tokens.admin)
    step = client.post("/api/v1/incidents/inc-1/ack", json={"note": LONG}, headers=admin)
    assert "at most" in located(step, "body", "note")
    steps = client.post(
        "/api/v1/incidents/steps",
        json={"steps": [{"incident": "inc-1", "step": "ack", "time": "2024-06-01T00:00:00Z",
                         "note": LONG}]},
        headers=admin,
    )  # fmt: skip
    assert "at most" in located(steps, "body", "steps", 0, "note")


def test_what_monitoring_sends_is_bounded(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    admin = bearer(tokens.admin)
    event = {"source": "probe", "status": "firing", "start": "2024-06-01T00:00:00Z"}
    labels = {f"l{i}": "v" for i in range(MAX_LABELS + 1)}
    crowded = client.post("/api/v1/events", json={"events": [{**event, "labels": labels}]},
                          headers=admin)  # fmt: skip
    assert crowded.status_code == 422, crowded.text
    assert "labels" in crowded.text
    wordy = client.post(
        "/api/v1/events",
        json={"events": [{**event, "labels": {"a": "b"}, "summary": "s" * (MAX_VALUE + 1)}]},
        headers=admin,
    )
    assert wordy.status_code == 422, wordy.text
    webhook = {
        "version": "4", "status": "firing", "receiver": "servanda", "groupKey": "{}:{}",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
        "alerts": [{"status": "firing", "labels": {"alertname": "x" * (MAX_VALUE + 1)},
                    "annotations": {}, "startsAt": "2024-06-01T00:00:00Z"}],
    }  # fmt: skip
    refused = client.post("/api/v1/events/alertmanager", json=webhook, headers=admin)
    assert refused.status_code == 422, refused.text
    assert count(loaded, EventRow) == 0
