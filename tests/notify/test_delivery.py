"""Delivering the outbox to real local receivers, on SQLite and PostgreSQL: a signed webhook
answered 500 then 200 (tried again after its backoff, with the same delivery id), an email to
a local SMTP server, a chat message through Apprise (``json://`` to the local receiver)."""

from __future__ import annotations

import email
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.delivery import Senders
from servanda.delivery.settings import DeliverySettings
from servanda.notify import signing
from servanda.notify.backoff import Backoff
from servanda.notify.notices import Notice
from servanda.notify.outbox import DeliveryState
from servanda.notify.rules import Channel, Chat, Email, EventKind, NotificationRule, Webhook
from servanda.services import notices
from servanda.services.notifications import dispatch, outbox, retry_failed
from servanda.storage.database import transaction

from .receivers import http_receiver, smtp_server

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
SECRET = "whsec-test-0123456789"
NOTICE = Notice(
    event=EventKind.INCIDENT_OPENED,
    key="inc-1#0",
    at=T0,
    subject="Incident inc-1 opened (critical)",
    concerns=(("globex", "internet"),),
    severity="critical",
    detail=(("incident", "inc-1"),),
)


def rule(*channels: Channel) -> NotificationRule:
    return NotificationRule(id="noc", events=(EventKind.INCIDENT_OPENED,), channels=channels)


def enqueue(engine: Engine, r: NotificationRule) -> int:
    with transaction(engine) as session:
        return notices.queue(session, [NOTICE], T0, [r])


