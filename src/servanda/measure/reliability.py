"""Reliability figures: the MTBF family, lifecycle means, and response and resolution times.

"MTTR" means repair, restore, respond or resolve depending on who writes it, so every mean here
carries its name *and* its definition (:class:`MeanTime`), and the raw timestamps behind it are
kept (:class:`FailureRecord`, :class:`TimedIncident`) for the report to list.

**The MTBF family** (:func:`reliability`), over one group of outages (usually one service for
one customer) in a period ``[start, end)``, restricted to agreed time when the caller passes it:

* *window*: the period, intersected with the agreed time when given (service hours minus
  maintenance, see :func:`servanda.calendars.expand.agreed_time`); everything below is
  measured inside it;
* *downtime*: the union of the **unplanned** outage intervals inside the window (overlapping
  outages of several incidents count once); an outage still open (``end`` None) runs to
  ``end``; a partial outage (``fraction`` < 1) counts for its whole duration (a restoration time
  is elapsed time, not lost capacity) unless ``partial=False``, which leaves partial outages out
  altogether;
* *planned downtime*: the union of the planned outage intervals inside the window, less the
  unplanned downtime. **Planned outages are not failures**: their time is neither downtime nor
  uptime;
* *uptime* = window − downtime − planned downtime;
* *failures*: the number of distinct incidents with unplanned downtime inside the window. An
  incident detected before the period counts when its downtime reaches into the window; an
  outage wholly outside agreed time is no failure;
* **MTRS** (mean time to restore service) = total downtime / failures;
* **MTBF** (mean time between failures, ITIL: from recovery to the next failure) = total
  uptime / failures;
* **MTBSI** (mean time between service incidents, failure to failure) = MTBF + MTRS = (uptime +
  downtime) / failures;
* *availability cross-check* = MTBF / (MTBF + MTRS) × 100 % = uptime / (uptime + downtime) ×
  100 %: plain availability with planned downtime excluded from numerator and denominator
  ("exclude" convention) and partial outages counted as full ones.

With no failures the means and the cross-check are None: a report shows them as "—" with the
reason (:attr:`MeanTime.empty`, e.g. "no failures in the period"), never as 0 or infinity, and an
objective on them has no data.

**Lifecycle means** (:func:`lifecycle_means`) over the incidents *detected* in ``[start, end)``
(incidents merged into another and planned incidents left out), each over the incidents that
have the timestamp:

* **MTTA** (mean time to acknowledge) = mean of (first acknowledgement − detection);
* **MTTR-correct** (mean time to repair) = mean of (correction recorded − detection);
* **MTTR-validate** (mean time to resolve) = mean of (correction validated − detection);
* **MTTR-recover** (mean time to recover) = mean of (root recovered − detection).

Detection is the start of the incident's earliest alert; for a reopened incident the latest
correction and validation count (the audit trail keeps the earlier ones).

**Response and resolution** (:func:`response_resolution`) against the agreement's per-severity
targets: response = first acknowledgement − detection; resolution = correction − detection (or
validation or recovery, see :class:`ResolutionMark`). A time equal to its target meets it. An
incident without the timestamp *misses* when its deadline (detection + target) has passed at
``as_of`` (default: the period's end) and is *pending* otherwise; pending incidents are counted
apart and left out of the shares.

Durations are exact: totals in whole microseconds (``timedelta``), means as ``Decimal`` seconds
(a quotient of integers rounded once to 28 significant digits, Python's default decimal
context) with ``timedelta`` views rounded to the microsecond.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction

from servanda.agreements.model import SeverityTarget
from servanda.core.intervals import IntervalSet
from servanda.core.records import record
from servanda.events.incidents import Incident
from servanda.events.model import Severity, normalise_severity
from servanda.events.outages import Outage
from servanda.measure.results import Breach

US = 1_000_000
"""Microseconds in a second."""
_ONE_US = timedelta(microseconds=1)


def _us(value: timedelta) -> int:
    return value // _ONE_US


def seconds_of(us: int) -> Decimal:
    """Whole microseconds as exact ``Decimal`` seconds."""
    return Decimal(us).scaleb(-6)


YEAR = timedelta(days=365.25)
"""A year for annualised figures: 365.25 days (8 766 h), as reliability figures are quoted."""


def per_year(elapsed: timedelta) -> Fraction:
    """How many of ``elapsed`` make a :data:`YEAR` (the factor annualised figures scale by):
    a figure over 30 days × 12.175 is its rate per year. Calendar time, not agreed time: a
    failure a month is twelve a year whatever the service hours."""
    if elapsed <= timedelta(0):
        raise ValueError("nothing elapsed: no rate per year")
    us = timedelta(microseconds=1)
    return Fraction(YEAR // us, elapsed // us)


def annualised_count(count: int, elapsed: timedelta) -> Decimal:
    """``count`` events over ``elapsed`` as a rate per year, to one decimal."""
    rate = per_year(elapsed) * count
    return (Decimal(rate.numerator) / Decimal(rate.denominator)).quantize(Decimal("0.1"))


def annualised_duration(value: timedelta, elapsed: timedelta) -> timedelta:
    """``value`` of downtime (or uptime) over ``elapsed`` as an amount per year."""
    factor = per_year(elapsed)
    return timedelta(microseconds=round(Fraction(value // timedelta(microseconds=1)) * factor))


def spoken_duration(value: timedelta, *, round_up: bool = False) -> str:
    """A duration in words for reports: ``45 s``, ``32 min``, ``2 h 10 min 5 s``, ``3 d 4 h``.

    Every non-zero unit down to the second is shown; the seconds are truncated (rounded up
    with ``round_up``, so a time just over a target never reads as the target itself). Below
    one second the tenths are shown (``0.4 s``); negative durations get a minus sign.
    """
    if value < timedelta(0):
        return "−" + spoken_duration(-value, round_up=round_up)
    exact = seconds_of(_us(value))
    if exact < 1:
        tenths = exact.quantize(Decimal("0.1"), ROUND_CEILING if round_up else ROUND_FLOOR)
        return "0 s" if tenths == 0 else f"{tenths} s"
    seconds = int(exact.to_integral_value(ROUND_CEILING if round_up else ROUND_FLOOR))
    parts = []
    for size, name in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {name}")
    return " ".join(parts)


@record
class MeanTime:
    """One named mean, its definition, and the count it is over.

    ``str(figure)``-style text for reports is :attr:`text`, e.g. ``MTRS: mean time to restore
    service = total downtime / failures``.
    """

    name: str
    """Short name, e.g. ``MTRS``."""
    meaning: str
    """What the letters stand for, e.g. ``mean time to restore service``."""
    formula: str
    """How it is computed, e.g. ``total downtime / failures``."""
    seconds: Decimal | None
    """The mean in seconds; None when ``count`` is 0."""
    count: int
    """How many failures or incidents it is over."""
    empty: str
    """What a report shows instead of a value when ``count`` is 0."""

    @property
    def text(self) -> str:
        """``NAME: meaning = formula``, the way a report names the figure."""
        return f"{self.name}: {self.meaning} = {self.formula}"

    @property
    def duration(self) -> timedelta | None:
        """The mean as a ``timedelta`` (rounded half-even to the microsecond), or None."""
        if self.seconds is None:
            return None
        us = int((self.seconds * US).to_integral_value(ROUND_HALF_EVEN))
        return timedelta(microseconds=us)

    def shown(self) -> str:
        """The value in words (``45 min``), or ``— (<empty>)`` when there is none."""
        duration = self.duration
        return f"— ({self.empty})" if duration is None else spoken_duration(duration)


def _mean(name: str, meaning: str, formula: str, total_us: int, count: int, empty: str) -> MeanTime:
    seconds = None if count == 0 else Decimal(total_us) / Decimal(count * US)
    return MeanTime(
        name=name, meaning=meaning, formula=formula, seconds=seconds, count=count, empty=empty
    )


# -- the MTBF family -------------------------------------------------------------------------


@record
class FailureRecord:
    """One failure: the incident's lifecycle timestamps and its downtime in the window."""

    incident: str
    """The incident's id."""
    severity: Severity
    """The incident's severity."""
    detected: datetime
    """Start of its earliest alert."""
    acknowledged: datetime | None
    """First acknowledgement."""
    corrected: datetime | None
    """Latest correction recorded."""
    resolved: datetime | None
    """When the root recovered (service restored as monitoring sees it)."""
    validated: datetime | None
    """Latest validation of the correction."""
    closed: datetime | None
    """Latest closing."""
    downtime: timedelta
    """Its unplanned downtime inside the window (its own outages, so the downtimes of
    overlapping failures may add up to more than the total)."""
    down_from: datetime
    """First instant of that downtime."""
    down_until: datetime
    """End of that downtime (exclusive)."""
    reopen_count: int = 0
    """How often the incident reopened."""


