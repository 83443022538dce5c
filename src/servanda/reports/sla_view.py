"""The SLA report's view-model: the report turned into the sentences, figures and table rows a
customer reads.

Templates only lay out what is built here; every number is formatted and every sentence worded
in this module, with the agreements' notation (``99.9 %``, ``4 h``, ``EUR 45.00``; see
:mod:`~servanda.documents.wording`). Measured figures are rounded towards the worse
side (availability down, a restore time up), so a figure that missed its target never reads as
if it met it. Times are shown in the period's timezone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from servanda.agreements.metrics import METRICS, Metric, Unit, format_target
from servanda.agreements.model import ClaimMode
from servanda.calendars.describe import MONTHS, format_date, join_words
from servanda.documents.wording import (
    capitalize,
    comparator_words,
    format_money,
)
from servanda.engagement.model import Review, ReviewKind
from servanda.measure.results import Budget, Credit, ObjectiveResult, Verdict
from servanda.reports import charts
from servanda.reports.sla_model import (
    Closing,
    FeedbackSummary,
    IncidentEntry,
    ReportPeriod,
    ServiceSection,
    SlaReport,
    Standing,
    TimelineEntry,
)


@dataclass(frozen=True, slots=True)
class VerdictView:
    """A verdict in words and with a symbol, never by colour alone."""

    word: str
    symbol: str
    kind: str
    """``met``, ``breached`` or ``no_data``: a hint for styling."""


VERDICTS = {
    Verdict.MET: VerdictView("Met", "✓", "met"),
    Verdict.BREACHED: VerdictView("Missed", "✗", "breached"),
    Verdict.NO_DATA: VerdictView("No data", "–", "no_data"),
}


@dataclass(frozen=True, slots=True)
class Link:
    """A reference to an anchor of the same document; ``href`` is None when there is none."""

    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One objective in the summary table."""

    section: Link
    objective: Link
    target: str
    actual: str
    verdict: VerdictView
    budget: str
    credit: str


@dataclass(frozen=True, slots=True)
class BreachView:
    """Why an objective was missed."""

    detail: str
    when: str | None
    incidents: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class ObjectiveView:
    """One objective's result in its section."""

    anchor: str
    id: str
    noun: str
    target: str
    actual: str
    verdict: VerdictView
    details: tuple[str, ...]
    """Sentences: how it was computed, the budget, where it comes from."""
    figures: tuple[tuple[str, str], ...]
    breaches: tuple[BreachView, ...]


@dataclass(frozen=True, slots=True)
class ChartView:
    """An inline SVG chart and what it shows, in words."""

    svg: str
    caption: str


@dataclass(frozen=True, slots=True)
class OutageRow:
    """One outage in a section's outage table."""

    number: int
    """As marked on the timeline chart."""
    when: str
    duration: str
    kind: str
    counted: str
    weighted: str
    incident: Link | None


@dataclass(frozen=True, slots=True)
class SectionView:
    """One service (or the customer-wide objectives)."""

    anchor: str
    name: str
    service: str | None
    agreements: str
    sentences: tuple[str, ...]
    objectives: tuple[ObjectiveView, ...]
    charts: tuple[ChartView, ...]
    outages: tuple[OutageRow, ...]
    incidents: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class CreditRow:
    """One service credit with its reason."""

    service: str
    objective: str
    actual: str
    target: str
    tier: str
    percent: str
    amount: str
    claim: str
    reason: str


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One incident of the document-wide incident list."""

    anchor: str
    id: str
    title: str
    severity: str
    services: str
    detected: str
    acknowledged: str
    restored: str
    duration: str
    response: VerdictView | None
    resolution: VerdictView | None


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """Feedback in one month beside the availability measured in it."""

    month: str
    count: str
    csat: str
    nps: str
    availability: str
    weighted: str


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A recent comment."""

    when: str
    service: str
    score: str
    text: str


@dataclass(frozen=True, slots=True)
class FeedbackView:
    """The feedback part of the report."""

    sentence: str
    months: tuple[FeedbackRow, ...]
    comments: tuple[CommentRow, ...]
    perceived: str | None
    measured: str | None
    experience: str | None
    chart: ChartView | None


