"""Party charges of the example's month: the charging rules of ``billing.yaml`` applied to
every rated record as it is stored — the hospital pays its 0800 line, a conference is split
three ways, the content providers are owed their shares, the carrier its termination cost —
and the payments of each record add up to its charge; a correction reverses them all."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from servanda.core.access import LOCAL_ADMIN
from servanda.ingest.usage_files import read_usage_file
from servanda.services import configuration, usage
from servanda.services.example_month import load_example_usage
from servanda.storage.database import transaction
from servanda.storage.tables import PartyChargeRow, UsageChargeRow, UsageRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 2, tzinfo=UTC)


def party_charges(engine: Engine) -> list[PartyChargeRow]:
    with transaction(engine) as session:
        rows = session.scalars(select(PartyChargeRow).order_by(PartyChargeRow.id)).all()
        session.expunge_all()
        return list(rows)


def record_ids(engine: Engine) -> dict[int, str]:
    with transaction(engine) as session:
        return dict(session.execute(select(UsageRow.id, UsageRow.record_id)).all())


def test_the_example_month_is_charged_to_its_parties(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    load_example_usage(engine, EXAMPLE / "usage", NOW)
    rows = party_charges(engine)
    ids = record_ids(engine)
    by_record: dict[str, list[PartyChargeRow]] = defaultdict(list)
    for r in rows:
        by_record[ids[r.usage_id]].append(r)

    # the call to the hospital's 0800 line is paid by the hospital, not by the caller
    [hosted] = [k for k, v in by_record.items() if any(r.debtor == "hospital" and
                r.rule == "hospital-freephone" for r in v)]  # fmt: skip
    assert [(r.role, r.debtor) for r in by_record[hosted]] == [
        ("pays", "hospital"),
        ("cost", "metro-isp"),
    ]

    # the board conference is shared equally by its three participants
    legs = [r for k, v in by_record.items() if k.startswith("conf-0417-board/") for r in v
            if r.role == "pays"]  # fmt: skip
    per_party: dict[str, Decimal] = defaultdict(Decimal)
    for r in legs:
        per_party[r.debtor] += Decimal(r.amount)
    assert set(per_party) == {"quai-capital", "bertin-associes", "hospital"}
    assert sum(per_party.values()) == Decimal("2.2770")
    assert max(per_party.values()) - min(per_party.values()) <= Decimal("0.0002")

    # content providers are owed their shares; the carrier its termination cost
    shares = [r for r in rows if r.role == "share"]
    assert {r.creditor for r in shares} == {"lumiere-tv", "arena-sports"}
    assert all(r.debtor == "metro-isp" for r in shares)
    costs = [r for r in rows if r.role == "cost"]
    assert {r.creditor for r in costs} == {"alpine-transit"}
    assert len(costs) == 68 + 3 + 2  # every call, conference leg and prepaid call

    # each record's payments add up to its charge exactly
    with transaction(engine) as session:
        charges = {u: Decimal(a) for u, a in session.execute(
            select(UsageChargeRow.usage_id, UsageChargeRow.amount))}  # fmt: skip
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.role == "pays":
            paid[r.usage_id] += Decimal(r.amount)
        assert r.nanos == int(Decimal(r.amount) * 10**9)
    assert paid == charges


def test_a_correction_reverses_the_party_charges_and_books_new_ones(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    path = EXAMPLE / "usage" / "2024-04.calls.csv"
    records, _ = read_usage_file(path)
    usage.ingest_usage(engine, LOCAL_ADMIN, records, NOW)
    first = records[0]
    stored = usage.ingest_usage(engine, LOCAL_ADMIN, [first], NOW)
    assert stored.unchanged == 1
    with transaction(engine) as session:
        version = session.scalar(
            select(UsageRow.version).where(UsageRow.record_id == first.record_id)
        )
    longer = replace(first, duration=first.duration * 2, corrects=version)
    usage.ingest_usage(engine, LOCAL_ADMIN, [longer], NOW)
    rows = party_charges(engine)
    ids = record_ids(engine)
    mine = [r for r in rows if ids[r.usage_id] == first.record_id]
    assert sorted(r.kind for r in mine) == ["charge", "charge", "charge", "charge", "reversal",
                                           "reversal"]  # fmt: skip
    # the first record is a call to the hospital's 0800 line: the hospital pays it
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in mine:
        net[(r.role, r.debtor)] += Decimal(r.amount)
    current = max(r.usage_id for r in mine)
    now_paid = sum(Decimal(r.amount) for r in mine if r.usage_id == current and r.role == "pays")
    assert now_paid == Decimal("0.3920")  # 14 minutes at 0.028
    assert net == {("pays", "hospital"): now_paid, ("cost", "metro-isp"): Decimal("0.1400")}
