"""SLA results and credits in storage, on SQLite and PostgreSQL: stored when a customer's
period is closed, a new version after a reopen (the old one kept), numbers exact, actual
recomputed from numerator and denominator."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import ClaimMode, Comparator
from servanda.measure.closure import Closure
from servanda.measure.results import Breach, Budget, Credit, ObjectiveResult, Verdict
from servanda.storage.database import make_sessionmaker, transaction
from servanda.storage.repositories import ResultRepository, StoredCredit, StoredResult, actual_of
from servanda.storage.repositories.results import stored_fraction
from servanda.storage.tables import ResultRow

APRIL = (datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
MAY = (datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))
COMPUTED = datetime(2024, 5, 2, 6, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=2))

# April has 30 days: 2 592 000 s. 1 296 s down (21 min 36 s) leaves 2 590 704 s up, 99.95 %;
# a 99.9 % target allows 0.1 % of 2 592 000 = 2 592 s, so half the budget is spent.
AVAILABILITY = ObjectiveResult(
    objective="availability",
    metric=Metric.AVAILABILITY,
    target=Decimal("99.9"),
    comparator=Comparator.GE,
    unit=Unit.PERCENT,
    verdict=Verdict.MET,
    actual=Decimal("99.95"),
    numerator=Decimal(2_590_704),
    denominator=Decimal(2_592_000),
    convention="exclude: (T − P − U) / (T − P)",
    budget=Budget(
        unit="seconds",
        allowed=Decimal(2592),
        consumed=Decimal(1296),
        remaining=Decimal(1296),
        remaining_share=Decimal("0.5"),
        burn_rate=Decimal("0.5"),
    ),
    breaches=(
        Breach(
            objective="availability",
            detail="internet down 21 min 36 s (inc-1), 50 % of the budget",
            start=datetime(2024, 4, 9, 14, 0, tzinfo=PARIS),
            end=datetime(2024, 4, 9, 14, 21, 36, tzinfo=PARIS),
            incidents=("inc-1",),
        ),
    ),
    figures=(("planned downtime", "2 h"), ("agreed time", "30 d")),
    source="globex-internet",
)
# Two failures, 1 296 s down in all: MTRS 648 s.
MTTR = ObjectiveResult(
    objective="mttr",
    metric=Metric.MTTR,
    target=Decimal(14400),
    comparator=Comparator.LE,
    unit=Unit.SECONDS,
    verdict=Verdict.MET,
    actual=Decimal(648),
    numerator=Decimal(1296),
    denominator=Decimal(2),
    source="globex-terms",
)
# A percentile is no ratio: it is stored over 1.
LATENCY = ObjectiveResult(
    objective="latency",
    metric=Metric.LATENCY,
    target=Decimal(30),
    comparator=Comparator.LE,
    unit=Unit.MILLISECONDS,
    verdict=Verdict.MET,
    actual=Decimal("23.4"),
    source="globex-internet",
)
NO_DATA = ObjectiveResult(
    objective="good-requests",
    metric=Metric.GOOD_RATIO,
    target=Decimal("99"),
    comparator=Comparator.GE,
    unit=Unit.PERCENT,
    verdict=Verdict.NO_DATA,
    numerator=Decimal(0),
    denominator=Decimal(0),
    source="globex-internet",
)


def stored(
    result: ObjectiveResult, period: tuple[datetime, datetime] = APRIL, **kw: object
) -> StoredResult:
    fields: dict[str, object] = {
        "provider": "acme",
        "customer": "globex",
        "service": "internet",
        "period_label": period[0].strftime("%Y-%m"),
        "period_start": period[0],
        "period_end": period[1],
        "result": result,
        "computed_at": COMPUTED,
    }
    fields.update(kw)
    return StoredResult(**fields)  # type: ignore[arg-type]


def credit(period: tuple[datetime, datetime] = APRIL, **kw: object) -> StoredCredit:
    fields: dict[str, object] = {
        "customer": "globex",
        "service": "internet",
        "period_start": period[0],
        "period_end": period[1],
        "objective": "availability",
        "actual": Decimal("99.85"),
        "target": Decimal("99.9"),
        "tier_below": Decimal("99.9"),
        "percent": Decimal(10),
        "reason": "availability 99.85 % is below 99.9 %: 10 % of the month's charge",
        "charge": Decimal("1234.56"),
        "amount": Decimal("123.46"),  # 123.456 rounded half-up to the cent
        "currency": "EUR",
    }
    fields.update(kw)
    return StoredCredit(Credit(**fields), COMPUTED)  # type: ignore[arg-type]


def close(
    repo: ResultRepository,
    customer: str,
    period: tuple[datetime, datetime],
    results: list[StoredResult] | None = None,
    credits: list[StoredCredit] | None = None,
) -> Closure:
    """Close ``customer``'s period with these results and credits."""
    return repo.close(
        provider="acme",
        customer=customer,
        period_label="2024-04" if period == APRIL else "2024-05",
        period_start=period[0],
        period_end=period[1],
        at=COMPUTED,
        by="billing:tok-1",
        report={"report": "as closed"},
        results=results or [],
        credits=credits or [],
    )