@dataclass(frozen=True, slots=True)
class ActionRow:
    """An action agreed in a review."""

    text: str
    owner: str
    due: str
    status: VerdictView


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review or listening session."""

    heading: str
    facts: tuple[str, ...]
    notes: tuple[str, ...]
    actions: tuple[ActionRow, ...]


@dataclass(frozen=True, slots=True)
class ConventionView:
    """The excluded-time convention, stated."""

    sentence: str
    formula: str
    legend: str


@dataclass(frozen=True, slots=True)
class ReportView:
    """The whole report, ready to lay out."""

    title: str
    provider: str
    customer: str
    customer_id: str
    period: str
    period_range: str
    timezone: str
    generated: str
    generated_iso: str
    standing: str
    """``provisional`` or ``final``."""
    standing_text: tuple[str, ...]
    """What the standing means for this report, then its pending adjustments."""
    headline: tuple[str, ...]
    convention: ConventionView
    summary: tuple[SummaryRow, ...]
    sections: tuple[SectionView, ...]
    credits: tuple[CreditRow, ...]
    credit_totals: tuple[str, ...]
    incidents: tuple[IncidentRow, ...]
    feedback: FeedbackView | None
    reviews: tuple[ReviewView, ...]
    notes: tuple[str, ...]


# --- bounds ----------------------------------------------------------------------------------

T = TypeVar("T")

MAX_ROWS = 200
"""Rows of one table (incidents, outages, a section's incident links) shown in HTML and PDF."""
MAX_REVIEWS = 12
"""Reviews shown: the most recent."""
MAX_ACTIONS = 50
"""Actions shown per review."""
MAX_ACTION_CHARS = 500
"""Characters of an action's text shown."""
MAX_NOTES_CHARS = 4000
"""Characters of a review's notes shown."""
MAX_ATTENDEES = 30
"""Attendees named per review."""
JSON_HAS_ALL = "the JSON report holds every one"


def shown(rows: tuple[T, ...], limit: int, what: str, cuts: list[str]) -> tuple[T, ...]:
    """The first ``limit`` of ``rows``; when some are left out, a sentence saying so goes to
    ``cuts`` (the HTML and PDF are bounded whatever the data; the JSON report is complete)."""
    if len(rows) <= limit:
        return rows
    cuts.append(f"{what}: the first {limit:,} of {len(rows):,} are shown; {JSON_HAS_ALL}.")
    return rows[:limit]


def _cut_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- numbers ---------------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A number without exponent or trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _worse(metric: Metric) -> str:
    return ROUND_FLOOR if METRICS[metric].better == "higher" else ROUND_CEILING


def duration_text(seconds: Decimal | int | float) -> str:
    """Whole seconds as ``2 d 3 h``, ``1 h 30 min``, ``4 min 5 s``, ``0 s``."""
    total = int(seconds)
    if total == 0:
        return "0 s"
    sign, total = ("−", -total) if total < 0 else ("", total)
    parts = []
    for size, name in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount} {name}")
    return sign + " ".join(parts)


def _rate(value: Decimal, rounding: str) -> str:
    for size, name in ((10**12, "Tbit/s"), (10**9, "Gbit/s"), (10**6, "Mbit/s"), (10**3, "kbit/s")):
        if value >= size:
            return f"{plain((value / size).quantize(Decimal('0.01'), rounding))} {name}"
    return f"{plain(value.quantize(Decimal(1), rounding))} bit/s"


def actual_text(value: Decimal | None, metric: Metric, unit: Unit) -> str:
    """A measured figure in ``unit``, rounded towards the worse side of ``metric``."""
    if value is None:
        return "no data"
    rounding = _worse(metric)
    if unit is Unit.PERCENT:
        return f"{plain(value.quantize(Decimal('0.001'), rounding))} %"
    if unit is Unit.SECONDS:
        return duration_text(value.quantize(Decimal(1), rounding))
    if unit is Unit.MILLISECONDS:
        return f"{plain(value.quantize(Decimal('0.01'), rounding))} ms"
    if unit is Unit.BITS_PER_SECOND:
        return _rate(value, rounding)
    return plain(value.quantize(Decimal("0.01"), rounding))


