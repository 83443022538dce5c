"""Running totals of party charges: each total is the exact sum of the charges pointing to it,
a closed generation is never added to again (a writer in flight holds closing back), and
the migration that introduced them keeps what was billed and settled."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from servanda.core.access import LOCAL_ADMIN
from servanda.services import billing, closing, configuration, settlement
from servanda.services.example_month import load_example_month
from servanda.storage import migrate
from servanda.storage.database import make_engine, transaction
from servanda.storage.repositories.charge_totals import (
    add_to_totals,
    close_generation,
    current_generation,
)
from servanda.storage.tables import ChargeTotalRow, PartyChargeRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 3, tzinfo=UTC)


def sums_by_total(engine: Engine) -> dict[int, tuple[int, int]]:
    """(records, nanos) of each total, summed again from its charges."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    with transaction(engine) as session:
        for total, kind, nanos in session.execute(
            select(PartyChargeRow.total_id, PartyChargeRow.kind, PartyChargeRow.nanos)
        ):
            out[total][0] += -1 if kind == "reversal" else 1
            out[total][1] += nanos
    return {k: (v[0], v[1]) for k, v in out.items()}


def totals(engine: Engine) -> dict[int, tuple[int, int, int | None, int | None, str]]:
    with transaction(engine) as session:
        return {
            r.id: (r.records, r.nanos, r.billed_in, r.settled_in, r.month)
            for r in session.scalars(select(ChargeTotalRow))
        }


def test_each_total_is_the_sum_of_its_charges(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    load_example_month(engine, EXAMPLE, NOW)
    stored = totals(engine)
    assert stored
    assert {k: v[:2] for k, v in stored.items()} == sums_by_total(engine)
    # the provider bills on Paris time: April's usage is April's, whatever UTC says
    assert {v[4] for v in stored.values()} == {"2024-04"}


def test_a_writer_in_flight_holds_closing_back(engine: Engine) -> None:
    with transaction(engine) as session:  # a generation row exists
        current_generation(session)
    closed: list[int] = []
    with transaction(engine) as session:
        gen = current_generation(session)
        add_to_totals(session, [charge()])
        closer = threading.Thread(target=lambda: closed.append(close_generation(engine)))
        closer.start()
        time.sleep(0.5)
        assert closed == [], "a generation was closed under a writer adding to it"
    closer.join(30)
    assert closed == [gen + 1]
    with transaction(engine) as session:
        assert current_generation(session) == gen + 1
        # what the writer added is in the generation it read, which is now closed
        assert session.scalar(select(func.max(ChargeTotalRow.gen))) == gen


def charge() -> dict[str, object]:
    return {
        "month": "2024-04", "role": "pays", "debtor": "a", "creditor": "b", "currency": "EUR",
        "category": "call", "service": None, "tariff": "t", "destination_group": None,
        "band": None, "rule": None, "kind": "charge", "nanos": 5,
        "usage_start": datetime(2024, 4, 2, tzinfo=UTC),
    }  # fmt: skip


def test_the_migration_keeps_what_was_billed_and_settled(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        configuration.load(engine, [EXAMPLE], NOW)
        load_example_month(engine, EXAMPLE, NOW)
        closing.close_period(engine, LOCAL_ADMIN, "2024-04", NOW)
        run = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
        billing.issue(engine, LOCAL_ADMIN, "2024-04", NOW)
        settled = settlement.settle(engine, LOCAL_ADMIN, "2024-04", NOW)
        assert run.drafts
        assert settled
        before = taken_by_charge(engine)

        migrate.downgrade(db_url, "0016")  # back to a mark on every charge
        with engine.connect() as connection:
            marked = {
                r[0]: (r[1], r[2])
                for r in connection.execute(
                    text("SELECT id, billed_in, settled_in FROM party_charges")
                )
            }
        assert marked == before

        migrate.upgrade(db_url)  # and summed into totals again
        assert taken_by_charge(engine) == before
        assert {k: v[:2] for k, v in totals(engine).items()} == sums_by_total(engine)
        again = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
        assert again.drafts == []
        assert again.skipped
        assert settlement.settle(engine, LOCAL_ADMIN, "2024-04", NOW) == []
    finally:
        engine.dispose()


def taken_by_charge(engine: Engine) -> dict[int, tuple[int | None, int | None]]:
    with transaction(engine) as session:
        return {
            i: (b, s)
            for i, b, s in session.execute(
                select(PartyChargeRow.id, ChargeTotalRow.billed_in, ChargeTotalRow.settled_in).join(
                    ChargeTotalRow, ChargeTotalRow.id == PartyChargeRow.total_id
                )
            )
        }