@record
class Reliability:
    """The MTBF family over one group of outages and one period (see the module docs)."""

    start: datetime
    """Start of the period (inclusive)."""
    end: datetime
    """End of the period (exclusive)."""
    window: timedelta
    """Agreed time inside the period (the whole period when no agreed time was given)."""
    downtime: timedelta
    """Unplanned downtime inside the window."""
    planned_downtime: timedelta
    """Planned downtime inside the window, not overlapping unplanned downtime."""
    uptime: timedelta
    """window − downtime − planned downtime."""
    failures: int
    """Distinct incidents with unplanned downtime inside the window."""
    mtrs: MeanTime
    """MTRS = total downtime / failures."""
    mtbf: MeanTime
    """MTBF = total uptime / failures."""
    mtbsi: MeanTime
    """MTBSI = MTBF + MTRS."""
    availability: Decimal | None
    """MTBF / (MTBF + MTRS) × 100, percent; None without failures."""
    records: tuple[FailureRecord, ...]
    """One per failure, by detection time then incident id."""


AVAILABILITY_TEXT = "availability = MTBF / (MTBF + MTRS) = uptime / (uptime + downtime)"
"""How the availability cross-check is named on a report."""


def _clipped(outages: Iterable[Outage], start: datetime, end: datetime) -> IntervalSet:
    pairs = [(max(o.start, start), end if o.end is None else min(o.end, end)) for o in outages]
    return IntervalSet.from_pairs((s, e) for s, e in pairs if e > s)