def target_text(result: ObjectiveResult) -> str:
    """``at least 99.5 %``."""
    return f"{comparator_words(result.comparator)} {format_target(result.target, result.unit)}"


def percent_text(value: Decimal | None, places: str = "0.001") -> str:
    """A percentage (availability beside feedback), rounded down."""
    if value is None:
        return "—"
    return f"{plain(value.quantize(Decimal(places), ROUND_FLOOR))} %"


def one_decimal(value: Decimal) -> str:
    """A mean score to one decimal, half up: ``4.25`` is ``4.3``."""
    return plain(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


def signed(value: Decimal) -> str:
    """``+12``, ``−7``, ``0``: a net promoter score."""
    text = plain(value.quantize(Decimal(1), ROUND_HALF_UP))
    if text.startswith("-"):
        return "−" + text[1:]
    return text if text == "0" else "+" + text


# --- time ------------------------------------------------------------------------------------


class _Clock:
    """Timestamps in the report's timezone; inside the period, without the year unless the
    period spans two years."""

    def __init__(self, period: ReportPeriod) -> None:
        self.zone = ZoneInfo(period.timezone)
        first = period.start.astimezone(self.zone)
        last = (period.end - timedelta(microseconds=1)).astimezone(self.zone)
        self.years = first.year != last.year

    def day(self, moment: datetime, *, year: bool | None = None) -> str:
        local = moment.astimezone(self.zone).date()
        if year if year is not None else self.years:
            return format_date(local)
        return f"{local.day} {MONTHS[local.month - 1]}"

    def at(self, moment: datetime, *, year: bool | None = None) -> str:
        """``17 Apr 09:00`` (``17 Apr 2025, 09:00`` with the year)."""
        local = moment.astimezone(self.zone)
        if year if year is not None else self.years:
            return f"{format_date(local.date())}, {local:%H:%M}"
        return f"{self.day(moment, year=False)} {local:%H:%M}"

    def span(self, start: datetime, end: datetime | None) -> str:
        """``17 Apr 09:00–10:30``, ``7 Apr 23:00 to 8 Apr 01:00``."""
        if end is None:
            return f"from {self.at(start)}, still going on"
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        if a.date() == b.date():
            return f"{self.at(start)}–{b:%H:%M}"
        return f"{self.at(start)} to {self.at(end)}"


def month_text(month: date) -> str:
    """``Apr 2025``."""
    return f"{MONTHS[month.month - 1]} {month.year}"


# --- anchors ---------------------------------------------------------------------------------


def anchor(*parts: str) -> str:
    """An HTML id made of ``parts``: letters, digits, ``-`` and ``_`` only."""
    out = []
    for part in parts:
        out.append("".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in part))
    return "-".join(out)


def section_anchor(section: ServiceSection) -> str:
    return anchor("service", section.service) if section.service else "customer-wide"


def incident_anchor(incident_id: str) -> str:
    return anchor("incident", incident_id)


class _Incidents:
    """The incidents of the whole report: one list, one anchor each."""

    def __init__(self, sections: Sequence[ServiceSection]) -> None:
        self.first: dict[str, IncidentEntry] = {}
        self.services: dict[str, list[str]] = {}
        for s in sections:
            for inc in s.incidents:
                self.first.setdefault(inc.id, inc)
                names = self.services.setdefault(inc.id, [])
                if s.name not in names:
                    names.append(s.name)

    def link(self, incident_id: str) -> Link:
        href = f"#{incident_anchor(incident_id)}" if incident_id in self.first else None
        return Link(incident_id, href)

    def ordered(self) -> list[IncidentEntry]:
        return sorted(self.first.values(), key=lambda i: (i.detected, i.id))


# --- budget ----------------------------------------------------------------------------------


def _budget_amount(value: Decimal, unit: str) -> str:
    if unit == "seconds":
        return duration_text(value.quantize(Decimal(1), ROUND_FLOOR))
    noun = {"events": "event", "slices": "slice"}.get(unit, unit)
    count = plain(value.quantize(Decimal("0.01"), ROUND_FLOOR))
    return f"{count} {noun}{'' if count == '1' else 's'}"


