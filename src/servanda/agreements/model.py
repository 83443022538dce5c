"""Agreement records: objectives, responsibilities, credit schedules, policy clauses, versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from servanda.agreements.metrics import METRICS, Metric, Unit, parse_metric, parse_target
from servanda.catalog.model import ID_PATTERN, Id, Identifier
from servanda.core.durations import Duration
from servanda.core.records import input_fields, record


class Level(StrEnum):
    """ITIL agreement levels, from the widest to the narrowest."""

    CORPORATE = "corporate"
    CUSTOMER = "customer"
    SERVICE = "service"


LEVEL_ORDER = (Level.CORPORATE, Level.CUSTOMER, Level.SERVICE)


class Comparator(StrEnum):
    """How the actual value is compared with the target."""

    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"

    def holds(self, actual: Decimal, target: Decimal) -> bool:
        """Whether ``actual`` meets ``target``."""
        if self is Comparator.GE:
            return actual >= target
        if self is Comparator.GT:
            return actual > target
        if self is Comparator.LE:
            return actual <= target
        return actual < target

    @property
    def higher_is_better(self) -> bool:
        """True for ``>=`` and ``>``."""
        return self in (Comparator.GE, Comparator.GT)


class PeriodKind(StrEnum):
    """The period an objective is evaluated over."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ROLLING = "rolling"


@record
class Period:
    """A calendar period (month by default) or a rolling window of ``length``.

    Calendar periods are aligned in the calendar's timezone and half-open. YAML accepts
    ``month``, ``week``, ``quarter``, ``year``, ``day``, ``rolling 28d`` or ``{rolling: 28d}``.
    """

    kind: PeriodKind = PeriodKind.MONTH
    """Which period."""
    length: Duration | None = None
    """Length of a rolling window."""

    @model_validator(mode="before")
    @classmethod
    def _sugar(cls, data: Any) -> Any:
        if isinstance(data, str):
            text = data.strip().lower()
            if text.startswith("rolling"):
                return {"kind": "rolling", "length": text.removeprefix("rolling").strip()}
            aliases = {
                "monthly": "month",
                "weekly": "week",
                "quarterly": "quarter",
                "yearly": "year",
                "annual": "year",
                "daily": "day",
                "calendar month": "month",
            }
            return {"kind": aliases.get(text, text)}
        fields = input_fields(data)
        if fields is not None and set(fields) == {"rolling"}:
            return {"kind": "rolling", "length": fields["rolling"]}
        return data

    @model_validator(mode="after")
    def _length(self) -> Period:
        if self.kind is PeriodKind.ROLLING:
            if self.length is None or self.length <= timedelta(0):
                raise ValueError("a rolling period needs a positive length, e.g. 'rolling 28d'")
        elif self.length is not None:
            raise ValueError(f"a {self.kind} period takes no length")
        return self

    @property
    def nominal_length(self) -> timedelta:
        """The length burn-rate factors and scaled windows are derived from: a rolling
        window's own, else 1, 7, 30, 90 or 365 days (Sloth's and Pyrra's SLO windows are
        written in days; a calendar month counts as 30)."""
        if self.kind is PeriodKind.ROLLING:
            assert self.length is not None
            return self.length
        days = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}[self.kind.value]
        return timedelta(days=days)

    def describe(self) -> str:
        """``each calendar month`` or ``over any rolling 28 days``."""
        if self.kind is PeriodKind.ROLLING:
            assert self.length is not None
            days = self.length / timedelta(days=1)
            span = f"{days:g} days" if days >= 1 else f"{self.length}"
            return f"over any rolling {span}"
        return f"each calendar {self.kind.value}"


