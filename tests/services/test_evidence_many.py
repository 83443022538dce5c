"""The evidence of many customers read at once is, for each customer, what reading it alone
gives: outages, their incidents, measurements of its series, feedback and attestations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from servanda.services import configuration
from servanda.services.evidence import gather_many
from servanda.services.example_month import load_example_month
from servanda.services.sla import evidence_start, gather_evidence, period_of
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 3, tzinfo=UTC)


def test_many_at_once_equals_one_by_one(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    load_example_month(engine, EXAMPLE, NOW)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        customers = sorted({s.customer for s in bundle.subscriptions})
        windows = {}
        for i, c in enumerate(customers):  # different windows: a month, a quarter
            period = period_of(bundle, c, "2024-04" if i % 2 else "2024-Q2", NOW)
            windows[c] = (evidence_start(bundle, period), period.end)
        together = gather_many(session, bundle, windows)
        assert set(together) == set(customers)
        busy = 0
        for c, (start, end) in windows.items():
            alone = gather_evidence(session, bundle, c, start, end)
            assert together[c] == alone, c
            busy += bool(alone.outages) and any(alone.measurements.values())
        assert busy >= 2  # the comparison covers customers with outages and measurements