def budget_short(budget: Budget | None) -> str:
    """``30 % left``, ``used up``, ``overspent by 95 %`` or ``—``."""
    if budget is None or budget.remaining_share is None:
        return "—"
    share = (budget.remaining_share * 100).quantize(Decimal(1), ROUND_FLOOR)
    if budget.remaining < 0:
        return f"overspent by {plain(-share)} %"
    if budget.remaining == 0:
        return "used up"
    return f"{plain(share)} % left"


def budget_sentence(budget: Budget) -> str:
    """The budget in one sentence."""
    allowed = _budget_amount(budget.allowed, budget.unit)
    consumed = _budget_amount(budget.consumed, budget.unit)
    what = "of downtime" if budget.unit == "seconds" else "that may fail"
    used = "none was used" if budget.consumed == 0 else f"{consumed} were used"
    text = f"The error budget allowed {allowed} {what}; {used}"
    if budget.remaining < 0:
        text += f", {_budget_amount(-budget.remaining, budget.unit)} more than allowed"
    else:
        text += f", {_budget_amount(budget.remaining, budget.unit)} are left"
    short = budget_short(budget)
    text += f" ({short})." if short != "—" else "."
    left = budget.left_in_period
    if left is not None and budget.remaining > left > 0:
        text += (
            f" Only {_budget_amount(left, budget.unit)} of the period remain, so that is the "
            "most that can still fail (Zabbix's convention); the figure above is the margin "
            "(Servanda's)."
        )
    if budget.burn_rate is not None:
        rate = plain(budget.burn_rate.quantize(Decimal("0.01"), ROUND_CEILING))
        text += (
            f" Burn rate {rate}: at 1 the budget lasts exactly to the end of the period, above "
            "1 it runs out before."
        )
    return text


# --- building --------------------------------------------------------------------------------


def _noun(result: ObjectiveResult) -> str:
    return capitalize(METRICS[result.metric].noun)


def _credit_for(credits: Iterable[Credit], service: str | None, objective: str) -> list[Credit]:
    return [c for c in credits if c.service == service and c.objective == objective]


def _credit_short(found: Sequence[Credit]) -> str:
    if not found:
        return "—"
    parts = []
    for c in found:
        text = f"{plain(c.percent)} %"
        if c.amount is not None and c.currency:
            text += f" ({format_money(c.amount, c.currency)})"
        parts.append(text)
    return ", ".join(parts)


def _objective_view(
    result: ObjectiveResult, section_id: str, incidents: _Incidents, clock: _Clock
) -> ObjectiveView:
    details = []
    if result.convention:
        details.append(f"Computed as: {result.convention}.")
    timed = result.metric in (Metric.AVAILABILITY, Metric.WEIGHTED_AVAILABILITY)
    if timed and result.numerator is not None and result.denominator is not None:
        up = duration_text(result.numerator.quantize(Decimal(1), ROUND_FLOOR))
        agreed = duration_text(result.denominator.quantize(Decimal(1), ROUND_CEILING))
        weighted = " (weighted)" if result.metric is Metric.WEIGHTED_AVAILABILITY else ""
        details.append(f"Up {up} of {agreed} of agreed service time{weighted}.")
    if result.budget is not None:
        details.append(budget_sentence(result.budget))
    if result.source:
        details.append(f"Agreed in {result.source}.")
    breaches = tuple(
        BreachView(
            detail=b.detail,
            when=clock.span(b.start, b.end) if b.start is not None else None,
            incidents=tuple(incidents.link(i) for i in b.incidents),
        )
        for b in result.breaches
    )
    return ObjectiveView(
        anchor=anchor("objective", section_id, result.objective),
        id=result.objective,
        noun=_noun(result),
        target=target_text(result),
        actual=actual_text(result.actual, result.metric, result.unit),
        verdict=VERDICTS[result.verdict],
        details=tuple(details),
        figures=result.figures,
        breaches=breaches,
    )


