"""Notices of what happened, built where it happens: incident steps, closed periods and the
breaches found at the close, issued invoices, burn-rate warnings, periods due to close.

Each builder returns notices; :func:`queue` routes them under the declared rules and stores
the deliveries in the caller's transaction, so a notification exists exactly when the change
it tells of was committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from servanda.declared.bundle import Bundle
from servanda.events.incidents import Incident, IncidentState, Transition
from servanda.events.model import Event, Status
from servanda.notify.notices import Notice, Pair, route
from servanda.notify.rules import EventKind, NotificationRule
from servanda.storage.repositories.notifications import NotificationRepository

_STEP_EVENTS = {
    IncidentState.ACKNOWLEDGED: EventKind.INCIDENT_ACKNOWLEDGED,
    IncidentState.CORRECTED: EventKind.INCIDENT_CORRECTED,
    IncidentState.VALIDATED: EventKind.INCIDENT_VALIDATED,
    IncidentState.CLOSED: EventKind.INCIDENT_CLOSED,
}


def queue(
    session: Session,
    notices: Iterable[Notice],
    now: datetime,
    rules: Sequence[NotificationRule] | None = None,
) -> int:
    """Route ``notices`` under ``rules`` (by default the stored ones) and queue the
    deliveries; how many were new."""
    found = list(notices)
    if not found:
        return 0
    repo = NotificationRepository(session)
    declared = repo.rules() if rules is None else rules
    if not declared:
        return 0
    return repo.enqueue([d for n in found for d in route(n, declared)], now)


def step_event(t: Transition) -> EventKind | None:
    """The event of one trail step (None: a step that changes no state)."""
    if t.from_state is None:
        return EventKind.INCIDENT_OPENED
    if t.from_state == t.to_state:
        return None
    if t.to_state is IncidentState.DETECTED:
        return EventKind.INCIDENT_REOPENED
    return _STEP_EVENTS.get(t.to_state)


def incident_concerns(bundle: Bundle, incident: Incident) -> tuple[Pair, ...]:
    """The customers and services an incident takes down (by their subscriptions)."""
    pairs: set[Pair] = set()
    for node in {i.node for i in incident.impacted}:
        for sub in bundle.subscriptions_down_with(node):
            pairs.add((sub.customer, sub.service))
    return tuple(sorted(pairs, key=lambda p: (p[0], p[1] or "")))


def incident_steps(bundle: Bundle, incident: Incident, since: int) -> list[Notice]:
    """Notices of the steps of ``incident``'s trail from position ``since`` on."""
    concerns: tuple[Pair, ...] | None = None
    found: list[Notice] = []
    for seq in range(since, len(incident.transitions)):
        t = incident.transitions[seq]
        kind = step_event(t)
        if kind is None:
            continue
        if concerns is None:
            concerns = incident_concerns(bundle, incident)
        detail: list[tuple[str, Any]] = [
            ("incident", incident.id),
            ("state", t.to_state.value),
            ("by", t.by),
            ("note", t.note),
            ("detected_at", incident.detected_at.isoformat()),
            ("root", incident.root),
            ("summary", incident.summary),
        ]
        if incident.merged_into is not None:
            detail.append(("merged_into", incident.merged_into))
        what = kind.value.split(".", 1)[1]
        found.append(
            Notice(
                event=kind,
                key=f"{incident.id}#{seq}",
                at=t.at,
                subject=f"Incident {incident.id} {what} ({incident.severity.value})",
                concerns=concerns,
                severity=incident.severity.value,
                detail=tuple(detail),
                private=frozenset({"root", "summary", "by", "merged_into"}),
            )
        )
    return found


def period_closed(
    customer: str, label: str, start: datetime, end: datetime, version: int, at: datetime,
    breaches: Sequence[tuple[str | None, str, str]],
) -> list[Notice]:  # fmt: skip
    """The close of one customer's period, and a breach notice per objective it missed
    (``(service, objective, words)``)."""
    key = f"period:{customer}:{start.isoformat()}:v{version}"
    common: list[tuple[str, Any]] = [
        ("customer", customer),
        ("period", label),
        ("start", start.isoformat()),
        ("end", end.isoformat()),
        ("version", version),
    ]
    found = [
        Notice(
            event=EventKind.PERIOD_CLOSED,
            key=key,
            at=at,
            subject=f"{label} of {customer} closed (version {version})",
            concerns=((customer, None),),
            detail=(*common, ("breaches", len(breaches))),
        )
    ]
    for service, objective, words in breaches:
        found.append(
            Notice(
                event=EventKind.SLA_BREACH,
                key=f"{key}:{service or ''}:{objective}",
                at=at,
                subject=f"{customer}: {objective} missed in {label}"
                + (f" ({service})" if service else ""),
                concerns=((customer, service),),
                detail=(*common, ("service", service), ("objective", objective), ("result", words)),
            )
        )
    return found


def invoice_issued(
    number: str, customer: str | None, account: str, period: str, total: str, due: str,
    currency: str, at: datetime,
) -> Notice:  # fmt: skip
    """An issued invoice."""
    return Notice(
        event=EventKind.INVOICE_ISSUED,
        key=f"invoice:{number}",
        at=at,
        subject=f"Invoice {number} issued to {account} for {period}: {total} {currency}",
        concerns=((customer, None),) if customer else (),
        detail=(("number", number), ("account", account), ("period", period),
                ("total", total), ("due", due), ("currency", currency)),
    )  # fmt: skip


def burn_warnings(events: Sequence[Event]) -> list[Notice]:
    """A notice per firing burn-rate warning event (its idempotency key is the notice's)."""
    found: list[Notice] = []
    for ev in events:
        if ev.status is not Status.FIRING:
            continue
        labels = dict(ev.labels)
        customer, service = labels.get("customer"), labels.get("service")
        found.append(
            Notice(
                event=EventKind.BURN_RATE_WARNING,
                key=f"burn:{ev.fingerprint}:{ev.starts_at.isoformat()}",
                at=ev.starts_at,
                subject=ev.summary or f"{customer}/{service}: error budget burning",
                concerns=((customer, service),) if customer else (),
                severity=ev.severity.value,
                detail=tuple(sorted(labels.items())),
            )
        )
    return found


def queue_incident_steps(
    session: Session,
    bundle: Bundle,
    incidents: Iterable[Incident],
    previous: Mapping[str, Incident],
    now: datetime,
) -> int:
    """Queue notices of the steps ``incidents`` took since ``previous`` (the records stored
    last; for an incident not there, the steps stored in the database), before they are
    saved. Nothing is read when no rule is declared."""
    rules = bundle.notification_rules
    if not rules:
        return 0
    changed = list(incidents)
    unknown = [i.id for i in changed if i.id not in previous]
    stored = NotificationRepository(session).stored_steps(unknown) if unknown else {}
    found: list[Notice] = []
    for inc in changed:
        before = previous.get(inc.id)
        since = len(before.transitions) if before is not None else stored.get(inc.id, 0)
        found.extend(incident_steps(bundle, inc, since))
    return queue(session, found, now, rules)
