"""Measurement series, measurements and attestations in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servanda.core.intervals import to_us
from servanda.core.problems import InvalidInput
from servanda.declared.bundle import Bundle
from servanda.measure.inputs import Attestation, Measurement, Series, SeriesKind
from servanda.storage.database import transaction
from servanda.storage.repositories import (
    MISSING,
    AttestationRepository,
    BundleRepository,
    MeasurementRepository,
)
from servanda.storage.tables import MeasurementRow, SeriesRow

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
NOW = datetime(2024, 4, 3, 0, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=2))

LATENCY = Series(
    id="vpn-latency",
    kind=SeriesKind.LATENCY,
    node="internet",
    customer="globex",
    interval=timedelta(minutes=1),
    description="Probe on Globex's access",
)
LOSS = Series(id="core-loss", kind=SeriesKind.LOSS, node="core-1")
PACKETS = Series(id="voip-packets", kind=SeriesKind.PACKETS, node="voip")


def key(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def latency(minute: int, value: str) -> tuple[str, Measurement]:
    at = T0 + timedelta(minutes=minute)
    return key("vpn-latency", minute), Measurement(
        series="vpn-latency", at=at, value=Decimal(value)
    )


@pytest.fixture
def stored(engine: Engine, make_bundle: Callable[..., Bundle]) -> Engine:
    """The sample bundle with three series, committed."""
    with transaction(engine) as session:
        BundleRepository(session).save(make_bundle(series=(LATENCY, LOSS, PACKETS)), now=NOW)
    return engine


# -- series ----------------------------------------------------------------------------------


def test_series_are_saved_and_loaded_with_the_bundle(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    first = repo.save(make_bundle(series=(LATENCY, LOSS)), now=NOW)
    session.commit()
    assert first.counts["series"].as_dict() == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.as_dict()["counts"]["series"] == first.counts["series"].as_dict()
    assert BundleRepository(session).load().series == (LOSS, LATENCY)  # by id

    again = repo.save(make_bundle(series=(LATENCY, LOSS)), now=NOW + timedelta(days=1))
    assert not again.changed
    assert again.counts["series"].unchanged == 2

    moved = replace(LOSS, node="core-2", interval=timedelta(seconds=10))
    third = repo.save(make_bundle(series=(moved,)), now=NOW + timedelta(days=2))
    session.commit()
    assert third.counts["series"].as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    assert third.run_id is not None
    # A series left out of a bundle stays stored, like any declared record.
    assert BundleRepository(session).load().series == (moved, LATENCY)
    row = session.get(SeriesRow, "core-loss")
    assert row is not None
    assert (row.kind, row.node, row.customer) == ("loss", "core-2", None)


def test_a_series_declared_twice_is_refused(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    with pytest.raises(InvalidInput, match="series: core-loss declared 2 times"):
        BundleRepository(session).save(make_bundle(series=(LOSS, LOSS)), now=NOW)


def test_a_series_of_an_unknown_node_is_refused_by_the_database(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    with pytest.raises(IntegrityError):
        BundleRepository(session).save(
            make_bundle(series=(replace(LOSS, node="nowhere"),)), now=NOW
        )


# -- measurements ----------------------------------------------------------------------------


def test_measurements_are_stored_once(stored: Engine) -> None:
    batch = [latency(0, "12.5"), latency(1, "13"), latency(2, "11.25")]
    with transaction(stored) as session:
        assert MeasurementRepository(session).add(batch, NOW) == 3
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        # The same batch again stores nothing; a batch repeating a key stores it once.
        assert repo.add(batch, NOW + timedelta(hours=1)) == 0
        assert repo.add([latency(3, "9"), latency(3, "9"), batch[0]], NOW) == 1
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        assert repo.count() == 4
        assert repo.count("vpn-latency", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)) == 2
        assert repo.count("core-loss") == 0
        stamps = session.scalars(select(MeasurementRow.stored_at).order_by(MeasurementRow.at))
        assert list(stamps) == [NOW] * 4  # the first store is kept
        assert repo.existing_keys([batch[1][0], key("nope")]) == {batch[1][0]}


def test_a_measurement_sent_again_may_replace_the_stored_one(stored: Engine) -> None:
    with transaction(stored) as session:
        MeasurementRepository(session).add([latency(0, "12.5"), latency(1, "13")], NOW)
    later = NOW + timedelta(hours=1)
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        # Under the key of minute 0: 40, then 14.5 (the last of the batch wins); minute 2 new.
        again = [latency(0, "40"), latency(0, "14.5"), latency(2, "11")]
        assert repo.add(again, later, replace=True) == 2
    with transaction(stored) as session:
        back = MeasurementRepository(session).records("vpn-latency", T0, T0 + timedelta(hours=1))
    assert [(b.measurement.value, b.stored_at) for b in back] == [
        (Decimal("14.5"), later),
        (Decimal(13), NOW),
        (Decimal(11), later),
    ]


def test_a_failing_batch_writes_nothing(stored: Engine) -> None:
    good = [latency(0, "12.5"), latency(1, "13")]
    unknown = (key("x"), Measurement(series="undeclared", at=T0, value=Decimal(1)))
    with pytest.raises(IntegrityError), transaction(stored) as session:
        MeasurementRepository(session).add([*good, unknown], NOW)
    with (
        pytest.raises(ValueError, match="item 1: the key 'ABC' is not 64"),
        transaction(stored) as session,
    ):
        MeasurementRepository(session).add([good[0], ("ABC", good[1][1])], NOW)
    with transaction(stored) as session:
        assert MeasurementRepository(session).count() == 0
        # The good ones go in once the batch is fixed.
        assert MeasurementRepository(session).add(good, NOW) == 2


def test_records_round_trip_exactly_and_in_utc(stored: Engine) -> None:
    loss = Measurement(
        series="core-loss",
        start=T0.astimezone(PARIS),
        at=(T0 + timedelta(minutes=5)).astimezone(PARIS),
        good=4_999_999_998,
        total=5_000_000_000,  # more than 32 bits
    )
    packet = Measurement(
        series="voip-packets",
        at=T0 + timedelta(microseconds=20_000),
        sent_at=T0 + timedelta(microseconds=1),
        received_at=T0 + timedelta(microseconds=20_000),
        sequence=65_535,
    )
    values = ["99.95", "0.30", "0.1", "1E+2", "123456789012345678.000000001"]
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        repo.add([latency(n, v) for n, v in enumerate(values)], NOW.astimezone(PARIS))
        repo.add([(key("loss"), loss), (key("packet"), packet)], NOW)
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        back = repo.records("vpn-latency", T0, T0 + timedelta(hours=1))
        [stored_loss] = repo.records("core-loss", T0, T0 + timedelta(hours=1))
        [stored_packet] = repo.records("voip-packets", T0, T0 + timedelta(hours=1))

    assert [b.measurement.value for b in back] == [Decimal(v) for v in values]
    assert [str(b.measurement.value) for b in back][:3] == ["99.95", "0.30", "0.1"]
    assert back[0].key == key("vpn-latency", 0)
    assert back[0].stored_at == NOW
    assert back[0].stored_at.tzinfo is UTC
    assert stored_loss.measurement == loss
    assert stored_loss.measurement.start is not None
    assert stored_loss.measurement.start.tzinfo is UTC
    assert stored_loss.measurement.at.utcoffset() == timedelta(0)
    assert stored_packet.measurement == packet


def test_measurements_read_back_as_columns(stored: Engine) -> None:
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        # Stored out of order; the period is half-open.
        repo.add([latency(2, "0.2"), latency(0, "0.1"), latency(1, "99.95"), latency(5, "7")], NOW)
        repo.add(
            [
                (
                    key("loss", 0),
                    Measurement(
                        series="core-loss",
                        start=T0,
                        at=T0 + timedelta(minutes=5),
                        good=998,
                        total=1000,
                    ),
                ),
                (
                    key("loss", 1),
                    Measurement(series="core-loss", at=T0 + timedelta(minutes=10), good=0, total=0),
                ),
            ],
            NOW,
        )
        repo.add(
            [
                (
                    key("p", 1),
                    Measurement(
                        series="voip-packets",
                        at=T0 + timedelta(seconds=1),
                        sent_at=T0 + timedelta(microseconds=1_000_001),
                        received_at=T0 + timedelta(microseconds=1_020_500),
                        sequence=7,
                    ),
                )
            ],
            NOW,
        )
    with transaction(stored) as session:
        repo = MeasurementRepository(session)
        cols = repo.measurements("vpn-latency", T0, T0 + timedelta(minutes=5), exact=True)
        loss = repo.measurements("core-loss", T0, T0 + timedelta(hours=1))
        packets = repo.measurements("voip-packets", T0, T0 + timedelta(hours=1))
        empty = repo.measurements("vpn-latency", T0 - timedelta(days=1), T0)

    t0 = to_us(T0)
    minute = 60_000_000
    assert len(cols) == 3
    assert cols.series == "vpn-latency"
    assert cols.at_us.dtype == np.int64
    assert cols.at_us.tolist() == [t0, t0 + minute, t0 + 2 * minute]
    assert cols.value.dtype == np.float64
    assert cols.value.tolist() == [0.1, 99.95, 0.2]
    assert cols.value_text == ("0.1", "99.95", "0.2")
    assert sum(Decimal(t) for t in cols.value_text if t is not None) == Decimal("100.25")
    for column in (cols.start_us, cols.good, cols.total, cols.sent_us, cols.received_us):
        assert column.tolist() == [MISSING] * 3
    assert cols.sequence.tolist() == [MISSING] * 3
    assert not cols.at_us.flags.writeable

    assert loss.value_text is None
    assert np.isnan(loss.value).all()
    assert loss.start_us.tolist() == [t0, MISSING]
    assert loss.at_us.tolist() == [t0 + 5 * minute, t0 + 10 * minute]
    assert loss.good.tolist() == [998, 0]
    assert loss.total.tolist() == [1000, 0]

    assert packets.sent_us.tolist() == [t0 + 1_000_001]
    assert packets.received_us.tolist() == [t0 + 1_020_500]
    assert (packets.received_us - packets.sent_us).tolist() == [20_499]
    assert packets.sequence.tolist() == [7]

    assert len(empty) == 0
    assert empty.at_us.dtype == np.int64
    assert empty.value.dtype == np.float64


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.decimals(0, 10**9, allow_nan=False, places=6)),
        min_size=1,
        max_size=20,
    ),
    st.lists(st.integers(0, 30), max_size=10),
)
def test_new_count_is_what_was_not_there_and_values_stay_exact(
    stored: Engine, batch: list[tuple[int, Decimal]], before: list[int]
) -> None:
    """Whatever was stored before, a batch stores exactly its distinct keys not yet stored,
    and each value comes back as the first one sent under its key, exactly."""
    with transaction(stored) as session:
        session.execute(MeasurementRow.__table__.delete())
        repo = MeasurementRepository(session)
        repo.add([latency(n, "1") for n in before], NOW)
    with transaction(stored) as session:
        new = MeasurementRepository(session).add(
            [latency(n, str(value)) for n, value in batch], NOW
        )
    assert new == len({n for n, _ in batch} - set(before))
    expected = {n: Decimal(1) for n in before}
    for n, value in batch:
        expected.setdefault(n, value)
    with transaction(stored) as session:
        cols = MeasurementRepository(session).measurements(
            "vpn-latency", T0, T0 + timedelta(hours=1), exact=True
        )
    minutes = [(us - to_us(T0)) // 60_000_000 for us in cols.at_us.tolist()]
    assert minutes == sorted(expected)
    assert cols.value_text is not None
    assert [Decimal(t) for t in cols.value_text if t is not None] == [expected[n] for n in minutes]


# -- attestations ----------------------------------------------------------------------------


def attestation(month: int, met: bool = True, **kw: object) -> Attestation:
    fields: dict[str, object] = {
        "control": "pw-length",
        "policy": "passwords",
        "period_start": datetime(2024, month, 1, tzinfo=UTC),
        "period_end": datetime(2024, month + 1, 1, tzinfo=UTC),
        "met": met,
        "attested_by": "security officer",
        "attested_at": datetime(2024, month + 1, 2, 9, 0, tzinfo=UTC),
        "evidence": "audit report AR-7",
    }
    fields.update(kw)
    return Attestation(**fields)  # type: ignore[arg-type]


def statement(a: Attestation) -> tuple[str, Attestation]:
    """Keyed as an adapter might: by control, period and when it was attested."""
    return key(a.policy, a.control, a.period_start, a.attested_at.astimezone(UTC)), a


def test_attestations_are_stored_once_and_listed(session: Session) -> None:
    repo = AttestationRepository(session)
    march, april = attestation(3), attestation(4, met=False, note="two accounts without")
    badge = attestation(4, control="badges", policy="premises")
    assert repo.add([statement(march), statement(april), statement(badge)]) == 3
    assert repo.add([statement(april), statement(march)]) == 0
    # A correction attested later is another statement, kept beside the first.
    corrected = replace(april, met=True, attested_at=april.attested_at + timedelta(days=3))
    assert repo.add([statement(corrected)]) == 1
    with pytest.raises(ValueError, match="item 0: the key"):
        repo.add([("", march)])
    session.commit()

    assert repo.attestations() == [march, april, corrected, badge]
    assert repo.attestations(policy="passwords", control="pw-length") == [march, april, corrected]
    april_period = (datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
    assert repo.attestations(policy="passwords", overlapping=april_period) == [april, corrected]
    # Half-open: a period ending when April starts does not overlap April.
    end_of_march = (datetime(2024, 3, 31, tzinfo=UTC), april_period[0])
    assert repo.attestations(control="pw-length", overlapping=end_of_march) == [march]
    back = repo.attestations(control="badges")[0]
    assert back.period_start.tzinfo is UTC
    assert back.attested_at.tzinfo is UTC


def test_an_attestation_may_replace_the_one_stored_under_its_key(session: Session) -> None:
    repo = AttestationRepository(session)
    april = attestation(4, met=False)
    corrected = replace(april, met=True, attested_at=april.attested_at.astimezone(PARIS))
    by_period = key("passwords", "pw-length", "2024-04")
    assert repo.add([(by_period, april)]) == 1
    assert repo.add([(by_period, corrected)]) == 0
    assert repo.attestations() == [april]
    assert repo.add([(by_period, corrected)], replace=True) == 1
    assert repo.attestations() == [corrected]
    assert repo.attestations()[0].attested_at.tzinfo is UTC