def reliability(
    outages: Iterable[Outage],
    incidents: Iterable[Incident] | Mapping[str, Incident],
    start: datetime,
    end: datetime,
    agreed: IntervalSet | None = None,
    *,
    partial: bool = True,
) -> Reliability:
    """Failures, downtime, uptime, MTRS, MTBF, MTBSI and the availability cross-check.

    ``outages`` are one group's (usually one service for one customer; not checked) and
    ``incidents`` the incidents behind them, as records or by id; every unplanned outage's
    incident must be among them (:class:`ValueError` otherwise). ``agreed``, when given,
    restricts the measurement to agreed time. ``partial=False`` leaves partial outages out.
    Definitions are in the module documentation.
    """
    if end <= start:
        raise ValueError(f"the period ends ({end.isoformat()}) before it starts")
    by_id = dict(incidents) if isinstance(incidents, Mapping) else {i.id: i for i in incidents}
    period = IntervalSet.span(start, end)
    window = period if agreed is None else period & agreed
    chosen = [o for o in outages if partial or o.fraction >= 1.0]
    unplanned: dict[str, list[Outage]] = {}
    for o in chosen:
        if not o.planned:
            unplanned.setdefault(o.incident_id, []).append(o)
    down = window & _clipped((o for o in chosen if not o.planned), start, end)
    planned = (window & _clipped((o for o in chosen if o.planned), start, end)) - down
    records = []
    for incident_id, own in unplanned.items():
        mine = window & _clipped(own, start, end)
        if not mine:
            continue
        incident = by_id.get(incident_id)
        if incident is None:
            raise ValueError(f"outage of incident {incident_id} given without its incident")
        records.append(
            FailureRecord(
                incident=incident.id,
                severity=incident.severity,
                detected=incident.detected_at,
                acknowledged=incident.acknowledged_at,
                corrected=incident.corrected_at,
                resolved=incident.resolved_at,
                validated=incident.validated_at,
                closed=incident.closed_at,
                downtime=timedelta(microseconds=mine.duration()),
                down_from=mine.to_pairs()[0][0],
                down_until=mine.to_pairs()[-1][1],
                reopen_count=incident.reopen_count,
            )
        )
    records.sort(key=lambda r: (r.detected, r.incident))
    window_us, down_us, planned_us = window.duration(), down.duration(), planned.duration()
    up_us = window_us - down_us - planned_us
    failures = len(records)
    none = "no failures in the period"
    availability = None
    if failures:
        availability = Decimal(up_us * 100) / Decimal(up_us + down_us)
    return Reliability(
        start=start,
        end=end,
        window=timedelta(microseconds=window_us),
        downtime=timedelta(microseconds=down_us),
        planned_downtime=timedelta(microseconds=planned_us),
        uptime=timedelta(microseconds=up_us),
        failures=failures,
        mtrs=_mean(
            "MTRS",
            "mean time to restore service",
            "total downtime / failures",
            down_us,
            failures,
            none,
        ),
        mtbf=_mean(
            "MTBF",
            "mean time between failures (ITIL, recovery to next failure)",
            "total uptime / failures",
            up_us,
            failures,
            none,
        ),
        mtbsi=_mean(
            "MTBSI",
            "mean time between service incidents (failure to failure)",
            "MTBF + MTRS = (uptime + downtime) / failures",
            up_us + down_us,
            failures,
            none,
        ),
        availability=availability,
        records=tuple(records),
    )


