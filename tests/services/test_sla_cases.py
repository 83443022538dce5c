"""The stored SLA path end to end (``servanda.services.sla.evaluate_stored``), on SQLite and
PostgreSQL: the example configuration loaded, its month of alerts ingested through event
management, then April evaluated for a customer (storing nothing) and closed — results and
credits stored as final, read back with the same figures, and kept to the customer's own
principal.

Figures from the example's README: Quai Capital's telephony lost 887 s to the PSTN outage of
23 April, inside continuous trading (×5): availability 1 133 113 / 1 134 000 s = 99.922 %
(met, 99.9 %), weighted 3 699 965 / 3 704 400 = 99.880 % (missed). Horizon Sport's video
streaming was down 43 min 25 s on Saturday 20 April and twice on Saturday 27 April, 75 min
in all, its corporate availability 99.53 % is below the 99.9 % tier: 10 % of its 474.00 a
month, 47.40, to be claimed within 30 days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from servanda.agreements.model import ClaimMode
from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.problems import Forbidden, InvalidInput, NotFound
from servanda.ingest.event_files import EventFormat, read_event_file
from servanda.measure.results import ObjectiveResult, Verdict
from servanda.measure.rollup import rollup
from servanda.services import configuration
from servanda.services.closing import close_period
from servanda.services.events import EventEngine
from servanda.services.sla import Evaluated, evaluate_stored
from servanda.storage.database import transaction
from servanda.storage.repositories.results import ResultRepository, StoredResult

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
EVENTS = EXAMPLE / "events"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)
NOW = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
APRIL_START = datetime(2024, 3, 31, 22, tzinfo=UTC)  # midnight in Paris
APRIL_END = datetime(2024, 4, 30, 22, tzinfo=UTC)


@pytest.fixture
def example(engine: Engine) -> Engine:
    """The example loaded and its April alerts ingested, as ``servanda events ingest`` does."""
    configuration.load(engine, [EXAMPLE], RECEIVED - timedelta(days=40))
    events = EventEngine(engine)
    files: tuple[tuple[str, EventFormat], ...] = (
        ("2024-04.alertmanager.jsonl", "alertmanager"),
        ("2024-04.generic.json", "generic"),
    )
    for name, kind in files:
        found, problems = read_event_file(EVENTS / name, kind, received_at=RECEIVED)
        assert problems == []
        events.ingest(LOCAL_ADMIN, found, RECEIVED)
    return engine


def stored_results(engine: Engine, customer: str) -> list[StoredResult]:
    with transaction(engine) as session:
        return ResultRepository(session).results(customer=customer)


def by_service(evaluated: Evaluated) -> dict[str | None, list[ObjectiveResult]]:
    found: dict[str | None, list[ObjectiveResult]] = defaultdict(list)
    for part in evaluated.evaluation.parts:
        found[part.service].extend(part.results)
    return found


def test_results_are_stored_and_read_back_with_the_same_figures(example: Engine) -> None:
    evaluated = evaluate_stored(example, LOCAL_ADMIN, "quai-capital", "2024-04", NOW)
    assert stored_results(example, "quai-capital") == []  # evaluating stores nothing
    close_period(example, LOCAL_ADMIN, "2024-04", NOW, "quai-capital")
    period = evaluated.evaluation.period
    assert (period.start, period.end, period.timezone) == (APRIL_START, APRIL_END, "Europe/Paris")
    stored = stored_results(example, "quai-capital")
    expected = {
        (service, r.objective): r
        for service, results in by_service(evaluated).items()
        for r in rollup(results)
    }
    assert {(s.service, s.result.objective) for s in stored} == set(expected)
    for s in stored:
        want = expected[s.service, s.result.objective]
        assert (s.result.actual, s.result.verdict, s.result.target) == (
            want.actual, want.verdict, want.target
        ), s.result.objective  # fmt: skip
        assert (s.period_label, s.period_start, s.period_end) == ("2024-04", APRIL_START, APRIL_END)
        assert s.provider == "metro-isp"
        assert s.computed_at == NOW
    telephony = {s.result.objective: s.result for s in stored if s.service == "ip-telephony"}
    plain, weighted = telephony["availability"], telephony["weighted-availability"]
    assert (plain.numerator, plain.denominator) == (Decimal(1_133_113), Decimal(1_134_000))
    assert plain.verdict is Verdict.MET
    assert (weighted.numerator, weighted.denominator) == (Decimal(3_699_965), Decimal(3_704_400))
    assert weighted.verdict is Verdict.BREACHED
    assert weighted.breaches[0].detail.startswith("ip-telephony down for 14 min 47 s")
    assert telephony["mttr"].actual == Decimal(887)


def test_the_two_versions_of_an_agreement_are_stored_as_one_monthly_figure(
    example: Engine,
) -> None:
    close_period(example, LOCAL_ADMIN, "2024-04", NOW, "quai-capital")
    internet = {
        s.result.objective: s.result
        for s in stored_results(example, "quai-capital")
        if s.service == "internet-access"
    }
    a = internet["availability"]
    # 1–14 April (9 trading days of 15 h) and 15–30 April (12) against their own versions,
    # added: 1 134 000 agreed seconds, nothing unplanned lost (the RADIUS upgrade was planned)
    assert (a.numerator, a.denominator) == (Decimal(1_134_000), Decimal(1_134_000))
    assert ("rolled up over", "2") in a.figures


def test_credits_are_stored_with_the_results(example: Engine) -> None:
    evaluated = evaluate_stored(example, LOCAL_ADMIN, "horizon-sport", "2024-04", NOW)
    (credit,) = evaluated.evaluation.credits
    assert (credit.service, credit.percent, credit.amount) == (
        "video-streaming",
        Decimal(10),
        Decimal("47.40"),
    )
    close_period(example, LOCAL_ADMIN, "2024-04", NOW, "horizon-sport")
    with transaction(example) as session:
        (stored,) = ResultRepository(session).credits(customer="horizon-sport")
    assert stored.credit == credit
    assert stored.credit.claim is ClaimMode.ON_CLAIM
    assert stored.credit.claim_by == APRIL_END + timedelta(days=30)
    assert stored.computed_at == NOW


def test_evaluating_stores_nothing_and_closing_twice_stores_one_version(
    example: Engine,
) -> None:
    for at in (NOW, NOW + timedelta(hours=1)):
        assert evaluate_stored(example, LOCAL_ADMIN, "hospital", "2024-04", at).evaluation.parts
    assert stored_results(example, "hospital") == []
    [first] = close_period(example, LOCAL_ADMIN, "2024-04", NOW, "hospital")
    stored = stored_results(example, "hospital")
    assert first.new
    assert len(stored) > 0
    # Closing every customer leaves the closed one alone.
    again = close_period(example, LOCAL_ADMIN, "2024-04", NOW + timedelta(hours=1))
    assert [(c.customer, c.new) for c in again if c.customer == "hospital"] == [("hospital", False)]
    assert stored_results(example, "hospital") == stored
    assert len({c.customer for c in again}) == len(again) > 1


def test_a_customer_principal_sees_only_itself(example: Engine) -> None:
    quai = Principal(Role.CUSTOMER, party="quai-capital")
    assert evaluate_stored(example, quai, "quai-capital", "2024-04", NOW).evaluation.parts
    with pytest.raises(NotFound):
        evaluate_stored(example, quai, "hospital", "2024-04", NOW)
    with pytest.raises(Forbidden):
        close_period(example, quai, "2024-04", NOW, "quai-capital")
    assert stored_results(example, "quai-capital") == []


def test_an_unknown_customer_is_not_found(example: Engine) -> None:
    with pytest.raises(NotFound):
        evaluate_stored(example, LOCAL_ADMIN, "nobody", "2024-04", NOW)


def test_a_bad_period_is_invalid_input_at_period(example: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        evaluate_stored(example, LOCAL_ADMIN, "hospital", "2024-13", NOW)
    (problem,) = caught.value.problems
    assert problem.path == ("period",)
    assert stored_results(example, "hospital") == []