def _experience_sentence(section: ServiceSection) -> str | None:
    """What plain and weighted availability say together, when they disagree."""
    by_metric = {r.metric: r for r in section.results if r.actual is not None}
    plain_r = by_metric.get(Metric.AVAILABILITY)
    weighted_r = by_metric.get(Metric.WEIGHTED_AVAILABILITY)
    if plain_r is None or weighted_r is None:
        return None
    plain_a = actual_text(plain_r.actual, plain_r.metric, plain_r.unit)
    weighted_a = actual_text(weighted_r.actual, weighted_r.metric, weighted_r.unit)
    if plain_r.verdict is Verdict.MET and weighted_r.verdict is Verdict.BREACHED:
        return (
            f"{section.name} met its availability target ({plain_a}) but missed its "
            f"experience-weighted availability target ({weighted_a}): the downtime fell in "
            "the hours that matter most to you, where each minute counts more."
        )
    if plain_r.verdict is Verdict.BREACHED and weighted_r.verdict is Verdict.MET:
        return (
            f"{section.name} missed its availability target ({plain_a}) but met its "
            f"experience-weighted availability target ({weighted_a}): most of the downtime "
            "fell in quiet hours."
        )
    return None


def _outage_kind(entry: TimelineEntry) -> str:
    kind = "Planned maintenance" if entry.planned else "Outage"
    if entry.fraction < 1:
        share = plain((entry.fraction * 100).quantize(Decimal("0.1")))
        kind = f"Partial {kind.lower()} ({share} % of the service)"
    return kind


def _outage_rows(
    section: ServiceSection, report: SlaReport, clock: _Clock, incidents: _Incidents
) -> tuple[OutageRow, ...]:
    rows = []
    ordered = sorted(section.timeline, key=lambda e: (e.start, e.end or report.period.end))
    for number, e in enumerate(ordered, start=1):
        stop = e.end or report.period.end
        rows.append(
            OutageRow(
                number=number,
                when=clock.span(e.start, e.end),
                duration=duration_text((stop - e.start).total_seconds()),
                kind=_outage_kind(e),
                counted=duration_text(e.downtime_seconds.quantize(Decimal(1), ROUND_CEILING)),
                weighted=duration_text(e.weighted_seconds.quantize(Decimal(1), ROUND_CEILING)),
                incident=incidents.link(e.incident) if e.incident else None,
            )
        )
    return tuple(rows)


def _targets(section: ServiceSection) -> list[tuple[str, Decimal]]:
    found: list[tuple[str, Decimal]] = []
    for r in section.results:
        if r.metric is Metric.AVAILABILITY:
            found.append(("availability target", r.target))
        elif r.metric is Metric.WEIGHTED_AVAILABILITY:
            found.append(("weighted target", r.target))
    if len({t for _, t in found}) == 1:
        return [("target", found[0][1])]
    return found


_TIMELINE_CAPTION = (
    "Upper band: each outage, as tall as the share of the service it took down, numbered as "
    "in the outage table below; planned maintenance is hatched. Lower band: how much each "
    "outage counted in the experience-weighted availability. A minute at normal weight "
    "reaches the dashed ×1 line; a minute in a critical business window (shaded) counts "
    "more and reaches higher; time outside the agreed service hours or left out as planned "
    "maintenance counts nothing and is not drawn."
)


def _charts(section: ServiceSection, report: SlaReport, base: str) -> tuple[ChartView, ...]:
    out = []
    has_daily = any(
        p.availability is not None or p.weighted_availability is not None for p in section.daily
    )
    if has_daily:
        out.append(
            ChartView(
                charts.availability_chart(
                    section.daily,
                    _targets(section),
                    ident=f"{base}-availability",
                    title=f"{section.name}: availability by day",
                ),
                "Availability day by day: the solid line counts every minute alike, the dashed "
                "line weighs each minute by how much it matters to you; the dotted line is the "
                "target.",
            )
        )
    if any(p.budget_remaining is not None for p in section.daily):
        out.append(
            ChartView(
                charts.budget_chart(
                    section.daily,
                    ident=f"{base}-budget",
                    title=f"{section.name}: error budget left",
                ),
                "The error budget is the downtime the target allows over the period. The line "
                "shows how much of it was left at the end of each day; below 0 % the target is "
                "missed. The dotted line is where spending it evenly would be.",
            )
        )
    availability = any(
        r.metric in (Metric.AVAILABILITY, Metric.WEIGHTED_AVAILABILITY) for r in section.results
    )
    if section.timeline or section.windows or (availability and section.service is not None):
        period = report.period
        out.append(
            ChartView(
                charts.timeline_chart(
                    section.timeline,
                    period.start,
                    period.end,
                    period.timezone,
                    section.windows,
                    ident=f"{base}-timeline",
                    title=f"{section.name}: outages over the period",
                ),
                _TIMELINE_CAPTION,
            )
        )
    return tuple(out)


