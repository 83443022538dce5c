"""Notices and their routing: one occurrence (an incident moved, a period closed, an invoice
issued …) and the deliveries it makes under the declared rules.

A notice says whom it concerns as ``(customer, service)`` pairs (the service None when the
notice is about a customer as a whole, such as an invoice; no pair at all when it concerns no
customer, such as an incident of a component nobody's service depends on). A rule with
filters takes a notice when some pair passes them; a customer's own rule sees only its pairs,
and the notice's private details (the provider's internal wiring) are left out for it.

Each delivery has a deterministic id (rule, notice key, channel): routing the same notice
twice yields the same deliveries, so storing them is idempotent and a receiver can
de-duplicate on the id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servanda.notify.rules import Channel, EventKind, NotificationRule

Pair = tuple[str, str | None]
"""``(customer, service)``; the service None for a customer as a whole."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One occurrence worth telling."""

    event: EventKind
    key: str
    """Identifies the occurrence (``inc-…#3``, ``invoice:INV-2024-000001``): the same key is
    the same occurrence, notified once."""
    at: datetime
    """When it happened."""
    subject: str
    """One line for people."""
    concerns: tuple[Pair, ...] = ()
    severity: str | None = None
    detail: tuple[tuple[str, Any], ...] = ()
    """JSON-compatible details (ids, states, figures)."""
    private: frozenset[str] = frozenset()
    """Keys of ``detail`` a customer's own rule does not receive."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notice to one channel of one rule."""

    id: str
    """Deterministic: 32 hex digits of SHA-256 over rule, notice key and channel position."""
    rule: str
    event: EventKind
    notice_key: str
    channel: Channel
    payload: Mapping[str, Any]
    """The JSON body (a webhook's), the source of the email and chat text."""


def delivery_id(rule: str, notice_key: str, channel: int) -> str:
    """See :attr:`Delivery.id`."""
    return hashlib.sha256(f"{rule}\x1f{notice_key}\x1f{channel}".encode()).hexdigest()[:32]


def _passes(rule: NotificationRule, pair: Pair) -> bool:
    customer, service = pair
    if rule.customer is not None and customer != rule.customer:
        return False
    if rule.customers and customer not in rule.customers:
        return False
    return not rule.services or service in rule.services


def route(notice: Notice, rules: Sequence[NotificationRule]) -> list[Delivery]:
    """The deliveries ``notice`` makes under ``rules``, in rule and channel order."""
    found: list[Delivery] = []
    for rule in rules:
        if notice.event not in rule.events:
            continue
        severities = {s.value for s in rule.severities}
        if severities and notice.severity is not None and notice.severity not in severities:
            continue
        filtered = rule.customer is not None or rule.customers or rule.services
        pairs = [p for p in notice.concerns if _passes(rule, p)] if filtered else None
        if pairs is not None and not pairs:
            continue
        shown = list(notice.concerns) if pairs is None else pairs
        body = payload(notice, shown, own=rule.customer is not None)
        for i, channel in enumerate(rule.channels):
            did = delivery_id(rule.id, notice.key, i)
            found.append(
                Delivery(did, rule.id, notice.event, notice.key, channel, {"id": did, **body})
            )
    return found


def payload(notice: Notice, pairs: Sequence[Pair], *, own: bool) -> dict[str, Any]:
    """The JSON body of a notice for a rule that sees ``pairs`` (``own``: a customer's own
    rule, which gets no private detail)."""
    detail = {k: v for k, v in notice.detail if not (own and k in notice.private)}
    return {
        "event": notice.event.value,
        "key": notice.key,
        "at": notice.at.isoformat(),
        "subject": notice.subject,
        "severity": notice.severity,
        "customers": sorted({c for c, _ in pairs}),
        "services": sorted({s for _, s in pairs if s is not None}),
        "detail": detail,
    }


def text_of(body: Mapping[str, Any]) -> str:
    """A delivery's payload as plain text (email and chat bodies)."""
    lines = [str(body.get("subject", "")), ""]
    for name in ("event", "at", "severity"):
        if body.get(name):
            lines.append(f"{name}: {body[name]}")
    for name in ("customers", "services"):
        if body.get(name):
            lines.append(f"{name}: {', '.join(body[name])}")
    for k, v in (body.get("detail") or {}).items():
        lines.append(f"{k}: {v}")
    lines.append(f"delivery: {body.get('id', '')}")
    return "\n".join(lines) + "\n"
