"""The rating kernel against a plain reference: one second at a time on the local clock.

The reference below walks each record second by second with :mod:`zoneinfo`, finds the band
in force from the bands' weekly hours (and the holidays), the rate and the slot, joins the
seconds with the same rate and slot into parts, and prices them with :class:`Decimal`. The
vectorised kernel must give the same cost for every record, with parts that add up to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.accounting.rating.rater import Rater
from servanda.accounting.tariffs import Tariff
from servanda.calendars.model import Calendar
from servanda.core.money import Rounding, RoundingMethod
from servanda.core.records import from_jsonable

PARIS = from_jsonable(
    Calendar,
    {
        "id": "paris",
        "timezone": "Europe/Paris",
        "holidays": {"dates": ["2024-05-01", "2024-11-11"]},
    },
)

TARIFF: dict[str, Any] = {
    "id": "pstn",
    "active_from": "2024-01-01T00:00:00+01:00",
    "currency": "EUR",
    "calendar": "paris",
    "bands": [
        {"id": "peak", "hours": {"mon-fri": "08:00-19:00"}, "holidays": False},
        {"id": "evening", "hours": {"daily": "19:00-22:30"}},
        {"id": "night"},
    ],
    "destinations": [
        {"id": "national", "prefixes": ["+331", "+332", "+334", "+335"]},
        {"id": "mobile", "prefixes": ["+336", "+337"]},
        {"id": "uk", "prefixes": ["+44"]},
        {"id": "uk-mobile", "prefixes": ["+447"]},
    ],
    "rates": [
        {
            "destinations": ["national"],
            "bands": ["peak"],
            "connect_fee": "0.05",
            "slots": [
                {"price": "0.02", "unit": "60s", "increment": "60s"},
                {"from": "60s", "price": "0.02", "unit": "60s", "increment": "1s"},
            ],
        },
        {
            "destinations": ["national", "mobile"],
            "bands": ["evening", "night"],
            "slots": [{"price": "0.013", "unit": "60s", "increment": "1s"}],
            "min_cost": "0.01",
        },
        {
            "destinations": ["mobile"],
            "bands": ["peak"],
            "slots": [
                {"price": "0.15", "unit": "60s", "increment": "30s"},
                {"from": "30s", "price": "0.12", "unit": "60s", "increment": "6s"},
            ],
            "max_cost": {"amount": "2.50", "strategy": "disconnect"},
        },
        {
            "destinations": ["uk", "uk-mobile"],
            "connect_fee": "0.10",
            "slots": [{"price": "0.25", "unit": "60s", "increment": "1s"}],
            "max_cost": {"amount": "3.00"},
        },
    ],
}


def tariff(**changes: Any) -> Tariff:
    return from_jsonable(Tariff, {**TARIFF, **changes})


# -- the reference --------------------------------------------------------------------------


def _band(t: Tariff, local: datetime, holidays: set[date]) -> int:
    minute = local.hour * 60 + local.minute
    day = local.weekday()
    for i, band in enumerate(t.bands):
        if local.date() in holidays and not band.holidays:
            continue
        for r in band.hours.ranges:
            start = r.weekday * 1440 + r.start
            end = r.weekday * 1440 + r.end
            at = day * 1440 + minute
            if start <= at < end or start <= at + 7 * 1440 < end:
                return i
    raise AssertionError("bands cover the week")


def reference(t: Tariff, start: datetime, seconds: int, destination: str) -> Decimal | None:
    """The cost of one call, the plain way (None: not rated)."""
    prefixes = {p: d.id for d in t.destinations for p in d.prefixes}
    matches = [p for p in prefixes if destination.startswith(p)]
    group = prefixes[max(matches, key=len)] if matches else "*"
    holidays = set(PARIS.holidays.dates) if PARIS.holidays else set()

    def rate_of(band: int) -> int | None:
        for i, rate in enumerate(t.rates):
            if group in rate.destinations and (not rate.bands or t.bands[band].id in rate.bands):
                return i
        return None

    first = rate_of(_band(t, start.astimezone(PARIS.tz), holidays))
    if first is None:
        return None
    parts: list[list[int]] = []  # [rate, slot, seconds]
    for s in range(seconds):
        local = (start + timedelta(seconds=s)).astimezone(PARIS.tz)
        r = rate_of(_band(t, local, holidays))
        r = first if r is None else r
        starts = [step[0] for step in t.rates[r].steps()]
        slot = max(i for i, st_ in enumerate(starts) if st_ <= s * 1000)
        if parts and parts[-1][:2] == [r, slot]:
            parts[-1][2] += 1
        else:
            parts.append([r, slot, 1])
    rate = t.rates[first]
    if seconds == 0:  # an unanswered call costs nothing
        return t.rounding.apply(Decimal(0), t.currency)
    total = Fraction(rate.connect_fee)
    for r, slot, length in parts:
        _, unit, increment, price = t.rates[r].steps()[slot]
        n = -(-length * 1000 // increment)  # increments begun
        per = Fraction(increment) * Fraction(price) / unit
        if t.increment_rounding is not None:
            per = Fraction(round_exact(per, t.increment_rounding))
        total += n * per
    total = max(total, Fraction(rate.min_cost))
    if rate.max_cost is not None:
        total = min(total, Fraction(rate.max_cost.amount))
    return round_exact(total, t.rounding)


def round_exact(value: Fraction, rule: Rounding) -> Decimal:
    """A non-negative exact fraction rounded by ``rule`` (to the cent by default)."""
    places = rule.decimals if rule.decimals is not None else 2
    q, r = divmod(value.numerator * 10**places, value.denominator)
    twice, den = 2 * r, value.denominator
    up = {
        RoundingMethod.DOWN: False,
        RoundingMethod.UP: r > 0,
        RoundingMethod.HALF_UP: twice >= den,
        RoundingMethod.HALF_EVEN: twice > den or (twice == den and q % 2 == 1),
    }[rule.method]
    return Decimal(q + up).scaleb(-places)


# -- helpers --------------------------------------------------------------------------------


def rate(t: Tariff, calls: list[tuple[datetime, int, str]]) -> list[dict[str, Any]]:
    table = pa.table(
        {
            "source": ["sw"] * len(calls),
            "record_id": [str(i) for i in range(len(calls))],
            "account": ["a"] * len(calls),
            "category": ["call"] * len(calls),
            "service": pa.nulls(len(calls), pa.string()),
            "destination": [c[2] for c in calls],
            "start": pa.array([c[0] for c in calls], pa.timestamp("us", tz="UTC")),
            "duration": pa.array([c[1] for c in calls], pa.int64()),
        }
    )
    out: list[dict[str, Any]] = Rater([t], calendars=[PARIS]).rate_table(table).to_pylist()
    return out


def adds_up(row: dict[str, Any]) -> bool:
    """The connect fee, the usage parts, the adjustment and the rounding make the cost."""
    parts = sum((p["amount"] for p in row["parts"]), Decimal(0))
    total = row["connect_fee"] + parts + row["adjustment"] + row["rounding"]
    return bool(total == row["cost"])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- worked examples ------------------------------------------------------------------------


def test_a_short_national_call_at_peak_is_one_minute_block_and_the_connect_fee() -> None:
    [row] = rate(tariff(), [(at("2024-04-02T10:00:00+02:00"), 30, "+33142000000")])
    assert row["cost"] == Decimal("0.07")
    assert row["band"] == "peak"
    assert row["destination_group"] == "national"
    assert row["prefix"] == "+331"
    assert row["connect_fee"] == Decimal("0.05")
    assert [(p["slot"], p["increments"]) for p in row["parts"]] == [(0, 1)]
    assert adds_up(row)


def test_after_the_first_minute_seconds_are_charged_one_by_one() -> None:
    [row] = rate(tariff(), [(at("2024-04-02T10:00:00+02:00"), 61, "+33142000000")])
    # 0.05 + 0.02 (first minute) + 1 s × 0.02/60 = 0.070333… → 0.07
    assert row["cost"] == Decimal("0.07")
    usage = row["parts"]
    assert [(p["slot"], p["quantity"], p["increments"]) for p in usage] == [
        (0, 60_000, 1),
        (1, 1_000, 1),
    ]
    assert adds_up(row)


def test_a_call_crossing_into_the_evening_is_split_at_19_00_local_time() -> None:
    # 18:59:00 Paris (CEST): 60 s at peak, 120 s in the evening band.
    [row] = rate(tariff(), [(at("2024-04-02T18:59:00+02:00"), 180, "+33142000000")])
    usage = [(p["band"], p["quantity"]) for p in row["parts"]]
    assert usage == [("peak", 60_000), ("evening", 120_000)]
    # 0.05 + 0.02 + 120 × 0.013/60 = 0.096 → 0.10
    assert row["cost"] == Decimal("0.10")


def test_a_holiday_is_priced_by_the_bands_that_apply_on_holidays() -> None:
    may_day = at("2024-05-01T10:00:00+02:00")  # a Wednesday
    [row] = rate(tariff(), [(may_day, 600, "+33142000000")])
    assert row["band"] == "night"
    assert row["cost"] == Decimal("0.13")  # 600 × 0.013 / 60


def test_the_maximum_cost_disconnects_or_makes_the_rest_free() -> None:
    rows = rate(
        tariff(),
        [
            (at("2024-04-02T10:00:00+02:00"), 3 * 3600, "+33612345678"),
            (at("2024-04-02T10:00:00+02:00"), 3 * 3600, "+447700900000"),
        ],
    )
    assert [r["cost"] for r in rows] == [Decimal("2.50"), Decimal("3.00")]
    assert [r["disconnected"] for r in rows] == [True, False]
    assert rows[0]["adjustment"] < 0  # the maximum removed what is beyond it
    assert all(adds_up(r) for r in rows)


def test_the_minimum_cost_raises_a_short_evening_call() -> None:
    [row] = rate(tariff(), [(at("2024-04-02T20:00:00+02:00"), 5, "+33142000000")])
    assert row["cost"] == Decimal("0.01")
    assert row["adjustment"] > 0  # the minimum raised it
    assert adds_up(row)


def test_longest_prefix_wins() -> None:
    rows = rate(
        tariff(),
        [
            (at("2024-04-02T10:00:00+02:00"), 60, "+447700900000"),
            (at("2024-04-02T10:00:00+02:00"), 60, "+442071234567"),
        ],
    )
    assert [r["destination_group"] for r in rows] == ["uk-mobile", "uk"]
    assert [r["prefix"] for r in rows] == ["+447", "+44"]


def test_what_cannot_be_rated_says_why() -> None:
    rows = rate(
        tariff(),
        [
            (at("2024-04-02T10:00:00+02:00"), 60, "+4930123456"),
            (at("2023-04-02T10:00:00+02:00"), 60, "+33142000000"),
        ],
    )
    assert rows[0]["cost"] is None
    assert "no prefix matches" in rows[0]["not_rated"]
    assert rows[0]["parts"] is None
    assert rows[1]["not_rated"] is not None  # before the tariff's first version


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (RoundingMethod.HALF_UP, "0.0115"),
        (RoundingMethod.HALF_EVEN, "0.0115"),
        (RoundingMethod.UP, "0.0115"),
        (RoundingMethod.DOWN, "0.0114"),
    ],
)
def test_record_rounding_follows_the_tariff(method: RoundingMethod, expected: str) -> None:
    # 54 s in the evening: 54 × 0.013 / 60 = 0.0117 exactly, whatever the method.
    t = tariff(rounding={"method": method.value, "decimals": 4, "point": "record"})
    [row] = rate(t, [(at("2024-04-02T20:00:00+02:00"), 54, "+33142000000")])
    assert row["cost"] == Decimal("0.0117")
    # 53 s: 53 × 0.013 / 60 = 0.0114833…
    [row53] = rate(t, [(at("2024-04-02T20:00:00+02:00"), 53, "+33142000000")])
    assert row53["cost"] == Decimal(expected)
    want = Rounding(method=method, decimals=4).apply(Decimal(53) * Decimal("0.013") / 60, "EUR")
    assert row53["cost"] == want


def test_increment_rounding_rounds_each_increment_before_adding() -> None:
    t = tariff(increment_rounding={"method": "up", "decimals": 4})
    # 600 s in the evening: each second 0.013/60 = 0.000216… → 0.0003; × 600 = 0.18
    [row] = rate(t, [(at("2024-04-02T20:00:00+02:00"), 600, "+33142000000")])
    assert row["cost"] == Decimal("0.18")


def test_a_call_across_the_spring_change_of_clock() -> None:
    # 01:55 CET on 31 March 2024, 20 minutes: clocks jump from 02:00 to 03:00.
    [row] = rate(tariff(), [(at("2024-03-31T01:55:00+01:00"), 1200, "+33142000000")])
    assert row["cost"] == reference(tariff(), at("2024-03-31T01:55:00+01:00"), 1200, "+331420")


def test_volume_is_rated_by_the_kilobyte_with_no_destinations() -> None:
    data = from_jsonable(
        Tariff,
        {
            "id": "data",
            "active_from": "2024-01-01T00:00:00Z",
            "currency": "EUR",
            "rates": [
                {
                    "destinations": ["*"],
                    "quantity": "volume",
                    "slots": [{"price": "0.004", "unit": "1MB", "increment": "1KB"}],
                }
            ],
            "rounding": {"method": "half_up", "decimals": 4},
        },
    )
    table = pa.table(
        {
            "source": ["bras"], "record_id": ["s1"], "account": ["a"], "category": ["data"],
            "service": pa.nulls(1, pa.string()), "destination": pa.nulls(1, pa.string()),
            "start": pa.array([at("2024-04-02T10:00:00+02:00")], pa.timestamp("us", tz="UTC")),
            "volume_up": [1_500_001], "volume_down": [2_000_000],
        }
    )  # fmt: skip
    [row] = Rater([data]).rate_table(table).to_pylist()
    # 3,500,001 octets: 3,501 kilobytes begun × 0.004 / 1,000 = 0.014004 → 0.0140
    assert row["cost"] == Decimal("0.0140")
    assert row["prefix"] is None
    assert row["parts"][0]["increments"] == 3_501


def test_volume_stays_in_the_band_of_its_start_across_slots() -> None:
    data = from_jsonable(
        Tariff,
        {
            "id": "data", "active_from": "2024-01-01T00:00:00Z", "currency": "EUR",
            "bands": [{"id": "day", "hours": {"daily": "08:00-19:00"}}, {"id": "night"}],
            "rates": [
                {"destinations": ["*"], "bands": ["day"], "quantity": "volume",
                 "slots": [{"price": "1", "unit": "1MB", "increment": "1MB"},
                           {"from": "1MB", "price": "2", "unit": "1MB", "increment": "1MB"}]},
                {"destinations": ["*"], "bands": ["night"], "quantity": "volume",
                 "slots": [{"price": "5", "unit": "1MB", "increment": "1MB"}]},
            ],
        },
    )  # fmt: skip
    # 18:59:59 UTC, 3 MB: all in the day band (1 + 2 + 2), though 3,000,000 "ms" would run
    # past 19:00.
    table = pa.table(
        {
            "source": ["bras"], "record_id": ["s1"], "account": ["a"], "category": ["data"],
            "service": pa.nulls(1, pa.string()), "destination": pa.nulls(1, pa.string()),
            "start": pa.array([datetime(2024, 4, 2, 18, 59, 59, tzinfo=UTC)],
                              pa.timestamp("us", tz="UTC")),
            "volume_down": [3_000_000],
        }
    )  # fmt: skip
    [row] = Rater([data]).rate_table(table).to_pylist()
    assert row["cost"] == Decimal("5.00")
    assert [p["band"] for p in row["parts"]] == ["day", "day"]


QOS = {
    "id": "qos-video",
    "active_from": "2024-01-01T00:00:00Z",
    "currency": "EUR",
    "effective_bandwidth": {
        "peak_rate": "10000000", "space": "0.0000002", "time_scale": "1",
        "price": "0.00000001", "currency": "EUR", "fixed_charge": "0.50",
    },
    "rounding": {"method": "half_up", "decimals": 4},
}  # fmt: skip


@pytest.mark.parametrize("declared", ["1000000", "4000000", "8000000"])
def test_a_qos_link_is_priced_by_its_effective_bandwidth(declared: str) -> None:
    from servanda.accounting.effective_bandwidth import charge_connection

    qos = from_jsonable(Tariff, QOS)
    hour, mean = 3600, 4_000_000  # one hour at a real mean of 4 Mbit/s
    table = pa.table(
        {
            "source": ["pe-1"], "record_id": ["q1"], "account": ["lumiere-tv"],
            "category": ["qos_link"], "service": pa.nulls(1, pa.string()),
            "destination": pa.nulls(1, pa.string()),
            "start": pa.array([at("2024-04-02T20:00:00+02:00")], pa.timestamp("us", tz="UTC")),
            "duration": [hour], "volume_down": [mean * hour // 8], "declared_mean": [declared],
        }
    )  # fmt: skip
    [row] = Rater([qos]).rate_table(table).to_pylist()
    expected = charge_connection(
        qos.effective_bandwidth, mean=Decimal(declared), duration=hour, volume=mean * hour
    )
    assert row["cost"] == expected.rounded(qos.rounding).amount
    assert [p["band"] for p in row["parts"]] == ["time", "volume"]
    assert row["connect_fee"] == Decimal("0.50")
    assert adds_up(row)


def test_declaring_the_real_mean_of_a_qos_link_costs_least() -> None:
    qos = from_jsonable(Tariff, QOS)
    costs = {}
    for declared in ("1000000", "4000000", "8000000"):
        table = pa.table(
            {
                "source": ["pe-1"], "record_id": ["q"], "account": ["a"],
                "category": ["qos_link"], "service": pa.nulls(1, pa.string()),
                "destination": pa.nulls(1, pa.string()),
                "start": pa.array([at("2024-04-02T20:00:00+02:00")], pa.timestamp("us", tz="UTC")),
                "duration": [3600], "volume_down": [4_000_000 * 3600 // 8],
                "declared_mean": [declared],
            }
        )  # fmt: skip
        costs[declared] = Rater([qos]).rate_table(table).column("cost")[0].as_py()
    assert costs["4000000"] < costs["1000000"]
    assert costs["4000000"] < costs["8000000"]


# -- the kernel against the reference ------------------------------------------------------


def _utc(*parts: int) -> datetime:
    """A naive UTC bound (Hypothesis draws naive datetimes; the zone is set after)."""
    return datetime(*parts)  # noqa: DTZ001


STARTS = st.one_of(
    st.datetimes(min_value=_utc(2024, 1, 2), max_value=_utc(2024, 12, 30)),
    st.datetimes(min_value=_utc(2024, 3, 30, 20), max_value=_utc(2024, 3, 31, 3)),
    st.datetimes(min_value=_utc(2024, 10, 26, 20), max_value=_utc(2024, 10, 27, 3)),
    st.datetimes(min_value=_utc(2024, 4, 30, 16), max_value=_utc(2024, 5, 2, 9)),
).map(lambda d: d.replace(microsecond=0, tzinfo=UTC))
DESTINATIONS = st.sampled_from(
    ["+33142000000", "+33512345678", "+33612345678", "+447700900000", "+442071234567", "+1555"]
)
CALLS = st.lists(st.tuples(STARTS, st.integers(0, 7200), DESTINATIONS), min_size=1, max_size=8)
ROUNDINGS = st.sampled_from(
    [
        None,
        {"method": "up", "decimals": 4, "point": "increment"},
        {"method": "half_even", "decimals": 5, "point": "increment"},
    ]
)


@settings(max_examples=60, deadline=None)
@given(calls=CALLS, increment_rounding=ROUNDINGS, method=st.sampled_from(list(RoundingMethod)))
def test_the_kernel_rates_as_the_plain_reference(
    calls: list[tuple[datetime, int, str]],
    increment_rounding: dict[str, Any] | None,
    method: RoundingMethod,
) -> None:
    t = tariff(
        increment_rounding=increment_rounding,
        rounding={"method": method.value, "decimals": 3, "point": "record"},
    )
    rows = rate(t, calls)
    for (start, seconds, destination), row in zip(calls, rows, strict=True):
        assert row["cost"] == reference(t, start, seconds, destination), (start, seconds)
        if row["cost"] is not None:
            assert adds_up(row)
            assert sum(p["quantity"] for p in row["parts"]) == seconds * 1000


@settings(max_examples=30, deadline=None)
@given(calls=CALLS)
def test_rating_a_batch_or_each_record_alone_gives_the_same_costs(
    calls: list[tuple[datetime, int, str]],
) -> None:
    together = [r["cost"] for r in rate(tariff(), calls)]
    alone = [rate(tariff(), [c])[0]["cost"] for c in calls]
    assert together == alone