def _section_view(
    section: ServiceSection,
    report: SlaReport,
    incidents: _Incidents,
    clock: _Clock,
    cuts: list[str],
) -> SectionView:
    base = section_anchor(section)
    section_id = section.service or "customer"
    sentences = []
    found = _experience_sentence(section)
    if found:
        sentences.append(found)
    if not section.results:
        sentences.append("No objective applies to this part in the period.")
    linked = sorted({i.id for i in section.incidents})
    ordered = [i for i in incidents.ordered() if i.id in linked]
    return SectionView(
        anchor=base,
        name=section.name,
        service=section.service,
        agreements=join_words([f"“{a}”" for a in section.agreements]),
        sentences=tuple(sentences),
        objectives=tuple(_objective_view(r, section_id, incidents, clock) for r in section.results),
        charts=_charts(section, report, base),
        outages=shown(
            _outage_rows(section, report, clock, incidents), MAX_ROWS,
            f"Outages of {section.name}", cuts,
        ),
        incidents=shown(
            tuple(incidents.link(i.id) for i in ordered), MAX_ROWS,
            f"Incidents of {section.name}", cuts,
        ),
    )  # fmt: skip


def _summary(report: SlaReport) -> tuple[SummaryRow, ...]:
    rows = []
    for s in report.sections:
        base = section_anchor(s)
        section_id = s.service or "customer"
        for r in s.results:
            rows.append(
                SummaryRow(
                    section=Link(s.name, f"#{base}"),
                    objective=Link(_noun(r), f"#{anchor('objective', section_id, r.objective)}"),
                    target=target_text(r),
                    actual=actual_text(r.actual, r.metric, r.unit),
                    verdict=VERDICTS[r.verdict],
                    budget=budget_short(r.budget),
                    credit=_credit_short(_credit_for(report.credits, s.service, r.objective)),
                )
            )
    return tuple(rows)


def _headline(report: SlaReport) -> tuple[str, ...]:
    results = [r for s in report.sections for r in s.results]
    counts = {v: sum(1 for r in results if r.verdict is v) for v in Verdict}
    if not results:
        return ("No objective applied to this period.",)
    parts = [f"{counts[Verdict.MET]} met"]
    if counts[Verdict.BREACHED]:
        parts.append(f"{counts[Verdict.BREACHED]} missed")
    if counts[Verdict.NO_DATA]:
        parts.append(f"{counts[Verdict.NO_DATA]} without data")
    lines = [f"Of {len(results)} objectives, {join_words(parts)}."]
    if report.credits:
        n = len(report.credits)
        lines.append(
            f"{'One service credit was' if n == 1 else f'{n} service credits were'} earned "
            "(see Service credits)."
        )
    else:
        lines.append("No service credit was earned.")
    return tuple(lines)


def _unit_of(report: SlaReport, credit: Credit) -> tuple[Metric, Unit]:
    for s in report.sections:
        for r in s.results:
            if r.objective == credit.objective and s.service == credit.service:
                return r.metric, r.unit
    for s in report.sections:
        for r in s.results:
            if r.objective == credit.objective:
                return r.metric, r.unit
    return Metric.AVAILABILITY, Unit.PERCENT


def _credit_rows(
    report: SlaReport, names: dict[str | None, str], clock: _Clock
) -> tuple[CreditRow, ...]:
    rows = []
    for c in sorted(report.credits, key=lambda c: (c.service or "", c.objective, c.period_start)):
        metric, unit = _unit_of(report, c)
        if c.claim is ClaimMode.AUTOMATIC:
            claim = "Credited automatically"
        elif c.claim_by is not None:
            claim = f"To claim by {clock.day(c.claim_by, year=True)}"
        else:
            claim = "To claim"
        rows.append(
            CreditRow(
                service=names.get(c.service, c.service or "All services"),
                objective=capitalize(METRICS[metric].noun),
                actual=actual_text(c.actual, metric, unit),
                target=format_target(c.target, unit),
                tier=f"below {format_target(c.tier_below, unit)}",
                percent=f"{plain(c.percent)} %",
                amount=(
                    format_money(c.amount, c.currency)
                    if c.amount is not None and c.currency
                    else "—"
                ),
                claim=claim,
                reason=c.reason,
            )
        )
    return tuple(rows)


