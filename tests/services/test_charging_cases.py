"""Online charging on SQLite and PostgreSQL: a prepaid account running out mid-call with a
final-unit indication, requests sent again answered alike, expired reservations, postpaid
accounts, and many sessions of one account at once never spending more than it holds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from servanda.accounting.charging import BucketKind
from servanda.accounting.usage import Category
from servanda.config.loader import load_config
from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import Conflict
from servanda.services import charging
from servanda.services.charging import SessionRequest
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.usage import UsageRepository
from servanda.storage.tables import BucketRow, UsageRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Paris


@pytest.fixture
def stored(engine: Engine) -> Engine:
    result = load_config([EXAMPLE])
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, now=T0 - timedelta(days=30))
    return engine


def mobile_call(account: str = "prepaid-7", at: datetime = T0) -> SessionRequest:
    return SessionRequest(
        account=account, category=Category.CALL, start=at, destination="+33612345678"
    )


def money(engine: Engine, account: str) -> Decimal:
    return sum(
        (b.amount for b in charging.balances(engine, LOCAL_ADMIN, account) if b.kind == "money"),
        Decimal(0),
    )


def test_a_prepaid_account_runs_out_mid_call(stored: Engine) -> None:
    charging.top_up(stored, LOCAL_ADMIN, "prepaid-7", BucketKind.MONEY, Decimal("1.00"), T0,
                    currency="EUR")  # fmt: skip
    first = charging.initiate(stored, LOCAL_ADMIN, mobile_call(), 300, T0, session_id="s1")
    # 0.03 + 30 s block 0.0425 + 270 s × 0.085/60: 0.455 reserved
    assert (first.granted, first.final, first.reserved) == (300, False, Decimal("0.455"))
    assert first.balance == Decimal("0.545")
    second = charging.update_session(stored, LOCAL_ADMIN, "s1", 1, 300, 600, T0)
    # 0.455 debited; 0.545 left pays 384 s at 0.085 a minute (0.544)
    assert (second.granted, second.final) == (384, True)
    assert second.reason == "the balance is exhausted"
    assert second.debited == Decimal("0.455")
    last = charging.terminate(stored, LOCAL_ADMIN, "s1", 2, 384, T0 + timedelta(seconds=684))
    assert (last.state, last.used, last.debited) == ("terminated", 684, Decimal("0.999"))
    assert money(stored, "prepaid-7") == Decimal("0.001")
    again = charging.terminate(stored, LOCAL_ADMIN, "s1", 2, 384, T0 + timedelta(seconds=700))
    assert again == last  # the same request twice: the same answer, nothing debited again
    with transaction(stored) as session:
        [row] = session.scalars(select(UsageRow).where(UsageRow.source == "ocs")).all()
        assert row.record["duration"] == "PT11M24S"  # 684 s
        totals = UsageRepository(session).totals()
    assert totals == {"EUR": Decimal("0.9990")}  # the stored charge is what was debited


def test_requests_out_of_order_are_refused(stored: Engine) -> None:
    charging.initiate(stored, LOCAL_ADMIN, mobile_call("post-1"), 60, T0, session_id="s2")
    with pytest.raises(Conflict, match="request 3 of session s2 follows request 0"):
        charging.update_session(stored, LOCAL_ADMIN, "s2", 3, 10, 60, T0)


def test_a_postpaid_account_is_granted_what_it_asks(stored: Engine) -> None:
    answer = charging.initiate(stored, LOCAL_ADMIN, mobile_call("post-1"), 3600, T0)
    assert (answer.granted, answer.final, answer.balance) == (3600, False, None)


def test_the_tariffs_maximum_cost_with_disconnect_is_the_final_unit(stored: Engine) -> None:
    world = SessionRequest("post-2", Category.CALL, T0, destination="+12125550100")
    answer = charging.initiate(stored, LOCAL_ADMIN, world, 10_000, T0)
    # 0.10 + 0.45 a minute reaches 40.00 at 5,320 s
    assert (answer.granted, answer.final) == (5320, True)
    assert answer.reason == "the tariff's maximum cost"


def test_a_silent_session_expires_and_its_reservation_returns(stored: Engine) -> None:
    charging.top_up(stored, LOCAL_ADMIN, "prepaid-8", BucketKind.MONEY, Decimal("0.50"), T0,
                    currency="EUR")  # fmt: skip
    held = charging.initiate(stored, LOCAL_ADMIN, mobile_call("prepaid-8"), 600, T0)
    assert held.final
    later = T0 + charging.VALIDITY + timedelta(seconds=1)
    fresh = charging.initiate(stored, LOCAL_ADMIN, mobile_call("prepaid-8", later), 60, later)
    # the first session expired: its 0.50 held is free again; 60 s hold 0.03 + 0.0425 + 0.0425
    assert fresh.balance == Decimal("0.50") - Decimal("0.115")
    assert charging.expire_stale(stored, later + charging.VALIDITY * 2) == 1


def test_included_minutes_are_used_before_money(stored: Engine) -> None:
    charging.top_up(stored, LOCAL_ADMIN, "bundle-1", BucketKind.TIME, Decimal(120), T0)
    charging.top_up(stored, LOCAL_ADMIN, "bundle-1", BucketKind.MONEY, Decimal("5"), T0,
                    currency="EUR")  # fmt: skip
    first = charging.initiate(stored, LOCAL_ADMIN, mobile_call("bundle-1"), 100, T0, session_id="b")
    assert (first.granted, first.reserved) == (100, Decimal(0))
    charging.terminate(stored, LOCAL_ADMIN, "b", 1, 100, T0 + timedelta(seconds=100))
    buckets = {b.kind: b.amount for b in charging.balances(stored, LOCAL_ADMIN, "bundle-1")}
    assert buckets == {BucketKind.TIME: Decimal(20), BucketKind.MONEY: Decimal(5)}


def test_concurrent_sessions_of_one_account_never_overspend(stored: Engine) -> None:
    charging.top_up(stored, LOCAL_ADMIN, "shared", BucketKind.MONEY, Decimal("2.00"), T0,
                    currency="EUR")  # fmt: skip
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def caller(n: int) -> None:
        start.wait()
        try:
            sid = f"c{n}"
            answer = charging.initiate(stored, LOCAL_ADMIN, mobile_call("shared"), 120, T0,
                                       session_id=sid)  # fmt: skip
            number = 0
            while not answer.final and answer.granted:
                number += 1
                answer = charging.update_session(
                    stored, LOCAL_ADMIN, sid, number, answer.granted, 120, T0
                )
            charging.terminate(stored, LOCAL_ADMIN, sid, number + 1, answer.granted, T0)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with transaction(stored) as session:
        amounts = [Decimal(a) for a in session.scalars(select(BucketRow.amount))]
        charged = UsageRepository(session).totals()["EUR"]
    assert all(a >= 0 for a in amounts)
    left = sum(amounts, Decimal(0))
    assert Decimal(0) <= left < Decimal("0.10")  # spent down to less than a call's first step
    assert charged == Decimal("2.00") - left
