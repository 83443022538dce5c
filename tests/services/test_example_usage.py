"""The example's month of usage is stored and rated by what ``servanda demo`` loads, once: calls
and streams, a three-party conference, QoS links on the effective-bandwidth tariff, RADIUS data
sessions with interim updates (one account beyond its credit limit), and a prepaid account
running out mid-call."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from servanda.accounting.rating.rater import Rater
from servanda.config.loader import load_config
from servanda.core.access import LOCAL_ADMIN
from servanda.ingest.radius.files import read_request_file
from servanda.ingest.radius.memory import MemorySink
from servanda.ingest.usage_files import read_usage_file
from servanda.services import charging, configuration, usage
from servanda.services.example_month import load_example_usage
from servanda.storage.database import transaction
from servanda.storage.tables import UsageChargeRow, UsageRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 2, tzinfo=UTC)


def test_the_example_calls_are_stored_rated_and_charged_once(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    path = EXAMPLE / "usage" / "2024-04.calls.csv"
    records, problems = read_usage_file(path)
    assert problems == []
    first = usage.ingest_usage(engine, LOCAL_ADMIN, records, NOW, origins=str(path))
    assert (first.stored, first.rated, first.not_rated) == (80, 80, 0)
    # the same sum servanda rate gives for the file (docs and README show it)
    assert first.charged == {"EUR": Decimal("58.3747")}
    again = usage.ingest_usage(engine, LOCAL_ADMIN, records, NOW, origins=str(path))
    assert (again.stored, again.unchanged, again.charged) == (0, 80, {})


def charges(engine: Engine) -> dict[str, tuple[str, str, Decimal]]:
    """record id → (account, tariff, amount) of every current charge."""
    with transaction(engine) as session:
        rows = session.execute(
            select(UsageRow.record_id, UsageChargeRow.account, UsageChargeRow.tariff,
                   UsageChargeRow.amount)
            .join(UsageChargeRow, UsageChargeRow.usage_id == UsageRow.id)
            .where(UsageRow.superseded_at.is_(None))
        ).all()  # fmt: skip
        return {r[0]: (r[1], r[2], Decimal(r[3])) for r in rows}


def test_the_whole_month_of_usage(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], NOW)
    loaded = load_example_usage(engine, EXAMPLE / "usage", NOW)
    assert loaded.counts["online requests"] == (8, 8)
    assert loaded.counts["RADIUS requests"] == (60, 56)  # 5 starts charge nothing, 1 stop alone
    assert loaded.counts["usage"] == (85, 85)
    found = charges(engine)

    # the prepaid patient phone: a short call, then a mobile call cut when the card ran out
    [cut] = [a for a in charging.sessions_of(engine, LOCAL_ADMIN, "hospital-patient-214")
             if a.session == "hp214-20240409-1"]  # fmt: skip
    assert (cut.final, cut.used, cut.debited, cut.balance) == (
        True,
        638,
        Decimal("0.9338"),
        Decimal("0.0002"),
    )
    assert found["hp214-20240409-1"] == ("hospital-patient-214", "voice-business", cut.debited)

    # the board conference: three legs, each charged to its own party
    legs = {k: v for k, v in found.items() if k.startswith("conf-0417-board/")}
    assert [v[0] for _, v in sorted(legs.items())] == ["quai-capital", "bertin-associes",
                                                       "hospital"]  # fmt: skip
    assert sum(v[2] for v in legs.values()) == Decimal("2.2770")

    # QoS links: declaring 2 Mbit/s for a link carrying 7 costs more per octet than
    # declaring the true 6 Mbit/s
    good, under = found["link-0413-match"][2], found["link-0427-match"][2]
    assert under / 6_300 > good / 5_400

    # RADIUS data sessions: stored charges equal the requests mediated in memory and rated
    # without a database
    requests, problems = read_request_file(EXAMPLE / "usage" / "2024-04.radius",
                                           source="bras-radius")  # fmt: skip
    assert problems == []
    sink = MemorySink()
    for r in requests:
        if r.event is not None:
            sink(r.event)
    bundle = load_config([EXAMPLE]).bundle
    rater = Rater(bundle.tariffs, bundle.rating_profiles, bundle.calendars)
    reference = rater.rate_table(usage.usage_table(list(sink.usage.values())))
    data = {k: v for k, v in found.items() if v[1] == "data-metered"}
    assert len(data) == reference.num_rows == 56
    assert sum(v[2] for v in data.values()) == sum(reference.column("cost").to_pylist())

    # Institut Rhénan's credit limit of 10 EUR is spent; what it used beyond it is owed
    rhenan = sum(v[2] for v in data.values() if v[0] == "institut-rhenan")
    assert rhenan == Decimal("19.2000")
    assert [b.amount for b in charging.balances(engine, LOCAL_ADMIN, "institut-rhenan")] == [0]

    # loading the month again changes nothing
    again = load_example_usage(engine, EXAMPLE / "usage", NOW)
    assert again.counts["usage"] == (85, 0)
    assert again.counts["RADIUS requests"] == (60, 0)
    assert charges(engine) == found
    assert [b.amount for b in charging.balances(engine, LOCAL_ADMIN, "hospital-patient-214")] == [
        Decimal("0.0002")
    ]
