"""Metric names and targets written with units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from servanda.agreements.metrics import Metric, Unit, format_target, parse_metric, parse_target


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("99.9%", Unit.PERCENT, "99.9"),
        (99.9, Unit.PERCENT, "99.9"),
        (99.95, Unit.PERCENT, "99.95"),
        ("4h", Unit.SECONDS, "14400"),
        ("1h30m", Unit.SECONDS, "5400"),
        ("250ms", Unit.SECONDS, "0.25"),
        ("30ms", Unit.MILLISECONDS, "30"),
        ("0.5s", Unit.MILLISECONDS, "500.0"),
        ("100Mbit/s", Unit.BITS_PER_SECOND, "100000000"),
        ("1 Gbps", Unit.BITS_PER_SECOND, "1000000000"),
        (4, Unit.SCORE, "4"),
    ],
)
def test_parse_target(text: object, unit: Unit, expected: str) -> None:
    assert parse_target(text, unit) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("99.9ms", Unit.PERCENT),
        ("fast", Unit.MILLISECONDS),
        ("10 furlongs", Unit.BITS_PER_SECOND),
        (True, Unit.COUNT),
    ],
)
def test_parse_target_rejects(text: object, unit: Unit) -> None:
    with pytest.raises(ValueError, match=r"target|unit|number"):
        parse_target(text, unit)


def test_float_targets_stay_exact() -> None:
    assert parse_target(0.1 + 0.2, Unit.PERCENT) == Decimal("0.30000000000000004")
    assert parse_target(99.99, Unit.PERCENT) == Decimal("99.99")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        ("99.9", Unit.PERCENT, "99.9 %"),
        ("14400", Unit.SECONDS, "4 h"),
        ("5400", Unit.SECONDS, "90 min"),
        ("100000000", Unit.BITS_PER_SECOND, "100 Mbit/s"),
        ("30", Unit.MILLISECONDS, "30 ms"),
        ("86400", Unit.SECONDS, "1 d"),
    ],
)
def test_format_target(value: str, unit: Unit, text: str) -> None:
    assert format_target(Decimal(value), unit) == text


def test_aliases() -> None:
    assert parse_metric("MTRS") is Metric.MTTR
    assert parse_metric("data-rate") is Metric.THROUGHPUT
    with pytest.raises(ValueError, match="unknown metric 'uptime'"):
        parse_metric("uptime")