def closed_again(
    repo: ResultRepository,
    customer: str,
    period: tuple[datetime, datetime],
    results: list[StoredResult] | None = None,
    credits: list[StoredCredit] | None = None,
) -> Closure:
    """Reopen ``customer``'s period and close it again with these."""
    latest = repo.closure(customer, *period)
    assert latest is not None
    repo.reopen(latest, COMPUTED + timedelta(days=1), "admin", "a late outage")
    return close(repo, customer, period, results, credits)


# -- results ---------------------------------------------------------------------------------


def test_results_round_trip_with_actual_recomputed(session: Session) -> None:
    repo = ResultRepository(session)
    mttr = stored(MTTR, service=None)
    given_results = [stored(AVAILABILITY), mttr, stored(LATENCY), stored(NO_DATA)]
    closure = close(repo, "globex", APRIL, given_results)
    assert (closure.version, closure.final, closure.closed_by) == (1, True, "billing:tok-1")
    session.commit()
    session.expunge_all()

    back = repo.results("globex", APRIL)
    assert [b.result.objective for b in back] == [
        "availability", "mttr", "latency", "good-requests",
    ]  # fmt: skip
    availability, mttr_back, latency, no_data = back
    assert availability == stored(AVAILABILITY)
    assert availability.result.actual == Decimal("99.95")
    assert availability.result.budget == AVAILABILITY.budget
    breach = availability.result.breaches[0]
    assert breach.start is not None
    assert breach.start.tzinfo == UTC
    assert breach.start == datetime(2024, 4, 9, 12, 0, tzinfo=UTC)
    assert availability.period_start.tzinfo is UTC
    assert availability.computed_at == COMPUTED

    assert mttr_back == mttr
    assert mttr_back.service is None
    assert mttr_back.result.actual == Decimal(648)
    # The percentile comes back as itself over 1.
    assert latency.result.actual == Decimal("23.4")
    assert (latency.result.numerator, latency.result.denominator) == (Decimal("23.4"), 1)
    assert latency == stored(replace(LATENCY, numerator=Decimal("23.4"), denominator=Decimal(1)))
    assert no_data.result.actual is None
    assert no_data == stored(NO_DATA)


def test_decimals_stay_exact(session: Session) -> None:
    # 0.1 + 0.2 good of 0.3 is exactly 100 %; in binary floats it would not be.
    assert 0.1 + 0.2 != 0.3
    ratio = replace(
        NO_DATA,
        verdict=Verdict.MET,
        numerator=Decimal("0.1") + Decimal("0.2"),
        denominator=Decimal("0.3"),
        actual=Decimal(100),
        target=Decimal("99.95"),
    )
    third = replace(MTTR, numerator=Decimal(1), denominator=Decimal(3), actual=Decimal(1) / 3)
    repo = ResultRepository(session)
    close(repo, "globex", APRIL, [stored(ratio), stored(third)])
    session.commit()
    session.expunge_all()
    first, second = (b.result for b in repo.results("globex"))
    assert first.actual == Decimal(100)
    assert first.target == Decimal("99.95")
    assert str(first.numerator) == "0.3"
    assert second.actual == Decimal("0.3333333333333333333333333333")
    assert str(session.scalar(select(ResultRow.target).where(ResultRow.objective == "mttr"))) == (
        "14400"
    )