# -- lifecycle means -------------------------------------------------------------------------


def counted(incidents: Iterable[Incident], start: datetime, end: datetime) -> list[Incident]:
    """The incidents lifecycle figures count: detected in ``[start, end)``, not merged into
    another, not planned; by detection time then id."""
    found = [
        i
        for i in incidents
        if start <= i.detected_at < end and i.merged_into is None and not i.planned
    ]
    found.sort(key=lambda i: (i.detected_at, i.id))
    return found


@record
class LifecycleMeans:
    """Means over the lifecycle timestamps of the incidents detected in a period."""

    incidents: int
    """Incidents counted (see :func:`counted`)."""
    mtta: MeanTime
    """MTTA = mean of (acknowledged − detected)."""
    to_correct: MeanTime
    """MTTR-correct = mean of (corrected − detected)."""
    to_validate: MeanTime
    """MTTR-validate = mean of (validated − detected)."""
    to_recover: MeanTime
    """MTTR-recover = mean of (resolved − detected)."""


def lifecycle_means(
    incidents: Iterable[Incident], start: datetime, end: datetime
) -> LifecycleMeans:
    """MTTA and the MTTR variants over the incidents detected in ``[start, end)``.

    Each mean is over the incidents that have its timestamp (an incident not yet acknowledged
    is not in the MTTA), whenever that timestamp falls; see the module documentation.
    """
    chosen = counted(incidents, start, end)

    def mean(name: str, meaning: str, formula: str, attr: str, empty: str) -> MeanTime:
        spans = [
            _us(getattr(i, attr) - i.detected_at) for i in chosen if getattr(i, attr) is not None
        ]
        return _mean(name, meaning, formula, sum(spans), len(spans), empty)

    return LifecycleMeans(
        incidents=len(chosen),
        mtta=mean(
            "MTTA",
            "mean time to acknowledge",
            "mean of (acknowledged − detected)",
            "acknowledged_at",
            "no incident acknowledged",
        ),
        to_correct=mean(
            "MTTR-correct",
            "mean time to repair (correction recorded)",
            "mean of (corrected − detected)",
            "corrected_at",
            "no incident corrected",
        ),
        to_validate=mean(
            "MTTR-validate",
            "mean time to resolve (correction validated)",
            "mean of (validated − detected)",
            "validated_at",
            "no correction validated",
        ),
        to_recover=mean(
            "MTTR-recover",
            "mean time to recover (root alerts resolved)",
            "mean of (recovered − detected)",
            "resolved_at",
            "no incident recovered",
        ),
    )


