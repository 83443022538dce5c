"""Storing and rating usage, on SQLite and PostgreSQL: once per key, corrections as a reversal
and a new charge, the quarantine and its retry, two writers at once, and shuffled batches
against the in-order run."""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from servanda.accounting.usage import Category, UsageRecord
from servanda.config.loader import load_config
from servanda.core.access import LOCAL_ADMIN
from servanda.declared.bundle import Bundle
from servanda.services import usage as cases
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.usage import UsageRepository
from servanda.storage.tables import PartyChargeRow, UsageChargeRow, UsageRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 1, tzinfo=UTC)
T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)  # 10:00 in Paris, a Tuesday: peak


def example() -> Bundle:
    result = load_config([EXAMPLE])
    assert not result.problems
    return result.bundle


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with transaction(engine) as session:
        BundleRepository(session).save(example(), now=NOW - timedelta(days=60))
    return engine


def call(n: int, seconds: int = 90, destination: str = "+33142000000") -> UsageRecord:
    return UsageRecord(
        source="sbc-1",
        record_id=f"cdr-{n}",
        account="quai-capital",
        category=Category.CALL,
        start=T0 + timedelta(minutes=n),
        duration=timedelta(seconds=seconds),
        destination=destination,
    )


def charges(engine: Engine) -> list[tuple[str, str, Decimal]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(UsageRow.record_id, UsageChargeRow.kind, UsageChargeRow.amount)
            .join(UsageRow, UsageRow.id == UsageChargeRow.usage_id)
            .order_by(UsageChargeRow.id)
        )
        return [(r, k, Decimal(a)) for r, k, a in rows]


def total(engine: Engine) -> Decimal:
    with transaction(engine) as session:
        return UsageRepository(session).totals().get("EUR", Decimal(0))


def test_a_record_is_stored_and_charged_once(stored: Engine) -> None:
    first = cases.ingest_usage(stored, LOCAL_ADMIN, [call(1), call(2)], NOW)
    assert (first.stored, first.rated) == (2, 2)
    # 0.03 + 0.018 (first minute) + 30 s × 0.018/60 = 0.057
    assert first.charged == {"EUR": Decimal("0.1140")}
    again = cases.ingest_usage(stored, LOCAL_ADMIN, [call(2), call(1)], NOW)
    assert (again.stored, again.unchanged, again.rated) == (0, 2, 0)
    assert total(stored) == Decimal("0.1140")
    assert len(charges(stored)) == 2


def test_a_correction_reverses_the_charge_and_books_the_new_one(stored: Engine) -> None:
    cases.ingest_usage(stored, LOCAL_ADMIN, [call(1)], NOW)
    old = cases.version_of(call(1))
    fixed = replace(call(1, seconds=150), corrects=old)
    summary = cases.ingest_usage(stored, LOCAL_ADMIN, [fixed], NOW)
    assert (summary.stored, summary.corrected) == (1, 1)
    # 0.03 + 0.018 + 90 s × 0.018/60 = 0.075; the old 0.057 is reversed
    assert charges(stored) == [
        ("cdr-1", "charge", Decimal("0.0570")),
        ("cdr-1", "reversal", Decimal("-0.0570")),
        ("cdr-1", "charge", Decimal("0.0750")),
    ]
    assert total(stored) == Decimal("0.0750")
    repeat = cases.ingest_usage(stored, LOCAL_ADMIN, [fixed], NOW)
    assert repeat.unchanged == 1
    assert total(stored) == Decimal("0.0750")


def test_a_differing_record_is_quarantined_until_taken_as_a_correction(stored: Engine) -> None:
    cases.ingest_usage(stored, LOCAL_ADMIN, [call(1)], NOW)
    summary = cases.ingest_usage(stored, LOCAL_ADMIN, [call(1, seconds=150)], NOW)
    assert (summary.stored, summary.rejected) == (0, 1)
    assert "send it with corrects:" in summary.reasons[0]
    [item] = cases.rejected(stored, LOCAL_ADMIN)
    assert (item.stage, item.record_id) == ("mediation", "cdr-1")
    assert total(stored) == Decimal("0.0570")

    plain = cases.retry_rejected(stored, LOCAL_ADMIN, NOW)
    assert (plain.resolved, plain.still) == (0, 1)
    taken = cases.retry_rejected(stored, LOCAL_ADMIN, NOW, as_corrections=True)
    assert (taken.resolved, taken.still) == (1, 0)
    assert total(stored) == Decimal("0.0750")
    assert cases.rejected(stored, LOCAL_ADMIN) == []


