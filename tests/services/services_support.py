"""Helpers of the service tests: a small provider and events about its nodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servanda.agreements.model import Agreement
from servanda.catalog.model import Component, Party, Service, Subscription
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.events.model import Event, NodeMapping, Severity, Status

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def small_provider() -> Bundle:
    """acme runs internet (on core-1) for globex, and voip (on core-1 or core-2) for initech;
    globex's agreement says the customer validates corrections."""
    return Bundle(
        parties=tuple(
            from_jsonable(Party, p)
            for p in [
                {"id": "acme", "name": "ACME", "roles": ["provider"]},
                {"id": "globex", "name": "Globex", "roles": ["customer"]},
                {"id": "initech", "name": "Initech", "roles": ["customer"]},
            ]
        ),
        components=tuple(
            from_jsonable(Component, c)
            for c in [
                {"id": "core-1", "kind": "router"},
                {"id": "core-2", "kind": "router"},
                {"id": "db-1", "kind": "database", "depends_on": ["core-1"]},
            ]
        ),
        services=tuple(
            from_jsonable(Service, s)
            for s in [
                {
                    "id": "internet",
                    "name": "Internet",
                    "provider": "acme",
                    "depends_on": ["core-1", "db-1"],
                },
                {
                    "id": "voip",
                    "name": "Voice",
                    "provider": "acme",
                    "depends_on": [{"any_of": ["core-1", "core-2"]}],
                },
            ]
        ),
        subscriptions=tuple(
            from_jsonable(Subscription, s)
            for s in [
                {"customer": "globex", "service": "internet"},
                {"customer": "initech", "service": "voip"},
            ]
        ),
        agreements=(
            from_jsonable(
                Agreement,
                {
                    "id": "globex-terms",
                    "level": "customer",
                    "provider": "acme",
                    "customer": "globex",
                    "effective_from": "2024-01-01",
                    "responsibilities": {"validates_correction": "customer"},
                },
            ),
        ),
        mappings=(NodeMapping(match=(("device", "~core-(?P<n>\\d)"),), node="core-{n}"),),
    )


def fire(fp: str, node_label: str, minute: float = 0, **kw: object) -> Event:
    """A firing event of alert ``fp`` whose ``instance`` label is ``node_label``."""
    fields: dict[str, object] = {
        "source": "alertmanager",
        "fingerprint": fp,
        "labels": (("alertname", f"Down-{fp}"), ("instance", f"{node_label}:9100")),
        "status": Status.FIRING,
        "starts_at": T0 + timedelta(minutes=minute),
        "severity": Severity.CRITICAL,
        "summary": f"{node_label} is down",
    }
    fields.update(kw)
    return Event(**fields)  # type: ignore[arg-type]


def resolve(event: Event, minute: float) -> Event:
    """The resolved observation of ``event``."""
    return Event(
        source=event.source,
        fingerprint=event.fingerprint,
        labels=event.labels,
        status=Status.RESOLVED,
        starts_at=event.starts_at,
        ends_at=T0 + timedelta(minutes=minute),
        severity=event.severity,
        summary=event.summary,
    )
