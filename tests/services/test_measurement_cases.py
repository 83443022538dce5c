"""Measurement and attestation use cases on SQLite and PostgreSQL: ingestion checked against
the declared series (all or nothing, idempotent), summaries of a series, attestations of
policy controls, and who may do what."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from servanda.agreements.model import Agreement
from servanda.calendars.model import Calendar
from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.problems import Forbidden, InvalidInput, NotFound
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.measure.inputs import Attestation, Measurement, Series, SeriesKind
from servanda.services.measurements import (
    attestation_period,
    ingest_measurements,
    list_attestations,
    record_attestations,
    summarise_series,
)
from servanda.storage.database import transaction
from servanda.storage.repositories import (
    AttestationRepository,
    BundleRepository,
    MeasurementRepository,
)
from servanda.storage.tables import MeasurementRow

from .services_support import T0, small_provider

NOW = T0 + timedelta(days=1)
INGEST = Principal(Role.INGEST)
BILLING = Principal(Role.BILLING)
OPERATOR = Principal(Role.OPERATOR)
GLOBEX = Principal(Role.CUSTOMER, "globex")
INITECH = Principal(Role.CUSTOMER, "initech")

SERIES = (
    Series(id="globex-latency", kind=SeriesKind.LATENCY, node="internet", customer="globex"),
    Series(id="internet-loss", kind=SeriesKind.LOSS, node="internet"),
    Series(id="voip-packets", kind=SeriesKind.PACKETS, node="voip", customer="initech"),
    Series(id="voip-delay", kind=SeriesKind.ONE_WAY_DELAY, node="voip"),
)


def measured_provider() -> Bundle:
    """The small provider with four series, a Paris calendar, a corporate security policy
    (two controls) and a privacy clause in Initech's own agreement."""
    base = small_provider()
    corporate = from_jsonable(
        Agreement,
        {
            "id": "acme-terms",
            "level": "corporate",
            "provider": "acme",
            "effective_from": "2024-01-01",
            "calendar": "paris",
            "policies": [
                {
                    "id": "security",
                    "title": "Security",
                    "text": "Passwords have at least 8 characters; badges carry a photo.",
                    "controls": [
                        {"id": "password-length", "text": "8 characters or more"},
                        {"id": "photo-badges", "text": "Every badge has a photo"},
                    ],
                }
            ],
        },
    )
    initech = from_jsonable(
        Agreement,
        {
            "id": "initech-terms",
            "level": "customer",
            "provider": "acme",
            "customer": "initech",
            "effective_from": "2024-01-01",
            "policies": [
                {
                    "id": "privacy",
                    "title": "Privacy",
                    "text": "Call records are kept 90 days.",
                    "controls": [{"id": "retention", "text": "No record older than 90 days"}],
                }
            ],
        },
    )
    return replace(
        base,
        calendars=(Calendar(id="paris", timezone="Europe/Paris"),),
        agreements=(*base.agreements, corporate, initech),
        series=SERIES,
    )


@pytest.fixture
def measured(engine: Engine) -> Engine:
    """The database with :func:`measured_provider` loaded."""
    with transaction(engine) as session:
        BundleRepository(session).save(measured_provider(), now=T0 - timedelta(days=1))
    return engine


def latency(minute: int, value: str) -> Measurement:
    return Measurement(
        series="globex-latency", at=T0 + timedelta(minutes=minute), value=Decimal(value)
    )


def loss(minute: int, good: int, total: int) -> Measurement:
    at = T0 + timedelta(minutes=minute)
    return Measurement(
        series="internet-loss", start=at - timedelta(minutes=5), at=at, good=good, total=total
    )


def stored_count(engine: Engine, series: str | None = None) -> int:
    with transaction(engine) as session:
        return MeasurementRepository(session).count(series)


# -- ingestion -------------------------------------------------------------------------------


def test_a_batch_is_stored_once_and_counted(measured: Engine) -> None:
    batch = [latency(0, "12.4"), latency(1, "13"), latency(0, "12.4"), loss(5, 998, 1000)]
    first = ingest_measurements(measured, INGEST, batch, NOW)
    assert first.as_dict() == {"received": 4, "new": 3, "duplicates": 1, "replaced": 0}
    assert stored_count(measured) == 3

    again = ingest_measurements(measured, INGEST, batch, NOW + timedelta(hours=1))
    assert (again.received, again.new, again.duplicates) == (4, 0, 4)
    assert stored_count(measured) == 3
    # The first one stays, with when it was first stored.
    with transaction(measured) as session:
        (row,) = MeasurementRepository(session).records("internet-loss", T0, NOW)
    assert (row.measurement.good, row.stored_at) == (998, NOW)


