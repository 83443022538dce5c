"""Scores from feedback: CSAT, NPS, their trend per month, and the experience score that sets
the quality customers *perceive* beside the quality that was *measured*.

Formulas (n answers of a kind in the period):

* **CSAT** (scores 1–5): mean = Σ csat / n; satisfied = the answers of 4 or 5; share
  satisfied = satisfied / n × 100 (percent).
* **NPS** (scores 0–10): promoters answer 9 or 10, passives 7 or 8, detractors 0 to 6;
  NPS = (promoters − detractors) / n × 100, from −100 (all detractors) to +100 (all
  promoters). Passives count in n only.
* **Trend**: the same per calendar month, months taken in a timezone (the customer's calendar's),
  so an answer given at 00:30 on 1 May in Paris counts in May.
* **Experience score**: perceived = (mean CSAT − 1) / 4 × 100, which maps 1 to 0 and 5 to 100;
  when no answer has a CSAT, perceived = (NPS + 100) / 2, which maps −100 to 0 and +100 to 100.
  measured is a figure on the same 0–100 scale the caller chooses (the share of objectives met,
  an experience-weighted availability's compliance …). gap = perceived − measured: below
  −tolerance (5 points by default) the customers felt the service worse than it measured ("the
  outages hurt more than their minutes say"); above +tolerance, better.

Every figure is a :class:`~decimal.Decimal` computed from integer counts; a division that does
not terminate (a mean of 13 / 3) is carried to 28 significant digits, never through a binary
float. Round for display only, with :func:`for_display`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from servanda.core.records import record
from servanda.engagement.model import Feedback

_EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_TICK = timedelta(microseconds=1)
HUNDRED = Decimal(100)
DEFAULT_TOLERANCE = Decimal(5)
"""Points of gap within which perceived and measured quality are said to agree."""

BELOW = "perceived below measured: the outages hurt more than their minutes say"
ABOVE = "perceived above measured: customers rate the service better than its figures"
AGREE = "perceived matches measured: the figures tell what customers felt"


@record
class CsatScore:
    """Customer satisfaction over a set of answers."""

    count: Annotated[int, Field(ge=1)]
    """Answers with a CSAT score."""
    mean: Decimal
    """Σ csat / count, from 1 to 5."""
    satisfied: Annotated[int, Field(ge=0)]
    """Answers of 4 or 5."""
    satisfied_share: Decimal
    """satisfied / count × 100 (percent)."""
    counts: tuple[int, int, int, int, int]
    """Answers of 1, 2, 3, 4 and 5."""


@record
class NpsScore:
    """Net promoter score over a set of answers."""

    count: Annotated[int, Field(ge=1)]
    """Answers with an NPS score."""
    promoters: Annotated[int, Field(ge=0)]
    """Answers of 9 or 10."""
    passives: Annotated[int, Field(ge=0)]
    """Answers of 7 or 8."""
    detractors: Annotated[int, Field(ge=0)]
    """Answers of 0 to 6."""
    score: Decimal
    """(promoters − detractors) / count × 100, from −100 to 100."""


@record
class MonthScore:
    """The scores of one calendar month."""

    month: date
    """The month's first day (in the timezone of the trend)."""
    count: Annotated[int, Field(ge=0)]
    """Feedback given in the month (comments without a score included)."""
    csat: CsatScore | None
    """None when no answer of the month has a CSAT score."""
    nps: NpsScore | None
    """None when no answer of the month has an NPS score."""


@record
class ExperienceScore:
    """Perceived quality beside measured quality, on one 0–100 scale."""

    perceived: Decimal
    """From CSAT, (mean − 1) / 4 × 100; else from NPS, (NPS + 100) / 2."""
    perceived_from: Literal["csat", "nps"]
    """Which score ``perceived`` comes from."""
    measured: Decimal
    """The caller's measured figure, 0–100."""
    gap: Decimal
    """perceived − measured, in points."""
    reading: str
    """What the gap says, in plain words."""