# -- response and resolution -----------------------------------------------------------------


class ResolutionMark(StrEnum):
    """Which lifecycle timestamp ends the resolution time."""

    CORRECTED = "corrected"
    """The correction recorded (the provider restored the service): the default."""
    VALIDATED = "validated"
    """The correction validated (by whoever the agreement names)."""
    RECOVERED = "recovered"
    """The root's alerts resolved (monitoring sees the service restored)."""

    @property
    def attribute(self) -> str:
        """The :class:`~servanda.events.incidents.Incident` field it reads."""
        return {"corrected": "corrected_at", "validated": "validated_at"}.get(
            self.value, "resolved_at"
        )


class Outcome(StrEnum):
    """How one incident fared against one target."""

    MET = "met"
    MISSED = "missed"
    PENDING = "pending"
    """Not done yet and the deadline has not passed."""


@record
class TimedIncident:
    """One incident's response and resolution against its severity's targets."""

    incident: str
    severity: Severity
    detected: datetime
    response: timedelta | None
    """acknowledged − detected; None when not acknowledged."""
    response_outcome: Outcome
    resolution: timedelta | None
    """(corrected, validated or recovered) − detected; None when not there yet."""
    resolution_outcome: Outcome


@record
class SeverityCompliance:
    """Counts for one severity with targets.

    A share is ``met / (met + missed)`` as a ratio in [0, 1] (pending incidents left out), None
    when nothing is decided.
    """

    severity: Severity
    response_target: timedelta
    resolution_target: timedelta
    incidents: int
    response_met: int
    response_missed: int
    response_pending: int
    response_share: Decimal | None
    resolution_met: int
    resolution_missed: int
    resolution_pending: int
    resolution_share: Decimal | None


@record
class ResponseResolution:
    """Response and resolution times of a period's incidents against per-severity targets."""

    resolution_mark: ResolutionMark
    """Which timestamp ended the resolution times."""
    as_of: datetime
    """The instant deadlines were judged at."""
    severities: tuple[SeverityCompliance, ...]
    """One per severity with a target, most severe first."""
    incidents: tuple[TimedIncident, ...]
    """Every incident with a target, by detection time then id."""
    breaches: tuple[Breach, ...]
    """Every miss, response misses first, each by detection time."""


def _share(met: int, missed: int) -> Decimal | None:
    return None if met + missed == 0 else Decimal(met) / Decimal(met + missed)


def _judge(
    detected: datetime, done: datetime | None, target: timedelta, as_of: datetime
) -> tuple[timedelta | None, Outcome]:
    if done is None:
        return None, Outcome.MISSED if detected + target <= as_of else Outcome.PENDING
    took = done - detected
    return took, Outcome.MET if took <= target else Outcome.MISSED


def _words(value: timedelta) -> str:
    return spoken_duration(value, round_up=True)


