"""Fixtures of the storage tests: a sample declaration with every kind of record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from servanda.agreements.model import Agreement
from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Party, Service, Subscription
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle


def sample_bundle(**extra: Any) -> Bundle:
    """The sample bundle; keyword arguments replace its parts."""
    parts: dict[str, Any] = {
        "parties": tuple(
            from_jsonable(Party, p)
            for p in [
                {"id": "acme", "name": "ACME Networks", "roles": ["provider"]},
                {"id": "other-isp", "name": "Other ISP", "roles": ["provider"]},
                {
                    "id": "globex",
                    "name": "Globex",
                    "roles": ["customer", "content_provider"],
                    "contact": "noc@globex.example",
                },
                {"id": "initech", "name": "Initech", "roles": ["customer"]},
                {"id": "carrier-x", "name": "Carrier X", "roles": ["supplier"]},
            ]
        ),
        "calendars": (
            from_jsonable(
                Calendar,
                {
                    "id": "business",
                    "timezone": "Europe/Paris",
                    "service_hours": {"mon-fri": "08:00-18:00"},
                },
            ),
            from_jsonable(Calendar, {"id": "always", "timezone": "UTC"}),
            from_jsonable(Calendar, {"id": "initech-hours", "timezone": "America/New_York"}),
        ),
        "components": tuple(
            from_jsonable(Component, c)
            for c in [
                {"id": "core-1", "kind": "router", "site": "Paris"},
                {"id": "core-2", "kind": "router", "site": "Lyon"},
                {"id": "uplink-a", "owner": "carrier-x", "calendar": "business"},
                {
                    "id": "dns-1",
                    "name": "Resolver",
                    "depends_on": [{"any_of": ["core-1", "core-2"]}],
                },
            ]
        ),
        "services": tuple(
            from_jsonable(Service, s)
            for s in [
                {
                    "id": "internet",
                    "name": "Business Internet",
                    "provider": "acme",
                    "calendar": "business",
                    "depends_on": [{"any_of": ["core-1", "core-2"]}, "dns-1"],
                },
                {
                    "id": "voip",
                    "name": "Voice",
                    "provider": "acme",
                    "depends_on": [{"k_of_n": {"k": 2, "of": ["core-1", "core-2", "uplink-a"]}}],
                },
                {"id": "transit", "name": "Transit", "provider": "other-isp"},
            ]
        ),
        "subscriptions": tuple(
            from_jsonable(Subscription, s)
            for s in [
                {
                    "customer": "globex",
                    "service": "internet",
                    "start": "2024-01-01",
                    "monthly_charge": "1234.56",
                    "reference": "PO-1",
                },
                {
                    "customer": "initech",
                    "service": "voip",
                    "monthly_charge": "0.10",
                    "currency": "USD",
                },
                {"customer": "initech", "service": "transit"},
            ]
        ),
        "agreements": tuple(
            from_jsonable(Agreement, a)
            for a in [
                {
                    "id": "acme-corporate",
                    "level": "corporate",
                    "provider": "acme",
                    "effective_from": "2024-01-01",
                    "policies": [
                        {
                            "id": "passwords",
                            "title": "Passwords",
                            "text": "At least 8 characters, changed every 30 days.",
                            "controls": [{"id": "pw-length", "text": "Length is enforced."}],
                        }
                    ],
                },
                {
                    "id": "other-corporate",
                    "level": "corporate",
                    "provider": "other-isp",
                    "effective_from": "2024-01-01",
                },
                {
                    "id": "globex-terms",
                    "level": "customer",
                    "provider": "acme",
                    "customer": "globex",
                    "effective_from": "2024-01-01",
                    "objectives": [{"metric": "mttr", "target": "4h"}],
                    "responsibilities": {
                        "fault_reporting": "customer",
                        "severities": [
                            {"severity": "critical", "response": "15m", "resolution": "4h"}
                        ],
                    },
                },
                {
                    "id": "globex-internet",
                    "level": "service",
                    "provider": "acme",
                    "customer": "globex",
                    "service": "internet",
                    "effective_from": "2024-01-01",
                    "calendar": "business",
                    "objectives": [
                        {"metric": "availability", "target": "99.9%"},
                        {
                            "metric": "latency",
                            "percentile": 95,
                            "target": "30ms",
                            "period": "rolling 28d",
                        },
                    ],
                    "credits": {
                        "tiers": [
                            {"below": "99.9", "credit": "10%"},
                            {"below": "99", "credit": "25%"},
                        ]
                    },
                },
                {
                    "id": "globex-internet",
                    "level": "service",
                    "provider": "acme",
                    "customer": "globex",
                    "service": "internet",
                    "effective_from": "2025-01-01",
                    "calendar": "business",
                    "objectives": [{"metric": "availability", "target": "99.95%"}],
                },
                {
                    "id": "initech-voip",
                    "level": "service",
                    "provider": "acme",
                    "customer": "initech",
                    "service": "voip",
                    "effective_from": "2024-06-01",
                    "objectives": [
                        {"metric": "availability", "target": 99.5, "calendar": "initech-hours"}
                    ],
                },
            ]
        ),
    }
    parts.update(extra)
    return Bundle(**parts)


@pytest.fixture
def make_bundle() -> Callable[..., Bundle]:
    """Build the sample bundle; keyword arguments replace its parts (``parties=(...)`` …)."""
    return sample_bundle


@pytest.fixture
def bundle() -> Bundle:
    """The sample bundle: 5 parties, 3 calendars, 3 services, 4 components, 3 subscriptions
    and 6 agreement versions (``globex-internet`` has two)."""
    return sample_bundle()