def _ratio(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator from integers: one division, exact when it terminates, else
    carried to 28 significant digits (whatever the caller's decimal context)."""
    return _EXACT.divide(Decimal(numerator), Decimal(denominator))


def csat_score(feedback: Iterable[Feedback]) -> CsatScore | None:
    """CSAT of the answers that have one; None when none has."""
    counts = [0, 0, 0, 0, 0]
    for f in feedback:
        if f.csat is not None:
            counts[f.csat - 1] += 1
    n = sum(counts)
    if n == 0:
        return None
    total = sum(score * c for score, c in enumerate(counts, start=1))
    satisfied = counts[3] + counts[4]
    return CsatScore(
        count=n,
        mean=_ratio(total, n),
        satisfied=satisfied,
        satisfied_share=_ratio(satisfied * 100, n),
        counts=(counts[0], counts[1], counts[2], counts[3], counts[4]),
    )


def nps_score(feedback: Iterable[Feedback]) -> NpsScore | None:
    """NPS of the answers that have one; None when none has."""
    promoters = passives = detractors = 0
    for f in feedback:
        if f.nps is None:
            continue
        if f.nps >= 9:
            promoters += 1
        elif f.nps >= 7:
            passives += 1
        else:
            detractors += 1
    n = promoters + passives + detractors
    if n == 0:
        return None
    return NpsScore(
        count=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        score=_ratio((promoters - detractors) * 100, n),
    )


def in_period(
    feedback: Iterable[Feedback],
    start: datetime,
    end: datetime,
    *,
    customer: str | None = None,
    service: str | None = None,
) -> list[Feedback]:
    """The feedback given in ``[start, end)``, of ``customer`` and about ``service`` when
    given."""
    return [
        f
        for f in feedback
        if start <= f.at < end
        and (customer is None or f.customer == customer)
        and (service is None or f.service == service)
    ]


def _month_of(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone)
    return date(local.year, local.month, 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def monthly_trend(
    feedback: Iterable[Feedback],
    timezone: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[MonthScore]:
    """The scores of each calendar month (months in ``timezone``, an IANA name), oldest first.

    Without ``start`` and ``end``: the months that have feedback. With both: every month that
    ``[start, end)`` touches, those without feedback included (count 0, no scores), and only
    the feedback inside ``[start, end)``.
    """
    if (start is None) != (end is None):
        raise ValueError("give both start and end, or neither")
    zone = ZoneInfo(timezone)
    chosen = list(feedback) if start is None or end is None else in_period(feedback, start, end)
    months: dict[date, list[Feedback]] = {}
    if start is not None and end is not None and start < end:
        month, last = _month_of(start, zone), _month_of(end - _TICK, zone)
        while month <= last:
            months[month] = []
            month = _next_month(month)
    for f in chosen:
        months.setdefault(_month_of(f.at, zone), []).append(f)
    return [
        MonthScore(month=m, count=len(items), csat=csat_score(items), nps=nps_score(items))
        for m, items in sorted(months.items())
    ]


def perceived_quality(
    csat: CsatScore | None, nps: NpsScore | None
) -> tuple[Decimal, Literal["csat", "nps"]] | None:
    """Perceived quality on 0–100 and the score it comes from: (mean CSAT − 1) / 4 × 100, or
    (NPS + 100) / 2 when there is no CSAT; None without either."""
    if csat is not None:
        total = sum(score * c for score, c in enumerate(csat.counts, start=1))
        return _ratio((total - csat.count) * 100, 4 * csat.count), "csat"
    if nps is not None:
        return _ratio((nps.promoters - nps.detractors + nps.count) * 50, nps.count), "nps"
    return None


def experience_score(
    feedback: Sequence[Feedback],
    measured: Decimal,
    *,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> ExperienceScore | None:
    """Perceived quality of ``feedback`` beside ``measured`` (0–100, e.g. the percentage of
    objectives met); None when no answer has a score. See the module for the formulas."""
    if not Decimal(0) <= measured <= HUNDRED:
        raise ValueError(f"measured quality is a figure from 0 to 100, not {measured}")
    if tolerance < 0:
        raise ValueError(f"the tolerance cannot be negative ({tolerance})")
    found = perceived_quality(csat_score(feedback), nps_score(feedback))
    if found is None:
        return None
    perceived, source = found
    gap = _EXACT.subtract(perceived, measured)
    if gap < -tolerance:
        reading = BELOW
    elif gap > tolerance:
        reading = ABOVE
    else:
        reading = AGREE
    return ExperienceScore(
        perceived=perceived, perceived_from=source, measured=measured, gap=gap, reading=reading
    )


def for_display(value: Decimal, places: int = 1) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero (4.25 → 4.3), for
    showing; computations keep the exact value."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
