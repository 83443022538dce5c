"""What evaluation produces: per-objective results with the numerator and denominator they come
from, error budgets, breaches, and service credits.

A result keeps ``numerator`` and ``denominator`` (agreed seconds up and agreed seconds, good and
total events, good and all slices …) and its ``actual`` is computed from them, never stored
alone: roll-ups add numerators and denominators, they never average ratios.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import ClaimMode, Comparator
from servanda.core.money import Money
from servanda.core.records import record


class Verdict(StrEnum):
    """How an objective fared over a period."""

    MET = "met"
    BREACHED = "breached"
    NO_DATA = "no_data"
    """Nothing to measure (no agreed time, no measurement, no incident for a mean)."""


@record
class Budget:
    """An error budget over one period.

    ``allowed`` is what the target lets fail — ``(1 − SLO) × denominator`` — in the objective's
    budget unit; ``consumed`` is what failed; ``remaining = allowed − consumed`` is how much more
    may fail from now and still meet the target (negative once exhausted). ``burn_rate`` is the
    observed error ratio over the target's: 1 spends the budget exactly by the end of the period.
    """

    unit: str
    """``seconds`` (time budgeting), ``events`` or ``slices``."""
    allowed: Decimal
    consumed: Decimal
    remaining: Decimal
    remaining_share: Decimal | None
    """``remaining / allowed`` (None when nothing is allowed)."""
    burn_rate: Decimal | None
    """Observed error ratio / (1 − SLO) (None when the SLO is 100 %)."""
    left_in_period: Decimal | None = None
    """Zabbix's convention beside Servanda's ``remaining``: what may still fail while the
    objective holds, capped by what the period still has to come (scheduled seconds, slices,
    expected events): ``min(remaining, whole − elapsed)``. None when what is to come is not
    known (events without an expected volume)."""


@record
class Breach:
    """Why an objective was missed: the incident or interval that cost it."""

    objective: str
    """The objective's id."""
    detail: str
    """In plain words, e.g. ``internet down 2 h 10 min (inc-…), 41 % of the budget``."""
    start: datetime | None = None
    end: datetime | None = None
    incidents: tuple[str, ...] = ()
    """Incidents behind it."""


@record
class ObjectiveResult:
    """One objective over one period."""

    objective: str
    """The objective's id."""
    metric: Metric
    target: Decimal
    comparator: Comparator
    unit: Unit
    verdict: Verdict
    actual: Decimal | None = None
    """In ``unit``; None without data."""
    numerator: Decimal | None = None
    """What ``actual`` is computed from (see the module documentation)."""
    denominator: Decimal | None = None
    convention: str | None = None
    """How it was computed, for the report: ``exclude: (T − P − U) / (T − P)``, ``MTRS = total
    downtime / failures``, ``RFC 3550 jitter, floating point`` …"""
    budget: Budget | None = None
    breaches: tuple[Breach, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()
    """Further figures as (label, value) text, e.g. (``planned downtime``, ``2 h``)."""
    source: str | None = None
    """The agreement (id) the objective comes from."""


@record
class Credit:
    """A service credit earned by a customer for one period."""

    customer: str
    service: str | None
    """The service whose charge is credited; None: the customer's whole charge."""
    period_start: datetime
    period_end: datetime
    objective: str
    """The objective the schedule follows."""
    actual: Decimal
    target: Decimal
    """The objective's target (a tier may start above it)."""
    tier_below: Decimal
    """The tier reached: ``actual`` is below this."""
    percent: Decimal
    """Credit, percent of the charge (after the cap)."""
    reason: str
    """In plain words."""
    claim: ClaimMode = ClaimMode.AUTOMATIC
    claim_by: datetime | None = None
    """When it must be claimed by (``on_claim`` schedules)."""
    charge: Decimal | None = None
    """The period's charge it applies to, when known."""
    amount: Decimal | None = None
    """``charge × percent / 100``, rounded half-up to the currency's minor unit by
    :data:`~servanda.measure.credits.LINE_ROUNDING` (core.money), when the charge is known."""
    currency: str | None = None

    @property
    def money(self) -> Money | None:
        """The credit as money (what an invoice line takes), when its amount is known."""
        if self.amount is None or self.currency is None:
            return None
        return Money(self.amount, self.currency)