def test_a_result_that_would_not_read_back_the_same_is_refused(engine: Engine) -> None:
    rounded = replace(AVAILABILITY, actual=Decimal("99.9"))  # not 2 590 704 / 2 592 000
    no_actual = replace(MTTR, actual=None)
    other_month = stored(MTTR, MAY)
    other_customer = stored(MTTR, customer="initech")
    for bad, message in [
        (stored(rounded), "actual 99.9 is not what its numerator 2590704"),
        (stored(no_actual), "actual None is not what"),
        (other_month, "result 1 is for globex over 2024-05-01"),
        (other_customer, "result 1 is for initech"),
    ]:
        with pytest.raises(ValueError, match=message), transaction(engine) as session:
            close(ResultRepository(session), "globex", APRIL, [stored(MTTR), bad])
    with transaction(engine) as session:
        assert ResultRepository(session).closures() == []  # nothing half-written
        close(ResultRepository(session), "globex", APRIL, [stored(LATENCY)])
    with (
        pytest.raises(ValueError, match="globex's period 2024-04 is closed"),
        transaction(engine) as session,
    ):
        close(ResultRepository(session), "globex", APRIL, [stored(MTTR)])
    with transaction(engine) as session:
        [kept] = ResultRepository(session).results()
    assert kept == stored(replace(LATENCY, numerator=Decimal("23.4"), denominator=Decimal(1)))


def test_a_new_version_replaces_its_own_period_only_and_keeps_the_old_one(
    session: Session,
) -> None:
    repo = ResultRepository(session)
    first = close(repo, "globex", APRIL, [stored(AVAILABILITY), stored(MTTR)])
    close(repo, "globex", MAY, [stored(AVAILABILITY, MAY)])
    initech = stored(LATENCY, customer="initech", service="voip")
    close(repo, "initech", APRIL, [initech])
    session.commit()

    breached = replace(
        AVAILABILITY,
        verdict=Verdict.BREACHED,
        actual=Decimal("99.8"),
        numerator=Decimal(2_586_816),  # 5 184 s down
        budget=None,
        breaches=(),
    )
    second = closed_again(repo, "globex", APRIL, [stored(breached)])
    assert second.version == 2
    session.commit()

    assert [b.result for b in repo.results("globex", APRIL)] == [breached]
    assert [b.result for b in repo.results("globex", MAY)] == [AVAILABILITY]
    assert repo.results("initech") == [
        replace(initech, result=replace(LATENCY, numerator=Decimal("23.4"), denominator=1))
    ]
    # The first version is kept, reopened, with what it stored.
    [was, now] = repo.closures("globex", APRIL)
    assert (was.id, was.final, was.reopened_by, was.reopen_reason) == (
        first.id, False, "admin", "a late outage",
    )  # fmt: skip
    assert now == second
    assert [r.result for r in repo.results(closure=was)] == [AVAILABILITY, MTTR]
    assert repo.closures("globex", APRIL, final=True) == [second]
    assert session.scalar(select(func.count()).select_from(ResultRow)) == 5
    # Closing a period again with nothing to store empties its final results.
    closed_again(repo, "globex", MAY, [])
    assert repo.results("globex", MAY) == []
    # Periods are read by where they start: April and May never share a row.
    april_and_may = (APRIL[0], MAY[1])
    assert len(repo.results("globex", april_and_may)) == 1
    assert len(repo.results(period=april_and_may)) == 2
    assert len(repo.results(period=(APRIL[0] + timedelta(days=1), MAY[1]))) == 0
    assert [r.customer for r in repo.results(service="voip")] == ["initech"]
    with pytest.raises(ValueError, match="version 1 of globex's period 2024-04 is not the final"):
        repo.reopen(was, COMPUTED, "admin", "again")


def test_a_customer_sees_only_its_own_results(session: Session) -> None:
    repo = ResultRepository(session)
    close(repo, "globex", APRIL, [stored(AVAILABILITY)])
    close(repo, "initech", APRIL, [stored(LATENCY, customer="initech")])
    assert [r.customer for r in repo.results(party="globex")] == ["globex"]
    assert [c.customer for c in repo.closures(party="globex")] == ["globex"]
    assert repo.results("initech", party="globex") == []
    assert len(repo.results()) == 2


@given(
    st.decimals(0, 10**9, allow_nan=False, places=4),
    st.decimals(Decimal("0.0001"), 10**9, allow_nan=False, places=4),
    st.sampled_from(
        [
            (Metric.AVAILABILITY, Unit.PERCENT, 100),
            (Metric.NPS, Unit.SCORE, 100),
            (Metric.SATISFACTION, Unit.SCORE, 1),
            (Metric.MTTR, Unit.SECONDS, 1),
        ]
    ),
)
def test_actual_computed_either_way_reads_back_the_same(
    numerator: Decimal, denominator: Decimal, kind: tuple[Metric, Unit, int]
) -> None:
    """Dividing first and scaling by 100 after, or the other way round, gives the same decimal:
    scaling by a power of ten moves no digit. So an evaluator's ``good / total * 100`` is what
    storage recomputes."""
    metric, unit, scale = kind
    actual = numerator / denominator * scale
    result = replace(
        MTTR, metric=metric, unit=unit, numerator=numerator, denominator=denominator, actual=actual
    )
    assert stored_fraction(result) == (numerator, denominator)
    assert actual_of(numerator, denominator, metric, unit, Verdict.MET) == actual