def _credit_totals(report: SlaReport) -> tuple[str, ...]:
    totals: dict[str, Decimal] = {}
    for c in report.credits:
        if c.amount is not None and c.currency:
            totals[c.currency] = totals.get(c.currency, Decimal(0)) + c.amount
    return tuple(format_money(amount, cur) for cur, amount in sorted(totals.items()))


def _yes_no(value: bool | None, yes: str = "Met", no: str = "Missed") -> VerdictView | None:
    if value is None:
        return None
    return VerdictView(yes, "✓", "met") if value else VerdictView(no, "✗", "breached")


def _incident_rows(incidents: _Incidents, clock: _Clock) -> tuple[IncidentRow, ...]:
    rows = []
    for inc in incidents.ordered():
        restored = inc.restored
        rows.append(
            IncidentRow(
                anchor=incident_anchor(inc.id),
                id=inc.id,
                title=inc.title,
                severity=inc.severity,
                services=join_words(incidents.services[inc.id]),
                detected=clock.at(inc.detected),
                acknowledged=clock.at(inc.acknowledged) if inc.acknowledged else "—",
                restored=clock.at(restored) if restored else "not yet",
                duration=(
                    duration_text((restored - inc.detected).total_seconds()) if restored else "—"
                ),
                response=_yes_no(inc.response_met),
                resolution=_yes_no(inc.resolution_met),
            )
        )
    return tuple(rows)


def _feedback_view(
    fb: FeedbackSummary, report: SlaReport, names: dict[str | None, str], clock: _Clock
) -> FeedbackView:
    n = fb.count
    parts = [f"{n} response{'' if n == 1 else 's'} in {report.period.label}"]
    if fb.csat is not None:
        parts.append(f"average satisfaction {one_decimal(fb.csat)} out of 5")
    if fb.nps is not None:
        parts.append(f"net promoter score {signed(fb.nps)}")
    months = tuple(
        FeedbackRow(
            month=month_text(m.month),
            count=str(m.count),
            csat=one_decimal(m.csat) if m.csat is not None else "—",
            nps=signed(m.nps) if m.nps is not None else "—",
            availability=percent_text(m.availability),
            weighted=percent_text(m.weighted_availability),
        )
        for m in sorted(fb.trend, key=lambda m: m.month)
    )
    comments = []
    for c in sorted(fb.recent, key=lambda c: c.at, reverse=True):
        scores = []
        if c.csat is not None:
            scores.append(f"satisfaction {c.csat} of 5")
        if c.nps is not None:
            scores.append(f"would recommend {c.nps} of 10")
        comments.append(
            CommentRow(
                when=clock.day(c.at),
                service=names.get(c.service, c.service) if c.service else "The provider",
                score=", ".join(scores) or "—",
                text=c.comment,
            )
        )
    exp = fb.experience
    scale = f" (on a scale of {exp.scale})" if exp is not None else ""
    return FeedbackView(
        sentence="; ".join(parts) + ".",
        months=months,
        comments=tuple(comments),
        perceived=(
            one_decimal(exp.perceived) + scale
            if exp is not None and exp.perceived is not None
            else None
        ),
        measured=(
            one_decimal(exp.measured) + scale
            if exp is not None and exp.measured is not None
            else None
        ),
        experience=exp.sentence if exp is not None else None,
        chart=(
            ChartView(
                charts.feedback_chart(fb.trend, ident="feedback-trend"),
                "Satisfaction month by month (above) beside the availability measured in the "
                "same months (below): the solid line counts every minute alike, the dashed line "
                "weighs each minute by how much it matters to you.",
            )
            if fb.trend
            else None
        ),
    )


def _paragraphs(text: str) -> tuple[str, ...]:
    blocks = text.strip().split("\n\n")
    return tuple(" ".join(b.split()) for b in blocks if b.strip())


