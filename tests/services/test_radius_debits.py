"""RADIUS interim updates debit a credit-limited postpaid account as they come, on SQLite and
PostgreSQL: each interim's charge is drawn from the account's credit limit, the movements name
the usage they paid for, a session going beyond the limit is still charged with the rest owed,
an account without buckets is left alone, and a RADIUS session and an online session of one
account at once never spend its limit twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from servanda.accounting.charging import BucketKind
from servanda.accounting.sessions import SessionEvent, Status
from servanda.accounting.usage import Category
from servanda.config.loader import load_config
from servanda.core.access import LOCAL_ADMIN
from servanda.services import charging
from servanda.services.charging import SessionRequest
from servanda.services.radius import StoredSink
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import BalanceMovementRow, UsageChargeRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
MB = 1_000_000


@pytest.fixture
def stored(engine: Engine) -> Engine:
    with transaction(engine) as session:
        BundleRepository(session).save(load_config([EXAMPLE]).bundle, now=T0 - timedelta(days=30))
    return engine


def event(status: Status, minutes: int, megabytes: int, *, sid: str = "s1",
          account: str = "limited-9") -> SessionEvent:  # fmt: skip
    return SessionEvent(
        source="bras-radius", nas="bras-1", session_id=sid, status=status,
        at=T0 + timedelta(minutes=minutes), session_time=timedelta(minutes=minutes),
        input_octets=megabytes * MB // 10, output_octets=megabytes * MB - megabytes * MB // 10,
        account=account,
    )  # fmt: skip


def money(engine: Engine, account: str) -> Decimal:
    return sum(
        (b.amount for b in charging.balances(engine, LOCAL_ADMIN, account) if b.kind == "money"),
        Decimal(0),
    )


def charged(engine: Engine, account: str) -> Decimal:
    with transaction(engine) as session:
        total = session.scalars(
            select(UsageChargeRow.amount).where(UsageChargeRow.account == account)
        ).all()
        return sum((Decimal(a) for a in total), Decimal(0))


def test_interims_debit_the_credit_limit_as_they_come(stored: Engine) -> None:
    charging.top_up(stored, LOCAL_ADMIN, "limited-9", BucketKind.MONEY, Decimal("10"), T0,
                    currency="EUR", reference="limit-2024-04")  # fmt: skip
    sink = StoredSink(stored, LOCAL_ADMIN, service="internet-access", clock=lambda: T0)
    sink(event(Status.START, 0, 0))
    sink(event(Status.INTERIM, 5, 500))  # 500 MB at 0.004 EUR/MB
    assert money(stored, "limited-9") == Decimal("10") - Decimal("2.0000")
    sink(event(Status.INTERIM, 10, 1_500))
    assert money(stored, "limited-9") == Decimal("4.0000")
    sink(event(Status.INTERIM, 10, 1_500))  # the same interim again debits nothing
    assert money(stored, "limited-9") == Decimal("4.0000")
    assert sink.shortfalls == []
    with transaction(stored) as session:
        everything = session.scalars(select(BalanceMovementRow)).all()
        movements = [m for m in everything if Decimal(m.amount) < 0]
        assert len(movements) == 2
        assert all(m.usage_id is not None for m in movements)
        paid = {m.usage_id: -Decimal(m.amount) for m in movements}
        charges = {
            c.usage_id: Decimal(c.amount) for c in session.scalars(select(UsageChargeRow)).all()
        }
        assert paid == charges

    sink(event(Status.STOP, 20, 3_000))  # 1.5 GB more: 6 EUR, 4 left
    assert money(stored, "limited-9") == 0
    [short] = sink.shortfalls
    assert (short.account, short.owed, short.currency) == ("limited-9", Decimal("2.0000"), "EUR")
    assert charged(stored, "limited-9") == Decimal("12.0000")  # charged in full all the same


def test_an_account_without_buckets_is_postpaid_without_limit(stored: Engine) -> None:
    sink = StoredSink(stored, LOCAL_ADMIN, service="internet-access", clock=lambda: T0)
    sink(event(Status.START, 0, 0, account="corporate-1"))
    sink(event(Status.STOP, 30, 10_000, account="corporate-1"))
    assert charged(stored, "corporate-1") == Decimal("40.0000")
    assert sink.shortfalls == []
    with transaction(stored) as session:
        assert session.scalar(select(func.count()).select_from(BalanceMovementRow)) == 0


def test_a_radius_session_and_an_online_call_never_spend_the_limit_twice(
    stored: Engine,
) -> None:
    charging.top_up(stored, LOCAL_ADMIN, "limited-9", BucketKind.MONEY, Decimal("5"), T0,
                    currency="EUR")  # fmt: skip
    sink = StoredSink(stored, LOCAL_ADMIN, service="internet-access", clock=lambda: T0)
    sink(event(Status.START, 0, 0))
    call = charging.initiate(
        stored, LOCAL_ADMIN,
        SessionRequest(account="limited-9", category=Category.CALL, start=T0,
                       destination="+33612345678"),
        600, T0,
    )  # fmt: skip
    assert call.granted == 600
    assert call.reserved > 0
    errors: list[BaseException] = []

    def interims() -> None:
        try:
            for i in range(1, 6):
                sink(event(Status.INTERIM, i, 300 * i))  # 1.2 EUR per interim
        except BaseException as e:
            errors.append(e)

    worker = threading.Thread(target=interims)
    worker.start()
    ended = charging.terminate(
        stored, LOCAL_ADMIN, call.session, 1, 600, T0 + timedelta(minutes=10)
    )
    worker.join()
    assert not errors
    left = money(stored, "limited-9")
    assert left >= 0
    owed = sum((s.owed for s in sink.shortfalls), Decimal(0))
    # The call's reservation was honoured: the interims could not take the money set aside
    # for it, so the call is paid in full, and the interims are owed what was left over.
    assert ended.debited == call.reserved == charged(stored, "limited-9") - charged_radius(stored)
    assert Decimal(5) - left + owed == ended.debited + charged_radius(stored)


def charged_radius(engine: Engine) -> Decimal:
    with transaction(engine) as session:
        rows = session.scalars(
            select(UsageChargeRow.amount).where(
                UsageChargeRow.account == "limited-9", UsageChargeRow.tariff == "data-metered"
            )
        ).all()
        return sum((Decimal(a) for a in rows), Decimal(0))