def test_an_unknown_series_is_located_and_nothing_is_stored(measured: Engine) -> None:
    stray = Measurement(series="globex-jitter", at=T0, value=Decimal(3))
    batch = [latency(0, "12"), stray, latency(2, "14"), replace(stray, series="nope")]
    with pytest.raises(InvalidInput) as caught:
        ingest_measurements(measured, INGEST, batch, NOW, file="probe.csv")
    problems = caught.value.problems
    assert [p.path for p in problems] == [
        ("measurements", 1, "series"),
        ("measurements", 3, "series"),
    ]
    assert problems[0].location.file == "probe.csv"
    assert "unknown series 'globex-jitter'" in problems[0].message
    assert "globex-latency" in problems[0].message  # what is declared
    assert stored_count(measured) == 0


def test_a_measurement_must_fit_its_series_kind(measured: Engine) -> None:
    counts_on_latency = Measurement(series="globex-latency", at=T0, good=1, total=2)
    value_on_loss = Measurement(series="internet-loss", at=T0, value=Decimal(1))
    value_on_packets = Measurement(series="voip-packets", at=T0, value=Decimal(1))
    batch = [counts_on_latency, value_on_loss, value_on_packets, latency(3, "9")]
    with pytest.raises(InvalidInput) as caught:
        ingest_measurements(measured, LOCAL_ADMIN, batch, NOW)
    assert [p.path for p in caught.value.problems] == [
        ("measurements", 0, "value"),
        ("measurements", 1, "good"),
        ("measurements", 2, "sent_at"),
    ]
    assert "series 'globex-latency' is latency" in caught.value.problems[0].message
    assert stored_count(measured) == 0


def test_replace_overwrites_a_stored_measurement(measured: Engine) -> None:
    ingest_measurements(measured, INGEST, [latency(0, "12.4"), latency(1, "20")], NOW)
    corrected = [latency(0, "15.05"), latency(2, "30")]

    kept = ingest_measurements(measured, INGEST, corrected, NOW)
    assert (kept.new, kept.duplicates, kept.replaced) == (1, 1, 0)
    with transaction(measured) as session:
        values = [
            r.measurement.value
            for r in MeasurementRepository(session).records("globex-latency", T0, NOW)
        ]
    assert values == [Decimal("12.4"), Decimal(20), Decimal(30)]

    later = NOW + timedelta(hours=2)
    replaced = ingest_measurements(measured, INGEST, corrected, later, replace=True)
    assert replaced.as_dict() == {"received": 2, "new": 0, "duplicates": 2, "replaced": 2}
    with transaction(measured) as session:
        rows = MeasurementRepository(session).records("globex-latency", T0, NOW)
    assert [r.measurement.value for r in rows] == [Decimal("15.05"), Decimal(20), Decimal(30)]
    assert [r.stored_at for r in rows] == [later, NOW, later]


@pytest.mark.parametrize("principal", [OPERATOR, GLOBEX])
def test_only_usage_senders_ingest_measurements(measured: Engine, principal: Principal) -> None:
    with pytest.raises(Forbidden):
        ingest_measurements(measured, principal, [latency(0, "1")], NOW)
    assert ingest_measurements(measured, BILLING, [latency(0, "1")], NOW).new == 1
    assert stored_count(measured) == 1


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(st.integers(0, 15), st.integers(0, 99)), max_size=12),
    st.lists(st.tuples(st.integers(0, 15), st.integers(0, 99)), max_size=12),
)
def test_counts_add_up_and_a_batch_sent_twice_stores_nothing_new(
    measured: Engine, before: list[tuple[int, int]], batch: list[tuple[int, int]]
) -> None:
    """received = new + duplicates; new is the distinct minutes not stored before; sending the
    batch again adds nothing."""
    with transaction(measured) as session:
        session.execute(delete(MeasurementRow))
    ingest_measurements(measured, INGEST, [latency(m, str(v)) for m, v in before], NOW)
    sent = [latency(m, str(v)) for m, v in batch]
    counts = ingest_measurements(measured, INGEST, sent, NOW)
    assert counts.received == counts.new + counts.duplicates == len(batch)
    assert counts.new == len({m for m, _ in batch} - {m for m, _ in before})
    again = ingest_measurements(measured, INGEST, sent, NOW)
    assert (again.new, again.duplicates) == (0, len(batch))
    assert stored_count(measured) == len({m for m, _ in before} | {m for m, _ in batch})


