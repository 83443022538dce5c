"""The metrics an objective can name, their units, and how targets are written.

Targets are stored as a :class:`~decimal.Decimal` in the metric's canonical unit (percent,
seconds, milliseconds, bit/s, count, score) and may be written with a unit in YAML: ``99.9%``,
``4h``, ``30ms``, ``100Mbit/s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from servanda.core.durations import parse_duration


class Unit(StrEnum):
    """Canonical units of targets."""

    PERCENT = "percent"
    SECONDS = "seconds"
    MILLISECONDS = "ms"
    BITS_PER_SECOND = "bit/s"
    COUNT = "count"
    SCORE = "score"


class Metric(StrEnum):
    """What an objective measures."""

    AVAILABILITY = "availability"
    WEIGHTED_AVAILABILITY = "weighted_availability"
    MTBF = "mtbf"
    MTTR = "mttr"
    MTTA = "mtta"
    MTBSI = "mtbsi"
    INCIDENT_COUNT = "incident_count"
    RESPONSE_TIME = "response_time"
    RESOLUTION_TIME = "resolution_time"
    LATENCY = "latency"
    ONE_WAY_DELAY = "one_way_delay"
    JITTER = "jitter"
    THROUGHPUT = "throughput"
    PACKET_LOSS = "packet_loss"
    GOOD_RATIO = "good_ratio"
    SATISFACTION = "satisfaction"
    NPS = "nps"
    CONTROL_COMPLIANCE = "control_compliance"


METRIC_ALIASES = {
    "mtrs": Metric.MTTR,
    "experience_weighted_availability": Metric.WEIGHTED_AVAILABILITY,
    "data_rate": Metric.THROUGHPUT,
    "loss": Metric.PACKET_LOSS,
    "csat": Metric.SATISFACTION,
    "customer_satisfaction": Metric.SATISFACTION,
}


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """Facts about one metric."""

    unit: Unit
    """Canonical unit of its targets."""
    better: str
    """``higher`` or ``lower``: which way is better."""
    noun: str
    """How documents name it."""


METRICS: dict[Metric, MetricInfo] = {
    Metric.AVAILABILITY: MetricInfo(Unit.PERCENT, "higher", "availability"),
    Metric.WEIGHTED_AVAILABILITY: MetricInfo(
        Unit.PERCENT, "higher", "experience-weighted availability"
    ),
    Metric.MTBF: MetricInfo(Unit.SECONDS, "higher", "mean time between failures (MTBF)"),
    Metric.MTTR: MetricInfo(Unit.SECONDS, "lower", "mean time to restore service (MTRS)"),
    Metric.MTTA: MetricInfo(Unit.SECONDS, "lower", "mean time to acknowledge (MTTA)"),
    Metric.MTBSI: MetricInfo(Unit.SECONDS, "higher", "mean time between service incidents (MTBSI)"),
    Metric.INCIDENT_COUNT: MetricInfo(Unit.COUNT, "lower", "number of incidents"),
    Metric.RESPONSE_TIME: MetricInfo(Unit.SECONDS, "lower", "response time"),
    Metric.RESOLUTION_TIME: MetricInfo(Unit.SECONDS, "lower", "resolution time"),
    Metric.LATENCY: MetricInfo(Unit.MILLISECONDS, "lower", "round-trip latency"),
    Metric.ONE_WAY_DELAY: MetricInfo(Unit.MILLISECONDS, "lower", "one-way delay"),
    Metric.JITTER: MetricInfo(Unit.MILLISECONDS, "lower", "jitter"),
    Metric.THROUGHPUT: MetricInfo(Unit.BITS_PER_SECOND, "higher", "throughput"),
    Metric.PACKET_LOSS: MetricInfo(Unit.PERCENT, "lower", "packet loss"),
    Metric.GOOD_RATIO: MetricInfo(Unit.PERCENT, "higher", "share of good events"),
    Metric.SATISFACTION: MetricInfo(Unit.SCORE, "higher", "customer satisfaction (CSAT, 1–5)"),
    Metric.NPS: MetricInfo(Unit.SCORE, "higher", "net promoter score"),
    Metric.CONTROL_COMPLIANCE: MetricInfo(Unit.PERCENT, "higher", "control compliance"),
}


def parse_metric(value: object) -> Metric:
    """A metric from its name or alias (case-insensitive, ``-`` or ``_``)."""
    if isinstance(value, Metric):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a metric name: {value!r}")
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    if key in METRIC_ALIASES:
        return METRIC_ALIASES[key]
    try:
        return Metric(key)
    except ValueError:
        known = ", ".join(m.value for m in Metric)
        raise ValueError(f"unknown metric {value!r}; known metrics: {known}") from None


_RATE_UNITS = {
    "bit/s": 1,
    "bps": 1,
    "kbit/s": 10**3,
    "kbps": 10**3,
    "mbit/s": 10**6,
    "mbps": 10**6,
    "gbit/s": 10**9,
    "gbps": 10**9,
    "tbit/s": 10**12,
}
_NUMBER_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z/%]*)\s*$")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None


def parse_target(value: object, unit: Unit) -> Decimal:
    """Parse a target written for a metric of ``unit`` into the canonical unit.

    Floats from YAML are read through their shortest text form, so ``99.9`` is exactly
    ``Decimal("99.9")``.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a target: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"not a target: {value!r}")
    if unit is Unit.SECONDS:
        m = _NUMBER_UNIT.match(value)
        if m and not m.group(2):
            return _decimal(m.group(1))  # a plain number: seconds, as stored
        if m and m.group(2) == "ms":
            return _decimal(m.group(1)) / 1000
        seconds = parse_duration(value).total_seconds()
        return Decimal(int(seconds)) if seconds.is_integer() else Decimal(repr(seconds))
    m = _NUMBER_UNIT.match(value)
    if m is None:
        raise ValueError(
            f"not a target: {value!r} (write a number with a point for decimals and an "
            "optional unit, e.g. 99.9%, 30ms, 100Mbit/s)"
        )
    number, suffix = _decimal(m.group(1)), m.group(2).lower()
    if not suffix:
        return number
    if unit is Unit.PERCENT and suffix == "%":
        return number
    if unit is Unit.MILLISECONDS:
        if suffix == "ms":
            return number
        if suffix == "s":
            return number * 1000
        if suffix in ("us", "µs"):
            return number / 1000
    if unit is Unit.BITS_PER_SECOND and suffix in _RATE_UNITS:
        return number * _RATE_UNITS[suffix]
    raise ValueError(f"unit {m.group(2)!r} does not fit a target in {unit.value}")


def format_target(value: Decimal, unit: Unit) -> str:
    """A target as documents show it: ``99.9 %``, ``4 h``, ``30 ms``, ``100 Mbit/s``."""
    if unit is Unit.PERCENT:
        return f"{_plain(value)} %"
    if unit is Unit.SECONDS:
        seconds = value
        for size, name in ((86400, "d"), (3600, "h"), (60, "min")):
            if seconds >= size and seconds % size == 0:
                return f"{_plain(seconds / size)} {name}"
        if seconds >= 60:
            return f"{_plain(seconds / 60)} min"
        return f"{_plain(seconds)} s"
    if unit is Unit.MILLISECONDS:
        return f"{_plain(value)} ms"
    if unit is Unit.BITS_PER_SECOND:
        for size, name in (
            (10**12, "Tbit/s"),
            (10**9, "Gbit/s"),
            (10**6, "Mbit/s"),
            (10**3, "kbit/s"),
        ):
            if value >= size:
                return f"{_plain(value / size)} {name}"
        return f"{_plain(value)} bit/s"
    return _plain(value)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