@record
class BurnRateRule:
    """A multiwindow burn-rate warning: raised when the error ratio over the ``long`` window
    and over the ``short`` one both exceed ``factor`` times the ratio the target allows
    (Google SRE workbook), and have for ``hold`` (Prometheus' ``for:``).

    The factor is written, or derived as Sloth does from ``budget_consumed``: the share X of
    the period's budget the rule lets the long window consume, b = X / 100 × W / L for an
    SLO period W (:meth:`factor_over`, with W the period's
    :attr:`~Period.nominal_length`)."""

    long: Duration
    """The long window, e.g. 1h."""
    short: Duration
    """The short window (about long / 12), e.g. 5m: the warning stops soon after the burn."""
    factor: Decimal | None = Field(default=None, gt=0)
    """The burn rate that raises it, e.g. 14.4; None: derived from ``budget_consumed``."""
    budget_consumed: Decimal | None = None
    """The share of the period's budget (percent) consumed within the long window that
    raises it, e.g. 2 (%) in 1 h: 14.4 over 30 days, 13.44 over 28."""
    severity: str = "critical"
    """Severity of the event raised (``critical`` pages, ``warning`` makes a ticket)."""
    hold: Duration | None = None
    """``for:`` in YAML: raised only once the condition has held this long (on the one-minute
    evaluation grid); None: at once."""

    @model_validator(mode="before")
    @classmethod
    def _for(cls, raw: Any) -> Any:
        data = input_fields(raw)
        if data is None or "for" not in data:
            return raw
        data = dict(data)
        data["hold"] = data.pop("for")
        return data

    @field_validator("budget_consumed", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Any:
        return None if value is None else parse_target(value, Unit.PERCENT)

    @model_validator(mode="after")
    def _windows(self) -> BurnRateRule:
        if self.short <= timedelta(0) or self.long <= timedelta(0):
            raise ValueError("burn-rate windows must be positive")
        if self.short >= self.long:
            raise ValueError(f"the short window {self.short} is not shorter than {self.long}")
        if (self.factor is None) == (self.budget_consumed is None):
            raise ValueError("a burn-rate rule gives a factor or a budget_consumed, not both")
        if self.budget_consumed is not None and not 0 < self.budget_consumed <= 100:
            raise ValueError(f"budget_consumed is a percentage above 0, not {self.budget_consumed}")
        if self.hold is not None and self.hold < timedelta(0):
            raise ValueError("'for' cannot be negative")
        return self

    def factor_over(self, period: timedelta) -> Decimal:
        """The factor for an SLO period of length ``period`` (exact decimals)."""
        if self.factor is not None:
            return self.factor
        assert self.budget_consumed is not None
        us = timedelta(microseconds=1)
        return self.budget_consumed / 100 * Decimal(period // us) / Decimal(self.long // us)

    def resolved(self, period: timedelta) -> BurnRateRule:
        """This rule with its factor for ``period`` written in."""
        if self.factor is not None:
            return self
        return replace(self, factor=self.factor_over(period), budget_consumed=None)


DEFAULT_BURN_RATES: tuple[BurnRateRule, ...] = (
    BurnRateRule(
        long=timedelta(hours=1), short=timedelta(minutes=5), budget_consumed=Decimal(2)
    ),
    BurnRateRule(
        long=timedelta(hours=6), short=timedelta(minutes=30), budget_consumed=Decimal(5)
    ),
    BurnRateRule(
        long=timedelta(days=3), short=timedelta(hours=6), budget_consumed=Decimal(10),
        severity="warning",
    ),
)  # fmt: skip
"""The SRE workbook's tiers as shares of the budget: 2 % of it in 1 h and 5 % in 6 h page, 10 %
in 3 days makes a ticket; over 30 days the factors are the workbook's 14.4, 6 and 1."""


def _round_minute(value: timedelta) -> timedelta:
    """To the nearest minute, halves away from zero (Go's ``Duration.Round(time.Minute)``)."""
    minute = timedelta(minutes=1)
    whole, rest = divmod(value, minute)
    return (whole + (1 if rest * 2 >= minute else 0)) * minute


def scaled_burn_rates(window: timedelta) -> tuple[BurnRateRule, ...]:
    """Pyrra's four rules, their windows and ``for`` scaled to the SLO ``window`` (a 28-day
    window gives 1 h / 5 m for 2 m at 14, 6 h / 30 m for 15 m at 7 (critical), 1 d / 2 h for
    1 h at 2 and 4 d / 6 h for 3 h at 1 (warning)); each length rounded to the minute."""

    def part(n: int) -> timedelta:
        return _round_minute(window / n)

    day = 28 * 24
    return (
        BurnRateRule(long=part(day), short=part(day * 12), factor=Decimal(14),
                     hold=part(day * 30)),
        BurnRateRule(long=part(28 * 4), short=part(day * 2), factor=Decimal(7),
                     hold=part(day * 4)),
        BurnRateRule(long=part(28), short=part(28 * 12), factor=Decimal(2), hold=part(day),
                     severity="warning"),
        BurnRateRule(long=part(7), short=part(28 * 4), factor=Decimal(1), hold=part(28 * 8),
                     severity="warning"),
    )  # fmt: skip


class BurnWindows(StrEnum):
    """Which burn-rate rules an objective gets when it writes none."""

    WORKBOOK = "workbook"
    """:data:`DEFAULT_BURN_RATES`: fixed windows, factors from the shares of the budget."""
    SCALED = "scaled"
    """Pyrra's: four rules whose windows scale with the period (:func:`scaled_burn_rates`)."""


@record
class MefParameters:
    """MEF 10.3 availability of a loss series: an interval Δt is high-loss when its frame loss
    ratio exceeds C; the service turns unavailable after n consecutive high-loss intervals and
    available again after n consecutive others (see :mod:`servanda.measure.mef`)."""

    loss_threshold: Decimal = Decimal(50)
    """C, in percent of the frames sent in Δt (``50%`` by default; MEF 10.3 leaves it to the
    agreement)."""
    consecutive: int = Field(default=10, ge=1, le=10_000)
    """n: consecutive intervals that change the state (10 by default)."""
    interval: Duration | None = None
    """Δt (the series' own interval when absent, else one minute)."""

    @field_validator("loss_threshold", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        return parse_target(value, Unit.PERCENT)

    @model_validator(mode="after")
    def _sane(self) -> MefParameters:
        if not Decimal(0) <= self.loss_threshold < Decimal(100):
            raise ValueError(
                f"the loss threshold C is a percentage below 100, not {self.loss_threshold}"
            )
        if self.interval is not None and self.interval <= timedelta(0):
            raise ValueError("the interval Δt must be positive")
        return self


class Budgeting(StrEnum):
    """How compliance and the error budget are counted."""

    TIME = "time"
    """Good time over agreed time (availability-style)."""
    EVENTS = "events"
    """Σgood / Σtotal events over the period (a ratio of sums)."""
    TIMESLICES = "timeslices"
    """Good slices / all slices; a slice is good when it meets ``timeslice_target``."""
    RATIO_TIMESLICES = "ratio_timeslices"
    """OpenSLO's RatioTimeslices: the mean of the slices' own ratios (a quiet slice weighs as
    much as a busy one)."""

    @property
    def sliced(self) -> bool:
        """Whether the period is cut into slices of ``timeslice``."""
        return self in (Budgeting.TIMESLICES, Budgeting.RATIO_TIMESLICES)


@record
class Objective:
    """A service level objective: metric, comparator, target, period, budgeting."""

    metric: Metric
    """What is measured."""
    target: Decimal
    """The agreed value, in the metric's unit (see :mod:`servanda.agreements.metrics`)."""
    id: str = Field(default="", pattern=r"^$|" + ID_PATTERN[1:])
    """Key used to inherit and override; defaults to the metric (``latency-p95`` with a
    percentile)."""
    comparator: Comparator | None = None
    """Defaults to ``>=`` when higher is better, ``<=`` otherwise."""
    period: Period = Period()
    """Evaluation period, a calendar month by default."""
    budgeting: Budgeting = Budgeting.TIME
    """Time-based, event-based or time-sliced."""
    percentile: Decimal | None = Field(default=None, gt=0, lt=100)
    """For latency, delay and jitter: which percentile the target bounds."""
    timeslice: Duration | None = None
    """Slice length for time-sliced budgeting."""
    timeslice_target: Decimal | None = None
    """A slice is good when its own value meets this (same unit as the target)."""
    series: str | None = None
    """The measurement series the metric is computed from, when not the default one."""
    severity: str | None = None
    """For response and resolution time: the incident severity this target is for."""
    calendar: Identifier | None = None
    """A calendar for this objective alone, instead of the agreement's."""
    description: str | None = None
    """A sentence added to the document."""
    override: bool = False
    """True when this objective deliberately loosens the one it inherits."""
    burn_rates: tuple[BurnRateRule, ...] | None = None
    """Burn-rate warnings for this objective; None: those of ``burn_windows``; ``[]``: none."""
    burn_windows: BurnWindows = BurnWindows.WORKBOOK
    """The rules when ``burn_rates`` gives none: the workbook's or Pyrra's scaled ones."""
    mef: MefParameters | None = None
    """Availability from a loss series (MEF 10.3): C, n and Δt; None: the defaults."""
    min_traffic: int | None = Field(default=None, ge=0)
    """Burn-rate guard: no warning while the long window holds fewer events than this (event
    budgeting) or fewer agreed minutes (time budgeting). None: 100 events, or for time
    budgeting 100 agreed minutes or half the long window, whichever is shorter (so the 1 h rule
    can fire)."""

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> Any:
        data = input_fields(raw)
        if data is None or "metric" not in data:
            return raw
        try:
            metric = parse_metric(data["metric"])
        except ValueError:
            return data  # the field validator reports it
        data["metric"] = metric
        if "target" in data:
            slice_target = data.get("timeslice_target")
            try:
                data["target"] = parse_target(data["target"], METRICS[metric].unit)
                if slice_target is not None:
                    data["timeslice_target"] = parse_target(slice_target, METRICS[metric].unit)
            except ValueError:
                pass  # left as written; ``_target`` reports why, at the target's location
        if not data.get("id"):
            pct = data.get("percentile")
            data["id"] = metric.value.replace("_", "-") + (f"-p{pct}" if pct is not None else "")
        if data.get("comparator") is None:
            data["comparator"] = ">=" if METRICS[metric].better == "higher" else "<="
        return data

    @field_validator("metric", mode="before")
    @classmethod
    def _metric(cls, value: Any) -> Metric:
        return parse_metric(value)

    @field_validator("target", "timeslice_target", mode="before")
    @classmethod
    def _target(cls, value: Any, info: ValidationInfo) -> Any:
        """Say why a target ``_parse`` could not read is wrong (a unit that does not fit the
        metric, a decimal comma …); with an unknown metric, accept any unit so the metric's
        own problem is the only one reported."""
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, str):
            try:
                number = Decimal(value.strip())  # a plain number, in the canonical unit
            except InvalidOperation:
                pass
            else:
                if number.is_finite():
                    return number
        metric = info.data.get("metric")
        if isinstance(metric, Metric):
            return parse_target(value, METRICS[metric].unit)
        for unit in Unit:
            try:
                return parse_target(value, unit)
            except ValueError:
                continue
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Objective:
        unit = METRICS[self.metric].unit
        if unit is Unit.PERCENT and not Decimal(0) <= self.target <= Decimal(100):
            raise ValueError(f"a percentage target must be between 0 and 100, not {self.target}")
        if self.target < 0 and self.metric is not Metric.NPS:
            raise ValueError(f"a {self.metric} target cannot be negative")
        if self.budgeting.sliced and self.timeslice is None:
            raise ValueError("time-sliced budgeting needs a timeslice length, e.g. 'timeslice: 5m'")
        if self.percentile is not None and self.metric not in (
            Metric.LATENCY,
            Metric.ONE_WAY_DELAY,
            Metric.JITTER,
            Metric.THROUGHPUT,
            Metric.RESPONSE_TIME,
            Metric.RESOLUTION_TIME,
        ):
            raise ValueError(f"a percentile does not apply to {self.metric}")
        return self

    @property
    def unit(self) -> Unit:
        """The unit of ``target``."""
        return METRICS[self.metric].unit

    @property
    def cmp(self) -> Comparator:
        """The comparator, with its default filled in."""
        assert self.comparator is not None
        return self.comparator

    def burn_rules(self) -> tuple[BurnRateRule, ...]:
        """The objective's burn-rate rules with their factors for its period."""
        length = self.period.nominal_length
        if self.burn_rates is not None:
            return tuple(r.resolved(length) for r in self.burn_rates)
        if self.burn_windows is BurnWindows.SCALED:
            return scaled_burn_rates(length)
        return tuple(r.resolved(length) for r in DEFAULT_BURN_RATES)

    def is_tighter_or_equal(self, other: Objective) -> bool:
        """Whether this objective is at least as demanding as ``other`` (same metric)."""
        if self.cmp.higher_is_better != other.cmp.higher_is_better:
            return False
        if self.cmp.higher_is_better:
            return self.target >= other.target
        return self.target <= other.target


class Actor(StrEnum):
    """Who does something under an agreement, when not a named party."""

    PROVIDER = "provider"
    CUSTOMER = "customer"
    BOTH = "both"


@record
class SeverityTarget:
    """Response and resolution targets for incidents of one severity."""

    severity: str
    """critical, major, minor … as the event sources name them."""
    response: Duration
    """Time from detection to acknowledgement."""
    resolution: Duration
    """Time from detection to restored service."""
    description: str | None = None
    """What the severity means, for the document."""
    override: bool = False
    """True when these targets deliberately loosen the ones inherited for this severity."""

    @model_validator(mode="after")
    def _order(self) -> SeverityTarget:
        if self.resolution < self.response:
            raise ValueError(
                f"resolution target {self.resolution} is shorter than response {self.response}"
            )
        return self


@record
class Responsibilities:
    """Who does what. ``None`` means: inherited from the level above."""

    fault_reporting: str | None = None
    """Who reports faults: provider, customer, both, or a party id."""
    validates_correction: str | None = None
    """Who validates a correction before the incident is closed."""
    pays_credits: str | None = None
    """Who pays service credits (usually the provider)."""
    severities: tuple[SeverityTarget, ...] = ()
    """Response and resolution targets per severity."""

    @model_validator(mode="after")
    def _unique(self) -> Responsibilities:
        names = [s.severity for s in self.severities]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"severity listed twice: {', '.join(dupes)}")
        return self


class ClaimMode(StrEnum):
    """Whether credits are granted automatically or must be claimed."""

    AUTOMATIC = "automatic"
    ON_CLAIM = "on_claim"


@record
class CreditTier:
    """When the actual is below ``below``, the customer is credited ``credit`` percent."""

    below: Decimal
    """Threshold in the objective's unit (e.g. 99.9 for availability)."""
    credit: Annotated[Decimal, Field(ge=0, le=100)]
    """Percent of the period's charge."""

    @field_validator("below", "credit", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return value.strip()[:-1].strip()
        if isinstance(value, float):
            return repr(value)
        return value


@record
class CreditSchedule:
    """Service credits owed when an objective is missed."""

    tiers: Annotated[tuple[CreditTier, ...], Field(min_length=1)]
    """Tiers; the one with the lowest threshold the actual falls below applies."""
    objective: str = "availability"
    """Id of the objective whose actual selects the tier."""
    cap: Decimal = Field(default=Decimal(100), ge=0, le=100)
    """Most a customer can be credited in one period, percent of its charge."""
    claim: ClaimMode = ClaimMode.AUTOMATIC
    """Automatic, or only when the customer claims."""
    claim_within: Duration | None = None
    """How long after the period a claim may be made."""
    minimum_amount: Decimal = Field(default=Decimal(0), ge=0)
    """A credit whose amount comes below this (in the charge's currency) is not granted, as
    published schedules say (e.g. "credits under 10.00 are not issued"); 0: every credit."""

    @field_validator("cap", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return value.strip()[:-1].strip()
        if isinstance(value, float):
            return repr(value)
        return value

    @model_validator(mode="after")
    def _monotonic(self) -> CreditSchedule:
        ordered = sorted(self.tiers, key=lambda t: t.below, reverse=True)
        for upper, lower in pairwise(ordered):
            if upper.below == lower.below:
                raise ValueError(f"two tiers start below {upper.below}")
            if lower.credit < upper.credit:
                raise ValueError(
                    f"tier below {lower.below} credits {lower.credit} %, less than the "
                    f"{upper.credit} % of the milder tier below {upper.below}"
                )
        return self

    def tier_for(self, actual: Decimal) -> CreditTier | None:
        """The tier ``actual`` falls in, or None when no credit is due."""
        hits = [t for t in self.tiers if actual < t.below]
        return min(hits, key=lambda t: t.below) if hits else None

    def credit_percent(self, actual: Decimal) -> Decimal:
        """Percent of the charge credited for ``actual``, capped."""
        tier = self.tier_for(actual)
        return min(tier.credit, self.cap) if tier else Decimal(0)


@record
class Control:
    """A measurable control of a policy clause, attested periodically."""

    id: Id
    """Stable id, named by attestations."""
    text: str
    """What must be true."""
    evidence: str | None = None
    """What proves it."""
    frequency: Period = Period()
    """How often it is attested."""


@record
class PolicyClause:
    """A clause of corporate policy: text, with optional measurable controls."""

    id: Id
    """Stable id."""
    title: str
    """Heading in the document."""
    text: str
    """The clause as agreed."""
    controls: tuple[Control, ...] = ()
    """Measurable controls whose attestations feed a control-compliance objective."""


class ExcludedTime(StrEnum):
    """How planned maintenance is treated in availability (see docs/metrics.md)."""

    EXCLUDE = "exclude"
    """Removed from numerator and denominator: (T − P − U) / (T − P)."""
    FORGIVE = "forgive"
    """Downtime inside the window forgiven, denominator kept: (T − U) / T."""
    NAIVE = "naive"
    """Counted like any downtime: (T − all downtime) / T."""


@record
class Agreement:
    """One version of an agreement at one level."""

    id: Id
    """Stable id shared by all versions."""
    level: Level
    """corporate, customer or service."""
    provider: Identifier
    """The provider party."""
    effective_from: date
    """First day (in the calendar's timezone) this version applies."""
    customer: Identifier | None = None
    """The customer, for customer and service levels."""
    service: Identifier | None = None
    """The service, for the service level."""
    title: str | None = None
    """Document title."""
    effective_to: date | None = None
    """Day after the last day, when the agreement ends."""
    calendar: Identifier | None = None
    """The calendar of agreed service time; inherited when absent."""
    excluded_time: ExcludedTime | None = None
    """Availability convention for planned maintenance; inherited, ``exclude`` by default."""
    objectives: tuple[Objective, ...] = ()
    """Objectives; a lower level replaces an inherited one with the same id."""
    responsibilities: Responsibilities = Responsibilities()
    """Who reports, validates, pays; response and resolution targets."""
    credits: CreditSchedule | None = None
    """Service credit schedule; inherited when absent."""
    policies: tuple[PolicyClause, ...] = ()
    """Policy clauses (usually corporate)."""
    description: str | None = None
    """An introductory paragraph for the document."""

    @model_validator(mode="after")
    def _scope(self) -> Agreement:
        if self.level is Level.CORPORATE and (self.customer or self.service):
            raise ValueError("a corporate agreement names neither customer nor service")
        if self.level is Level.CUSTOMER and (not self.customer or self.service):
            raise ValueError("a customer agreement names a customer and no service")
        if self.level is Level.SERVICE and not (self.customer and self.service):
            raise ValueError("a service agreement names a customer and a service")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to} is not after effective_from "
                f"{self.effective_from}"
            )
        ids = [o.id for o in self.objectives]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"objective id used twice: {', '.join(dupes)}")
        return self

    @property
    def key(self) -> tuple[str, date]:
        """(id, effective_from): one version."""
        return (self.id, self.effective_from)

    def in_force(self, day: date) -> bool:
        """Whether this version's dates cover ``day`` (ignoring later versions)."""
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)