# -- summaries -------------------------------------------------------------------------------


def test_a_value_series_summary(measured: Engine) -> None:
    batch = [latency(0, "10"), latency(5, "12.5"), latency(9, "30.000"), latency(60, "99")]
    ingest_measurements(measured, INGEST, batch, NOW)
    end = T0 + timedelta(minutes=60)
    s = summarise_series(measured, OPERATOR, "globex-latency", T0, end)
    assert (s.count, s.first, s.last) == (3, T0, T0 + timedelta(minutes=9))
    assert s.values is not None
    assert s.counts is None
    # (10 + 12.5 + 30) / 3 = 17.5; the extremes come back exactly as sent.
    assert (s.values.unit, s.values.count) == ("ms", 3)
    assert (str(s.values.minimum), s.values.mean, str(s.values.maximum)) == ("10", 17.5, "30.000")
    data = s.as_dict()
    assert data["values"]["maximum"] == "30.000"
    assert data["first"] == "2024-04-02T10:00:00+00:00"


def test_a_count_series_summary_is_a_ratio_of_sums(measured: Engine) -> None:
    ingest_measurements(measured, INGEST, [loss(5, 990, 1000), loss(10, 1000, 1000)], NOW)
    s = summarise_series(measured, GLOBEX, "internet-loss", T0, NOW)
    assert s.count == 2
    assert s.values is None
    assert s.counts is not None
    assert (s.counts.good, s.counts.total, s.counts.ratio) == (1990, 2000, 0.995)


def test_packets_and_one_way_delays_summarise_their_delays(measured: Engine) -> None:
    def packet(series: str, n: int, delay_us: int) -> Measurement:
        sent = T0 + timedelta(seconds=n)
        received = sent + timedelta(microseconds=delay_us)
        return Measurement(series=series, at=received, sent_at=sent, received_at=received)

    packets = [packet("voip-packets", 0, 20_000), packet("voip-packets", 1, 25_500)]
    delays = [
        packet("voip-delay", 0, 1_500),
        Measurement(series="voip-delay", at=T0 + timedelta(seconds=3), value=Decimal("4.5")),
    ]
    ingest_measurements(measured, INGEST, packets + delays, NOW)
    p = summarise_series(measured, OPERATOR, "voip-packets", T0, NOW)
    assert p.values is not None
    assert (p.values.minimum, p.values.mean, p.values.maximum) == (
        Decimal("20.000"),
        22.75,
        Decimal("25.500"),
    )
    d = summarise_series(measured, OPERATOR, "voip-delay", T0, NOW)
    assert d.values is not None
    # 1.5 ms from the timestamps, 4.5 ms as a value: mean 3.
    assert (d.values.minimum, d.values.mean, d.values.maximum) == (
        Decimal("1.500"),
        3.0,
        Decimal("4.5"),
    )


def test_an_empty_period_has_no_figures(measured: Engine) -> None:
    s = summarise_series(measured, OPERATOR, "globex-latency", T0, NOW)
    assert (s.count, s.first, s.last, s.values, s.counts) == (0, None, None, None, None)
    with pytest.raises(InvalidInput) as caught:
        summarise_series(measured, OPERATOR, "globex-latency", NOW, T0)
    assert caught.value.problems[0].path == ("until",)


def test_customers_read_only_the_series_about_them(measured: Engine) -> None:
    assert summarise_series(measured, GLOBEX, "globex-latency", T0, NOW).count == 0
    # internet-loss is shared by the customers of internet, which globex takes.
    assert summarise_series(measured, GLOBEX, "internet-loss", T0, NOW).count == 0
    for series in ("globex-latency", "internet-loss", "no-such-series"):
        with pytest.raises(NotFound):
            summarise_series(measured, INITECH, series, T0, NOW)
    with pytest.raises(Forbidden):
        summarise_series(measured, INGEST, "globex-latency", T0, NOW)


# -- attestations ----------------------------------------------------------------------------

APRIL = (datetime(2024, 3, 31, 22, tzinfo=UTC), datetime(2024, 4, 30, 22, tzinfo=UTC))
MAY = (APRIL[1], datetime(2024, 5, 31, 22, tzinfo=UTC))