def test_a_webhook_is_signed_and_tried_again_after_a_500(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    with http_receiver(answers=[500]) as receiver:
        hook = Webhook(url=f"{receiver.url}/hooks/servanda", secret_env="TEST_HOOK_SECRET")
        assert enqueue(engine, rule(Channel(webhook=hook))) == 1
        assert enqueue(engine, rule(Channel(webhook=hook))) == 0  # queued once
        policy = Backoff(first=timedelta(seconds=30))
        first = dispatch(engine, T0, backoff=policy)
        assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
        [queued] = outbox(engine, LOCAL_ADMIN)
        assert (queued.state, queued.attempts) == (DeliveryState.PENDING, 1)
        assert queued.last_error is not None
        assert "HTTP 500" in queued.last_error
        assert queued.next_attempt_at == T0 + timedelta(seconds=30)
        # not due yet: nothing is sent
        assert dispatch(engine, T0 + timedelta(seconds=29), backoff=policy).sent == 0
        later = T0 + timedelta(seconds=30)
        assert dispatch(engine, later, backoff=policy).sent == 1
        assert dispatch(engine, later + timedelta(hours=1)).sent == 0  # sent once
    assert len(receiver.seen) == 2
    ids = {r.headers[signing.DELIVERY_HEADER] for r in receiver.seen}
    assert ids == {queued.id}  # the same id on every attempt: receivers de-duplicate on it
    last = receiver.seen[-1]
    assert last.path == "/hooks/servanda"
    assert last.headers[signing.EVENT_HEADER] == "incident.opened"
    assert signing.verify(
        SECRET, last.headers[signing.HEADER], last.body, now=int(later.timestamp())
    )
    body = json.loads(last.body)
    assert body["id"] == queued.id
    assert (body["event"], body["customers"], body["detail"]) == (
        "incident.opened", ["globex"], {"incident": "inc-1"},
    )  # fmt: skip
    [done] = outbox(engine, LOCAL_ADMIN)
    assert (done.state, done.attempts, done.sent_at) == (DeliveryState.SENT, 2, later)


def test_a_webhook_failing_every_time_fails_for_good_and_can_be_retried(
    engine: Engine,
) -> None:
    with http_receiver(answers=[503, 503, 503]) as receiver:
        enqueue(engine, rule(Channel(webhook=Webhook(url=receiver.url))))
        policy = Backoff(first=timedelta(seconds=1), attempts=2)
        assert dispatch(engine, T0, backoff=policy).retrying == 1
        assert dispatch(engine, T0 + timedelta(seconds=1), backoff=policy).failed == 1
        [gone] = outbox(engine, LOCAL_ADMIN, DeliveryState.FAILED)
        assert gone.next_attempt_at is None
        assert gone.attempts == 2
        assert retry_failed(engine, LOCAL_ADMIN, T0 + timedelta(hours=1)) == 1
        assert dispatch(engine, T0 + timedelta(hours=1), backoff=policy).retrying == 1
        assert dispatch(engine, T0 + timedelta(hours=2), backoff=policy).sent == 1
    assert len(receiver.seen) == 4


def test_a_missing_secret_is_a_failed_attempt_that_names_the_variable(engine: Engine) -> None:
    hook = Webhook(url="http://127.0.0.1:9/never", secret_env="SERVANDA_TEST_UNSET_SECRET")
    enqueue(engine, rule(Channel(webhook=hook)))
    assert dispatch(engine, T0).retrying == 1
    [queued] = outbox(engine, LOCAL_ADMIN)
    assert queued.last_error == "the signing secret $SERVANDA_TEST_UNSET_SECRET is not set"


def test_an_email_reaches_the_smtp_server(engine: Engine) -> None:
    with smtp_server() as box:
        enqueue(engine, rule(Channel(email=Email(to=("noc@isp.example", "desk@isp.example")))))
        settings = DeliverySettings(
            smtp_host="127.0.0.1", smtp_port=box.port, smtp_from="servanda@isp.example"
        )
        assert dispatch(engine, T0, senders=Senders(settings=settings)).sent == 1
    [(recipients, raw)] = box.messages
    assert recipients == ["noc@isp.example", "desk@isp.example"]
    message = email.message_from_bytes(raw)
    assert message["Subject"] == "[Servanda] Incident inc-1 opened (critical)"
    assert message["From"] == "servanda@isp.example"
    [queued] = outbox(engine, LOCAL_ADMIN)
    assert message[signing.DELIVERY_HEADER] == queued.id
    text = message.get_payload(decode=True).decode()
    assert "event: incident.opened" in text
    assert "incident: inc-1" in text


def test_an_unreachable_smtp_server_is_tried_again(engine: Engine) -> None:
    enqueue(engine, rule(Channel(email=Email(to=("noc@isp.example",)))))
    settings = DeliverySettings(smtp_host="127.0.0.1", smtp_port=9, notify_timeout=2)
    assert dispatch(engine, T0, senders=Senders(settings=settings)).retrying == 1
    [queued] = outbox(engine, LOCAL_ADMIN)
    assert queued.last_error is not None
    assert queued.last_error.startswith("SMTP 127.0.0.1:9")


def test_a_chat_message_goes_through_apprise(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with http_receiver() as receiver:
        monkeypatch.setenv("TEST_CHAT_URL", receiver.url.replace("http://", "json://") + "/chat")
        enqueue(engine, rule(Channel(chat=Chat(url_env="TEST_CHAT_URL"))))
        assert dispatch(engine, T0).sent == 1
    [seen] = receiver.seen
    assert seen.path == "/chat"
    body = json.loads(seen.body)
    assert body["title"] == "[Servanda] Incident inc-1 opened (critical)"
    assert "incident: inc-1" in body["message"]


def test_a_chat_url_apprise_does_not_know_fails(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_CHAT_URL", "nonsense-scheme://x")
    enqueue(engine, rule(Channel(chat=Chat(url_env="TEST_CHAT_URL"))))
    assert dispatch(engine, T0).retrying == 1
    [queued] = outbox(engine, LOCAL_ADMIN)
    assert queued.last_error == "$TEST_CHAT_URL is no URL Apprise knows"


def test_many_deliveries_are_queued_once(engine: Engine) -> None:
    many = [replace(NOTICE, key=f"inc-{i}#0") for i in range(1200)]
    r = rule(Channel(email=Email(to=("noc@isp.example",))))
    with transaction(engine) as session:
        assert notices.queue(session, many, T0, [r]) == 1200
    with transaction(engine) as session:
        assert notices.queue(session, many, T0, [r]) == 0
    assert len(outbox(engine, LOCAL_ADMIN, limit=2000)) == 1200