def _review_view(review: Review, names: dict[str | None, str], cuts: list[str]) -> ReviewView:
    kind = "Listening session" if review.kind is ReviewKind.LISTENING_SESSION else "Service review"
    heading = f"{kind}, {format_date(review.held_on)}"
    facts = []
    if review.service:
        facts.append(f"Service: {names.get(review.service, review.service)}")
    if review.attendees:
        attendees = shown(review.attendees, MAX_ATTENDEES, f"Attendees of the {heading}", cuts)
        facts.append(f"Attendees: {join_words(list(attendees))}")
    if len(review.notes) > MAX_NOTES_CHARS:
        cuts.append(f"The notes of the {heading} are cut at {MAX_NOTES_CHARS:,} characters.")
    return ReviewView(
        heading=heading,
        facts=tuple(facts),
        notes=_paragraphs(_cut_text(review.notes, MAX_NOTES_CHARS)),
        actions=tuple(
            ActionRow(
                text=_cut_text(a.text, MAX_ACTION_CHARS),
                owner=a.owner or "—",
                due=format_date(a.due) if a.due else "—",
                status=VerdictView("Done", "✓", "met")
                if a.done
                else VerdictView("Open", "○", "open"),
            )
            for a in shown(review.actions, MAX_ACTIONS, f"Actions of the {heading}", cuts)
        ),
    )


def standing_text(closing: Closing, at: Callable[[datetime], str]) -> tuple[str, ...]:
    """Whether the figures may change, in words (``at`` writes a time), then the pending
    adjustments of a closed period."""
    if closing.standing is Standing.PROVISIONAL:
        return (
            "Provisional: the period is not closed, so these figures and credits may still change.",
        )
    assert closing.closed_at is not None  # a final closing names its close
    by = f" by {closing.closed_by}" if closing.closed_by else ""
    lines = [
        f"Final: the period was closed on {at(closing.closed_at)}{by} (version "
        f"{closing.version}); its credits are these."
    ]
    if closing.pending:
        lines.append(
            "Pending adjustments, found since the close (they apply when the period is "
            "reopened and closed again):"
        )
        lines.extend(closing.pending)
    return tuple(lines)


def build_view(report: SlaReport) -> ReportView:
    """The report as sentences and rows (see the module documentation)."""
    clock = _Clock(report.period)
    incidents = _Incidents(report.sections)
    names: dict[str | None, str] = {s.service: s.name for s in report.sections if s.service}
    period = report.period
    convention = report.convention
    cuts: list[str] = []
    reviews = sorted(report.reviews, key=lambda r: r.held_on)
    recent = reviews[-MAX_REVIEWS:]
    if len(reviews) > MAX_REVIEWS:
        cuts.append(
            f"Reviews: the {MAX_REVIEWS} most recent of {len(reviews):,} are shown; {JSON_HAS_ALL}."
        )
    sections = tuple(_section_view(s, report, incidents, clock, cuts) for s in report.sections)
    return ReportView(
        title=f"Service level report, {period.label}",
        provider=report.provider.name,
        customer=report.customer.name,
        customer_id=report.customer.id,
        period=period.label,
        period_range=(
            f"from {clock.at(period.start, year=True)} to {clock.at(period.end, year=True)} "
            "(end excluded)"
        ),
        timezone=period.timezone,
        generated=clock.at(report.generated_at, year=True),
        generated_iso=report.generated_at.isoformat(),
        standing=report.closing.standing.value,
        standing_text=standing_text(report.closing, lambda t: clock.at(t, year=True)),
        headline=_headline(report),
        convention=ConventionView(
            sentence=convention.explanation,
            formula=convention.formula,
            legend=convention.legend,
        ),
        summary=_summary(report),
        sections=sections,
        credits=_credit_rows(report, names, clock),
        credit_totals=_credit_totals(report),
        incidents=shown(_incident_rows(incidents, clock), MAX_ROWS, "Incidents", cuts),
        feedback=(
            _feedback_view(report.feedback, report, names, clock)
            if report.feedback is not None
            else None
        ),
        reviews=tuple(_review_view(r, names, cuts) for r in recent),
        notes=(*report.notes, *cuts),
    )