def test_usage_no_tariff_rates_is_stored_quarantined_and_rated_after_a_fix(
    stored: Engine,
) -> None:
    summary = cases.ingest_usage(stored, LOCAL_ADMIN, [call(1, destination="+99912")], NOW)
    assert (summary.stored, summary.not_rated) == (1, 1)
    [item] = cases.rejected(stored, LOCAL_ADMIN)
    assert item.stage == "rating"
    assert "no prefix matches" in item.reason
    assert cases.retry_rejected(stored, LOCAL_ADMIN, NOW).still == 1

    bundle = example()
    voice = next(t for t in bundle.tariffs if t.id == "voice-business")
    world = next(d for d in voice.destinations if d.id == "world")
    wider = replace(world, prefixes=(*world.prefixes, "+999"))
    fixed = replace(
        voice, destinations=tuple(wider if d.id == "world" else d for d in voice.destinations)
    )
    with transaction(stored) as session:
        BundleRepository(session).save(Bundle(tariffs=(fixed,)), now=NOW)
    retried = cases.retry_rejected(stored, LOCAL_ADMIN, NOW)
    assert (retried.resolved, retried.still) == (1, 0)
    # world: 0.10 + 90 s × 0.45/60 = 0.775
    assert total(stored) == Decimal("0.7750")
    assert cases.retry_rejected(stored, LOCAL_ADMIN, NOW).tried == 0


def test_two_writers_at_once_store_and_charge_each_record_once(stored: Engine) -> None:
    batch = [call(n, seconds=30 + n) for n in range(200)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(order: list[UsageRecord]) -> None:
        start.wait()
        try:
            cases.ingest_usage(stored, LOCAL_ADMIN, order, NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    shuffled = batch[:]
    random.Random(7).shuffle(shuffled)
    threads = [threading.Thread(target=writer, args=(o,)) for o in (batch, shuffled)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    kinds = charges(stored)
    assert len(kinds) == 200
    assert len({r for r, _, _ in kinds}) == 200


def test_shuffled_batches_give_the_in_order_run(stored: Engine, engine: Engine) -> None:
    records = [call(n, seconds=(n * 37) % 900) for n in range(120)]
    corrections = [
        replace(records[n], duration=timedelta(seconds=61), corrects=cases.version_of(records[n]))
        for n in range(0, 120, 10)
    ]
    cases.ingest_usage(stored, LOCAL_ADMIN, records + corrections, NOW)
    in_order = total(stored)
    with transaction(stored) as session:
        session.execute(PartyChargeRow.__table__.delete())
        session.execute(UsageChargeRow.__table__.delete())
        session.execute(UsageRow.__table__.delete())
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    for i in range(0, 120, 25):
        cases.ingest_usage(stored, LOCAL_ADMIN, shuffled[i : i + 25], NOW)
    cases.ingest_usage(stored, LOCAL_ADMIN, corrections[::-1], NOW)
    cases.ingest_usage(stored, LOCAL_ADMIN, records[:50], NOW)  # late duplicates
    assert total(stored) == in_order


def test_a_message_delivered_again_is_quarantined_once(stored: Engine) -> None:
    for _ in range(2):  # the acknowledgement was lost: the stream delivers it again
        cases.quarantine_payload(stored, LOCAL_ADMIN, b"\xff not json", "nats:u#7", "not JSON", NOW)
    cases.quarantine_payload(stored, LOCAL_ADMIN, b"{}", "nats:u#8", "no source", NOW)
    entries = cases.rejected(stored, LOCAL_ADMIN)
    assert [(r.origin, r.reason) for r in entries] == [
        ("nats:u#7", "not JSON"), ("nats:u#8", "no source")
    ]  # fmt: skip
    assert entries[0].payload == {"hex": b"\xff not json".hex()}
