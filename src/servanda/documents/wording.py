"""Agreement terms in plain English: one sentence per objective, credit and convention.

Every function here takes domain records and returns text; nothing reads files or the clock.
Numbers are shown the way :func:`~servanda.agreements.metrics.format_target` shows them
(``99.9 %``, ``4 h``, ``30 ms``, ``100 Mbit/s``), so a document and a report agree on notation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from servanda.agreements.metrics import METRICS, Metric, Unit, format_target
from servanda.agreements.model import (
    Budgeting,
    Comparator,
    ExcludedTime,
    Level,
    Objective,
    PeriodKind,
)
from servanda.calendars.describe import join_words
from servanda.calendars.model import Calendar, CriticalWindow

_COMPARATOR_WORDS = {
    Comparator.GE: "at least",
    Comparator.GT: "more than",
    Comparator.LE: "at most",
    Comparator.LT: "less than",
}
_COUNT_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
_MEASURED = (Metric.LATENCY, Metric.ONE_WAY_DELAY, Metric.JITTER, Metric.THROUGHPUT)
_MEAN_TIMES = (Metric.MTBF, Metric.MTTR, Metric.MTTA, Metric.MTBSI)


def capitalize(text: str) -> str:
    """``text`` with its first letter in upper case (the rest untouched)."""
    return text[:1].upper() + text[1:]


def comparator_words(cmp: Comparator) -> str:
    """``at least``, ``more than``, ``at most``, ``less than``."""
    return _COMPARATOR_WORDS[cmp]


def plain_number(value: Decimal) -> str:
    """A number without exponent or trailing zeros: ``99.9``, ``10``, ``0.05``."""
    return format_target(value, Unit.COUNT)


def times_words(weight: Decimal) -> str:
    """How many times something counts: ``once``, ``twice``, ``ten times``, ``1.5 times``."""
    if weight == 1:
        return "once"
    if weight == 2:
        return "twice"
    if weight == weight.to_integral_value() and 0 <= weight < len(_COUNT_WORDS):
        return f"{_COUNT_WORDS[int(weight)]} times"
    return f"{plain_number(weight)} times"


def _unit(amount: int, name: str) -> str:
    return f"{amount} {name}" + ("" if amount == 1 else "s")


def duration_words(value: timedelta) -> str:
    """A duration for prose: ``30 days``, ``4 hours``, ``1 hour 30 minutes``, ``45 seconds``."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "no time"
    parts: list[str] = []
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(_unit(amount, name))
    return " ".join(parts)


def duration_short(value: timedelta) -> str:
    """A duration for tables, as targets are written: ``15 min``, ``4 h``, ``5 d``."""
    return format_target(Decimal(int(value.total_seconds())), Unit.SECONDS)


def format_money(amount: Decimal, currency: str) -> str:
    """An exact amount with its ISO currency: ``EUR 1,200.00``, ``EUR 34.9875``.

    At least two decimals are shown and none is ever rounded away: a credit of 12.5 % of
    279.99 is ``EUR 34.99875``, for billing to round by its own configured rule.
    """
    exponent = amount.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{currency} {amount:,.{places}f}"


def level_name(level: Level) -> str:
    """``corporate``, ``customer`` or ``service``."""
    return level.value


def target_text(objective: Objective) -> str:
    """The target with its unit: ``99.9 %``, ``4 h``."""
    return format_target(objective.target, objective.unit)


def bound_text(objective: Objective) -> str:
    """The comparator and target: ``at least 99.9 %``, ``at most 30 ms``."""
    return f"{comparator_words(objective.cmp)} {target_text(objective)}"


def service_time_text(
    calendar: Calendar | None, hours: str | None, default: str = "the time"
) -> str:
    """What availability is a share of: the service hours in words, or ``default`` (all the
    time, or ``its service hours`` when each service has its own calendar)."""
    if calendar is None or hours is None:
        return default
    if calendar.service_hours.always:
        return f"the time, {hours}"
    return f"the service hours, {hours}"


def weights_text(windows: Sequence[CriticalWindow]) -> str:
    """``downtime during Month-end close counts ten times and during Dispatch counts twice``."""
    parts = [f"during {w.title} counts {times_words(w.weight)}" for w in windows]
    return "downtime " + join_words(parts) if parts else ""


def objective_sentence(
    objective: Objective,
    subject: str,
    calendar: Calendar | None = None,
    hours: str | None = None,
    default_time: str = "the time",
) -> str:
    """The objective as one sentence, e.g. ``Internet Access is available 99.9 % of the service
    hours, Mon–Fri 08:00–18:00 (Europe/Paris), each calendar month.``

    ``subject`` names what is promised (a service name, or ``Each service``); ``calendar`` and
    ``hours`` (its service hours in words) are those the objective is measured against.
    """
    o = objective
    m = o.metric
    noun = METRICS[m].noun
    bound = bound_text(o)
    period = o.period.describe()
    pct = f"{plain_number(o.percentile)} %" if o.percentile is not None else None
    if m in (Metric.AVAILABILITY, Metric.WEIGHTED_AVAILABILITY):
        amount = target_text(o) if o.cmp is Comparator.GE else bound
        span = service_time_text(calendar, hours, default_time)
        text = f"{subject} is available {amount} of {span}, {period}"
        if m is Metric.WEIGHTED_AVAILABILITY:
            text += ", measured with experience weighting: " + _weighting(calendar)
        return text + "."
    if m in _MEAN_TIMES or m is Metric.NPS:
        return f"The {noun} is {bound} {period}."
    if m is Metric.INCIDENT_COUNT:
        kind = f"{o.severity} incident" if o.severity else "incident"
        count = o.target.normalize()
        words = {
            Comparator.GE: "at least",
            Comparator.GT: "more than",
            Comparator.LE: "at most",
            Comparator.LT: "fewer than",
        }[o.cmp]
        verb, plural = ("is", "") if count == 1 else ("are", "s")
        return f"There {verb} {words} {plain_number(count)} {kind}{plural} {period}."
    if m in (Metric.RESPONSE_TIME, Metric.RESOLUTION_TIME):
        incidents = f"{o.severity} incidents" if o.severity else "incidents"
        if pct is not None:
            verb = "acknowledged" if m is Metric.RESPONSE_TIME else "resolved"
            within = "within" if o.cmp is Comparator.LE else f"in {comparator_words(o.cmp)}"
            return f"{pct} of {incidents} are {verb} {within} {target_text(o)}, {period}."
        return f"The {noun} for {incidents} is {bound} {period}."
    if m in _MEASURED:
        if pct is not None:
            return f"{pct} of {noun} measurements are {bound} {period}."
        return f"The {noun} is {bound} {period}."
    if m is Metric.GOOD_RATIO:
        return f"{capitalize(bound)} of events are good {period}."
    if m is Metric.CONTROL_COMPLIANCE:
        if o.cmp is Comparator.GE and o.target == 100:
            return (
                f"Every policy control is attested as met {period} (control compliance of 100 %)."
            )
        return f"{capitalize(bound)} of the policy controls are attested as met {period}."
    return f"{capitalize(noun)} is {bound} {period}."


