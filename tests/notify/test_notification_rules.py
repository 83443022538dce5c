"""Notification rules: read from YAML with located problems, routed to the right channels,
customers' own rules scoped to them; signatures and backoff."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from servanda.config.loader import load_config
from servanda.notify import signing
from servanda.notify.backoff import Backoff
from servanda.notify.notices import Notice, route
from servanda.notify.rules import ChannelKind, EventKind

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)

BASE = """\
parties:
  - {id: isp, name: Metro ISP, roles: [provider]}
  - {id: acme, name: ACME, roles: [customer]}
  - {id: globex, name: Globex, roles: [customer]}
services:
  - {id: internet, name: Internet, provider: isp}
  - {id: voice, name: Voice, provider: isp}
notification_rules:
  - id: noc
    events: [incident.opened, incident.closed]
    severities: [critical]
    channels:
      - webhook: {url: "https://noc.example/hook", secret_env: NOC_SECRET}
      - chat: {url_env: NOC_CHAT}
  - id: acme-own
    customer: acme
    events: [incident.opened, invoice.issued]
    channels:
      - email: {to: [ops@acme.example]}
  - id: voice-desk
    events: [incident.opened]
    services: [voice]
    channels:
      - email: {to: [voice@isp.example]}
"""


def rules(tmp_path: Path, text: str = BASE) -> list[object]:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_config([path])
    assert [str(p) for p in result.problems] == []
    return list(result.bundle.notification_rules)


def test_rules_are_read_with_their_channels(tmp_path: Path) -> None:
    noc, own, desk = rules(tmp_path)  # type: ignore[misc]
    assert [c.kind for c in noc.channels] == [ChannelKind.WEBHOOK, ChannelKind.CHAT]
    assert noc.channels[1].target == "$NOC_CHAT"  # the variable, never the URL
    assert own.customer == "acme"
    assert desk.services == ("voice",)


def test_problems_are_located(tmp_path: Path) -> None:
    bad = BASE.replace("incident.closed]", "incident.exploded]").replace(
        "customer: acme", "customer: isp"
    )
    bad += """\
  - id: tv-desk
    events: [sla.breach]
    services: [tv]
    channels: [{email: {to: [tv@isp.example]}}]
  - id: two-at-once
    events: [sla.breach]
    channels:
      - {email: {to: [a@b.example]}, chat: {url_env: X}}
      - webhook: {url: "ftp://nowhere", secret_env: lower-case}
"""
    path = tmp_path / "config.yaml"
    path.write_text(bad, encoding="utf-8")
    found = [str(p) for p in load_config([path]).problems]
    text = "\n".join(found)
    assert "config.yaml:10:31: notification_rules[0].events[1]: Input should be" in text
    assert "'isp' is not a customer" in text
    assert "unknown service 'tv'" in text
    assert "exactly one of webhook, email, chat" in text
    assert "channels[1].webhook.url" in text
    assert "channels[1].webhook.secret_env" in text
    assert all("config.yaml:" in p for p in found), found


def notice(event: EventKind = EventKind.INCIDENT_OPENED, **kw: object) -> Notice:
    fields: dict[str, object] = {
        "event": event,
        "key": "inc-1#0",
        "at": T0,
        "subject": "Incident inc-1 opened",
        "concerns": (("acme", "internet"), ("globex", "voice")),
        "severity": "critical",
        "detail": (("incident", "inc-1"), ("root", "core-1")),
        "private": frozenset({"root"}),
    }
    fields.update(kw)
    return Notice(**fields)  # type: ignore[arg-type]


def test_routing_follows_events_filters_and_scope(tmp_path: Path) -> None:
    declared = rules(tmp_path)
    found = route(notice(), declared)  # type: ignore[arg-type]
    by_rule = {(d.rule, d.channel.kind) for d in found}
    assert by_rule == {
        ("noc", ChannelKind.WEBHOOK), ("noc", ChannelKind.CHAT),
        ("acme-own", ChannelKind.EMAIL), ("voice-desk", ChannelKind.EMAIL),
    }  # fmt: skip
    noc = next(d for d in found if d.rule == "noc")
    assert noc.payload["customers"] == ["acme", "globex"]
    assert noc.payload["detail"] == {"incident": "inc-1", "root": "core-1"}
    own = next(d for d in found if d.rule == "acme-own")
    # the customer's own rule hears only of itself, and not of the provider's wiring
    assert (own.payload["customers"], own.payload["services"]) == (["acme"], ["internet"])
    assert own.payload["detail"] == {"incident": "inc-1"}
    desk = next(d for d in found if d.rule == "voice-desk")
    assert desk.payload["services"] == ["voice"]
    # every delivery's id is in its payload, and routing again gives the same ids
    assert all(d.payload["id"] == d.id for d in found)
    assert [d.id for d in route(notice(), declared)] == [d.id for d in found]  # type: ignore[arg-type]


def test_a_notice_about_someone_else_never_reaches_a_customers_rule(tmp_path: Path) -> None:
    declared = rules(tmp_path)
    found = route(notice(concerns=(("globex", "voice"),), severity="minor"), declared)  # type: ignore[arg-type]
    assert {d.rule for d in found} == {"voice-desk"}  # noc wants critical only
    invoice = notice(EventKind.INVOICE_ISSUED, concerns=(("acme", None),), severity=None)
    assert {d.rule for d in route(invoice, declared)} == {"acme-own"}  # type: ignore[arg-type]
    assert route(notice(concerns=()), declared)[0].rule == "noc"  # type: ignore[arg-type]


def test_a_signature_verifies_and_a_changed_body_or_old_one_does_not() -> None:
    body = json.dumps({"id": "x"}).encode()
    header = signing.signature("s3cret", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert signing.verify("s3cret", header, body, now=1_700_000_010)
    assert not signing.verify("s3cret", header, body + b" ", now=1_700_000_010)
    assert not signing.verify("other", header, body, now=1_700_000_010)
    assert not signing.verify("s3cret", header, body, now=1_700_001_000)  # a replay
    assert not signing.verify("s3cret", "garbage", body, now=1_700_000_000)


def test_backoff_doubles_up_to_its_cap_then_gives_up() -> None:
    policy = Backoff(first=timedelta(seconds=30), cap=timedelta(minutes=5), attempts=6)
    waits = [policy.next_attempt(n, T0) for n in range(1, 7)]
    assert [w - T0 for w in waits[:5] if w is not None] == [
        timedelta(seconds=s) for s in (30, 60, 120, 240, 300)
    ]
    assert waits[5] is None