def attest(
    control: str,
    met: bool = True,
    period: tuple[datetime, datetime] = APRIL,
    policy: str = "security",
) -> Attestation:
    return Attestation(
        policy=policy,
        control=control,
        period_start=period[0],
        period_end=period[1],
        met=met,
        attested_by="CISO",
        attested_at=period[1] + timedelta(days=1),
    )


def test_attestations_replace_earlier_ones_and_resending_changes_nothing(
    measured: Engine,
) -> None:
    batch = [attest("password-length"), attest("photo-badges", met=False)]
    assert record_attestations(measured, OPERATOR, batch).as_dict() == {
        "received": 2,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert record_attestations(measured, OPERATOR, batch).as_dict() == {
        "received": 2,
        "new": 0,
        "updated": 0,
        "unchanged": 2,
    }
    fixed = [attest("photo-badges", met=True), attest("password-length", period=MAY)]
    counts = record_attestations(measured, LOCAL_ADMIN, fixed)
    assert (counts.new, counts.updated, counts.unchanged) == (1, 1, 0)
    found = list_attestations(measured, OPERATOR)
    assert [(a.control, a.period_start, a.met) for a in found] == [
        ("password-length", APRIL[0], True),
        ("password-length", MAY[0], True),
        ("photo-badges", APRIL[0], True),
    ]


def test_the_last_attestation_of_a_batch_counts(measured: Engine) -> None:
    batch = [attest("photo-badges", met=False), attest("photo-badges", met=True)]
    counts = record_attestations(measured, OPERATOR, batch)
    assert (counts.received, counts.new, counts.unchanged) == (2, 1, 1)
    (only,) = list_attestations(measured, OPERATOR)
    assert only.met is True


def test_unknown_policies_and_controls_are_located_and_nothing_is_stored(
    measured: Engine,
) -> None:
    batch = [
        attest("password-length"),
        attest("retention", policy="security"),
        attest("x", policy="hygiene"),
    ]
    with pytest.raises(InvalidInput) as caught:
        record_attestations(measured, OPERATOR, batch, file="april.csv")
    problems = caught.value.problems
    assert [p.path for p in problems] == [
        ("attestations", 1, "control"),
        ("attestations", 2, "policy"),
    ]
    assert "its controls: password-length, photo-badges" in problems[0].message
    assert "declared: privacy, security" in problems[1].message
    with transaction(measured) as session:
        assert AttestationRepository(session).attestations() == []


@pytest.mark.parametrize("principal", [BILLING, INGEST, GLOBEX])
def test_only_operators_and_admins_attest(measured: Engine, principal: Principal) -> None:
    with pytest.raises(Forbidden):
        record_attestations(measured, principal, [attest("password-length")])


def test_attestations_listed_by_period_and_as_customers_see_them(measured: Engine) -> None:
    batch = [
        attest("password-length"),
        attest("password-length", period=MAY),
        attest("retention", policy="privacy"),
    ]
    record_attestations(measured, OPERATOR, batch)
    may = list_attestations(measured, OPERATOR, since=MAY[0], until=MAY[1])
    assert [(a.control, a.period_start) for a in may] == [("password-length", MAY[0])]
    # until is exclusive: April ends where May starts.
    assert len(list_attestations(measured, OPERATOR, since=MAY[0])) == 1
    assert len(list_attestations(measured, OPERATOR, until=MAY[0])) == 2
    assert [a.policy for a in list_attestations(measured, OPERATOR, policy="privacy")] == [
        "privacy"
    ]
    # Globex sees the corporate policy, not Initech's own clause; Initech sees both.
    assert {a.policy for a in list_attestations(measured, GLOBEX)} == {"security"}
    assert {a.policy for a in list_attestations(measured, INITECH)} == {"security", "privacy"}
    with pytest.raises(Forbidden):
        list_attestations(measured, INGEST)


def test_a_month_is_attested_in_the_timezone_of_the_policy(measured: Engine) -> None:
    bundle = measured_provider()
    april = attestation_period(bundle, "security", "2024-04")
    assert (april.start, april.end) == APRIL  # Paris midnights, summer time
    assert attestation_period(bundle, "privacy", "2024-04").start == datetime(
        2024, 4, 1, tzinfo=UTC
    )  # Initech's agreement has no calendar: UTC
    with pytest.raises(InvalidInput) as caught:
        attestation_period(bundle, "security", "April")
    assert caught.value.problems[0].path == ("period",)