def _weighting(calendar: Calendar | None) -> str:
    if calendar is None or not calendar.critical:
        return (
            "each minute of downtime counts by the weight of the critical business window "
            "it falls in; no critical window is agreed, so every minute counts once"
        )
    return (
        "each minute of downtime counts by the weight of the critical business window it "
        f"falls in, so {weights_text(calendar.critical)}"
    )


def mef_sentence(objective: Objective) -> str | None:
    """MEF 10.3's parameters in words, for availability measured from a loss series."""
    m = objective.mef
    if m is None:
        return None
    step = duration_words(m.interval) if m.interval is not None else "the series' interval"
    return (
        f"Measured as MEF 10.3 availability from frame loss: time is cut into intervals of "
        f"{step}; an interval losing more than {format_target(m.loss_threshold, Unit.PERCENT)} "
        f"of its frames is high-loss; the service becomes unavailable after {m.consecutive} "
        f"high-loss intervals in a row and available again after {m.consecutive} others in a "
        "row; maintenance windows are left out."
    )


def budgeting_sentence(objective: Objective) -> str | None:
    """How the objective is counted, when it is not plain elapsed time."""
    o = objective
    if o.budgeting is Budgeting.EVENTS:
        if o.unit is Unit.PERCENT:
            return (
                "Counted over events: good events divided by all events of the whole "
                "period (a ratio of sums, so a busy hour weighs more than a quiet one)."
            )
        return (
            "Counted over events: every event of the whole period weighs the same (not an "
            "average of averages, so a busy hour weighs more than a quiet one)."
        )
    if o.budgeting is Budgeting.RATIO_TIMESLICES:
        assert o.timeslice is not None
        noun = METRICS[o.metric].noun
        return (
            f"Counted in slices of {duration_words(o.timeslice)}: the result is the average of "
            f"the slices' own {noun} (a quiet slice weighs as much as a busy one), over the "
            "slices where something was measured."
        )
    if o.budgeting is Budgeting.TIMESLICES:
        assert o.timeslice is not None
        noun = METRICS[o.metric].noun
        if o.timeslice_target is not None:
            good = (
                f"its own {noun} is {comparator_words(o.cmp)} "
                f"{format_target(o.timeslice_target, o.unit)}"
            )
        else:
            good = "it meets the target on its own"
        text = f"Counted in slices of {duration_words(o.timeslice)}: a slice is good when {good}"
        if o.unit is Unit.PERCENT:
            return text + f", and {bound_text(o)} of the slices in the period must be good."
        return text + "; the result is the share of good slices in the period."
    return None


def excluded_time_sentence(convention: ExcludedTime) -> str:
    """How planned maintenance counts in availability, in one sentence."""
    if convention is ExcludedTime.EXCLUDE:
        return (
            "Time inside a maintenance window is left out of the calculation: it counts "
            "neither as service time nor as downtime."
        )
    if convention is ExcludedTime.FORGIVE:
        return (
            "Downtime inside a maintenance window is forgiven: it does not count as "
            "downtime, but the window still counts as service time."
        )
    return (
        "Maintenance windows get no special treatment: downtime inside them counts like "
        "any other downtime."
    )


def excluded_time_formula(convention: ExcludedTime) -> str:
    """The availability formula of the convention."""
    if convention is ExcludedTime.EXCLUDE:
        return "Availability = (T − P − U) / (T − P)"
    if convention is ExcludedTime.FORGIVE:
        return "Availability = (T − U) / T"
    return "Availability = (T − D) / T"


def excluded_time_legend(convention: ExcludedTime) -> str:
    """What the letters of :func:`excluded_time_formula` stand for."""
    base = "T is the agreed service time of the period"
    if convention is ExcludedTime.NAIVE:
        return base + " and D all downtime in it, planned or not."
    if convention is ExcludedTime.FORGIVE:
        return base + " and U the downtime outside maintenance windows."
    return base + ", P the maintenance windows in it and U the downtime outside them."


def period_noun(kind: PeriodKind) -> str:
    """``month``, ``quarter`` … or ``window`` for a rolling period."""
    return "window" if kind is PeriodKind.ROLLING else kind.value


def period_charge(kind: PeriodKind) -> str:
    """``the monthly charge`` or ``the charge for the period``."""
    return "the monthly charge" if kind is PeriodKind.MONTH else "the charge for the period"