def response_resolution(
    incidents: Iterable[Incident],
    targets: Iterable[SeverityTarget],
    start: datetime,
    end: datetime,
    *,
    as_of: datetime | None = None,
    resolution_mark: ResolutionMark = ResolutionMark.CORRECTED,
    response_objective: str = "response-time",
    resolution_objective: str = "resolution-time",
) -> ResponseResolution:
    """Each incident detected in ``[start, end)`` (see :func:`counted`) whose severity has a
    target, judged against it; counts and shares per severity; every miss as a
    :class:`~servanda.measure.results.Breach` of ``response_objective`` or
    ``resolution_objective`` with its plain-language detail.

    A target's ``severity`` is read as event sources write it (``high`` is ``major``); when
    two targets name the same severity the first is used. ``as_of`` (default ``end``) is when
    deadlines are judged: pass the evaluation instant to count, after the period, incidents
    that were still unacknowledged or unresolved. Definitions are in the module documentation.
    """
    when = end if as_of is None else as_of
    by_severity: dict[Severity, SeverityTarget] = {}
    for t in targets:
        by_severity.setdefault(normalise_severity(t.severity), t)
    done_word = resolution_mark.value
    timed: list[TimedIncident] = []
    response_breaches: list[Breach] = []
    resolution_breaches: list[Breach] = []
    for inc in counted(incidents, start, end):
        target = by_severity.get(inc.severity)
        if target is None:
            continue
        response, r_out = _judge(inc.detected_at, inc.acknowledged_at, target.response, when)
        done_at: datetime | None = getattr(inc, resolution_mark.attribute)
        resolution, s_out = _judge(inc.detected_at, done_at, target.resolution, when)
        timed.append(
            TimedIncident(
                incident=inc.id,
                severity=inc.severity,
                detected=inc.detected_at,
                response=response,
                response_outcome=r_out,
                resolution=resolution,
                resolution_outcome=s_out,
            )
        )
        head = f"{inc.id} {inc.severity.value}"
        if r_out is Outcome.MISSED:
            if response is None:
                what = (
                    f"not acknowledged {_words(when - inc.detected_at)} after detection "
                    f"(as of {when.isoformat()})"
                )
            else:
                what = f"acknowledged after {_words(response)}"
            response_breaches.append(
                Breach(
                    objective=response_objective,
                    detail=f"{head}: {what}, target {_words(target.response)}",
                    start=inc.detected_at,
                    end=inc.acknowledged_at or when,
                    incidents=(inc.id,),
                )
            )
        if s_out is Outcome.MISSED:
            if resolution is None:
                what = (
                    f"not {done_word} {_words(when - inc.detected_at)} after detection "
                    f"(as of {when.isoformat()})"
                )
            else:
                what = f"{done_word} after {_words(resolution)}"
            resolution_breaches.append(
                Breach(
                    objective=resolution_objective,
                    detail=f"{head}: {what}, target {_words(target.resolution)}",
                    start=inc.detected_at,
                    end=done_at or when,
                    incidents=(inc.id,),
                )
            )
    severities = []
    for severity in sorted(by_severity, key=lambda s: s.rank):
        target = by_severity[severity]
        mine = [t for t in timed if t.severity is severity]
        r = [t.response_outcome for t in mine]
        s = [t.resolution_outcome for t in mine]
        severities.append(
            SeverityCompliance(
                severity=severity,
                response_target=target.response,
                resolution_target=target.resolution,
                incidents=len(mine),
                response_met=r.count(Outcome.MET),
                response_missed=r.count(Outcome.MISSED),
                response_pending=r.count(Outcome.PENDING),
                response_share=_share(r.count(Outcome.MET), r.count(Outcome.MISSED)),
                resolution_met=s.count(Outcome.MET),
                resolution_missed=s.count(Outcome.MISSED),
                resolution_pending=s.count(Outcome.PENDING),
                resolution_share=_share(s.count(Outcome.MET), s.count(Outcome.MISSED)),
            )
        )
    return ResponseResolution(
        resolution_mark=resolution_mark,
        as_of=when,
        severities=tuple(severities),
        incidents=tuple(timed),
        breaches=(*response_breaches, *resolution_breaches),
    )