@given(
    st.decimals(-(10**12), 10**12, places=6), st.sampled_from(list(Metric)), st.sampled_from(Unit)
)
def test_a_lone_actual_is_stored_over_the_scale(
    actual: Decimal, metric: Metric, unit: Unit
) -> None:
    result = replace(LATENCY, metric=metric, unit=unit, actual=actual)
    numerator, denominator = stored_fraction(result)
    assert numerator == actual
    assert denominator == (100 if unit is Unit.PERCENT or metric is Metric.NPS else 1)
    assert actual_of(numerator, denominator, metric, unit, Verdict.MET) == actual


def test_nps_is_in_points() -> None:
    # 5 promoters and 2 detractors of 10 answers: 50 % − 20 % = NPS 30.
    nps = replace(
        MTTR,
        objective="nps",
        metric=Metric.NPS,
        unit=Unit.SCORE,
        target=Decimal(20),
        comparator=Comparator.GE,
        numerator=Decimal(3),
        denominator=Decimal(10),
        actual=Decimal(30),
    )
    assert stored_fraction(nps) == (3, 10)
    with pytest.raises(ValueError, match=r"actual 0\.3 is not what"):
        stored_fraction(replace(nps, actual=Decimal("0.3")))


# -- credits ---------------------------------------------------------------------------------


def test_credits_round_trip_and_a_new_version_replaces_them(session: Session) -> None:
    repo = ResultRepository(session)
    april = credit()
    on_claim = credit(
        service=None,
        objective="mttr",
        claim=ClaimMode.ON_CLAIM,
        claim_by=datetime(2024, 6, 30, 23, 59, tzinfo=PARIS),
        charge=None,
        amount=None,
        currency=None,
        percent=Decimal("0.1") + Decimal("0.2"),
    )
    may = credit(MAY, percent=Decimal(25), amount=Decimal("308.64"))
    close(repo, "globex", APRIL, credits=[april, on_claim])
    close(repo, "globex", MAY, credits=[may])
    close(repo, "initech", APRIL, credits=[credit(customer="initech", service="voip")])
    session.commit()
    session.expunge_all()

    back = repo.credits("globex", APRIL)
    assert back == [april, on_claim]
    assert back[1].credit.percent == Decimal("0.3")
    assert back[1].credit.claim_by == datetime(2024, 6, 30, 21, 59, tzinfo=UTC)
    assert back[1].credit.claim_by.tzinfo is UTC
    assert back[0].credit.amount == Decimal("123.46")
    assert back[0].computed_at == COMPUTED

    first = repo.closure("globex", *APRIL)
    assert first is not None
    closed_again(repo, "globex", APRIL, credits=[])
    assert repo.credits("globex", APRIL) == []
    assert repo.credits(closure=first) == [april, on_claim]
    assert repo.credits("globex") == [may]
    assert [c.credit.customer for c in repo.credits(period=APRIL)] == ["initech"]
    assert repo.credits(party="initech", period=MAY) == []
    with pytest.raises(ValueError, match="credit 0 is for globex over 2024-05-01"):
        close(repo, "initech", APRIL, credits=[may])


def test_two_closes_at_once_leave_one_version(engine: Engine) -> None:
    # The second close waits for the first to commit, then finds the period closed: without
    # the per-customer turn both would find it open and both insert.
    first = make_sessionmaker(engine)()
    repo = ResultRepository(first)
    repo.lock("globex")
    close(repo, "globex", APRIL, [stored(AVAILABILITY)])
    refused: list[str] = []

    def second() -> None:
        try:
            with transaction(engine) as session:
                repo = ResultRepository(session)
                repo.lock("globex")
                close(repo, "globex", APRIL, [stored(AVAILABILITY)])
        except ValueError as exc:
            refused.append(str(exc))

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(0.5)
    assert worker.is_alive()  # waiting for the first close's turn
    first.commit()
    first.close()
    worker.join(10)
    assert refused == ["globex's period 2024-04 is closed (version 1); reopen it first"]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ResultRow)) == 1
