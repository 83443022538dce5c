"""The effective agreement of a customer (and service): levels merged, each term with its source.

Corporate terms apply to every customer of the provider; a customer agreement applies to all the
customer's services; a service agreement to one service. A lower level inherits every term it
does not state, and replaces the terms it does: objectives by id, severity targets by severity,
policy clauses by id, the credit schedule and each responsibility as a whole. Every term of the
result says which level, agreement and version it came from, and what it replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Generic, TypeVar

from servanda.agreements.model import (
    LEVEL_ORDER,
    Agreement,
    CreditSchedule,
    ExcludedTime,
    Level,
    Objective,
    PolicyClause,
    SeverityTarget,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Source:
    """The agreement version a term comes from."""

    level: Level
    agreement: str
    effective_from: date

    @classmethod
    def of(cls, agreement: Agreement) -> Source:
        """The source for a term stated by ``agreement``."""
        return cls(agreement.level, agreement.id, agreement.effective_from)

    def __str__(self) -> str:
        return f"{self.level} agreement {self.agreement} (from {self.effective_from})"


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """A term and where it came from; ``replaces`` is the inherited term it overrode."""

    value: T
    source: Source | None
    """None for a built-in default."""
    replaces: Sourced[T] | None = None

    @property
    def level(self) -> Level | None:
        """The level the term came from."""
        return self.source.level if self.source else None


@dataclass(frozen=True, slots=True)
class EffectiveAgreement:
    """What applies to one customer (and service) on one day."""

    provider: str
    customer: str
    service: str | None
    on: date
    chain: tuple[Agreement, ...]
    """The versions merged, widest level first."""
    calendar: Sourced[str] | None
    excluded_time: Sourced[ExcludedTime]
    objectives: tuple[Sourced[Objective], ...]
    fault_reporting: Sourced[str] | None
    validates_correction: Sourced[str] | None
    pays_credits: Sourced[str] | None
    severities: tuple[Sourced[SeverityTarget], ...]
    credits: Sourced[CreditSchedule] | None
    policies: tuple[Sourced[PolicyClause], ...]

    def objective(self, objective_id: str) -> Objective | None:
        """The effective objective with this id."""
        for o in self.objectives:
            if o.value.id == objective_id:
                return o.value
        return None

    def calendar_of(self, objective: Objective) -> str | None:
        """The calendar an objective is measured against."""
        if objective.calendar:
            return objective.calendar
        return self.calendar.value if self.calendar else None

    def loosened(self) -> list[Sourced[Objective]]:
        """Objectives that loosen what they inherit without saying ``override: true``."""
        out = []
        for o in self.objectives:
            old = o.replaces
            if (
                old is not None
                and not o.value.override
                and not o.value.is_tighter_or_equal(old.value)
            ):
                out.append(o)
        return out

    def loosened_severities(self) -> list[Sourced[SeverityTarget]]:
        """Severity targets that allow more time than they inherit without ``override: true``."""
        return [
            s
            for s in self.severities
            if s.replaces is not None
            and not s.value.override
            and _looser_severity(s.value, s.replaces.value)
        ]


def _looser_severity(new: SeverityTarget, old: SeverityTarget) -> bool:
    return new.response > old.response or new.resolution > old.resolution


def _keyed(merged: dict[str, Sourced[T]], key: str, value: T, source: Source) -> None:
    merged[key] = Sourced(value, source, merged.get(key))


def merge(
    chain: tuple[Agreement, ...], customer: str, service: str | None, on: date
) -> EffectiveAgreement:
    """Merge agreement versions, widest level first, into the effective agreement."""
    chain = tuple(sorted(chain, key=lambda a: LEVEL_ORDER.index(a.level)))
    provider = chain[0].provider if chain else ""
    calendar: Sourced[str] | None = None
    excluded: Sourced[ExcludedTime] = Sourced(ExcludedTime.EXCLUDE, None)
    objectives: dict[str, Sourced[Objective]] = {}
    severities: dict[str, Sourced[SeverityTarget]] = {}
    policies: dict[str, Sourced[PolicyClause]] = {}
    roles: dict[str, Sourced[str] | None] = {
        "fault_reporting": None,
        "validates_correction": None,
        "pays_credits": None,
    }
    credits: Sourced[CreditSchedule] | None = None
    for a in chain:
        src = Source.of(a)
        if a.calendar:
            calendar = Sourced(a.calendar, src, calendar)
        if a.excluded_time:
            excluded = Sourced(a.excluded_time, src, excluded)
        for o in a.objectives:
            _keyed(objectives, o.id, o, src)
        for s in a.responsibilities.severities:
            _keyed(severities, s.severity, s, src)
        for p in a.policies:
            _keyed(policies, p.id, p, src)
        for name in roles:
            value = getattr(a.responsibilities, name)
            if value is not None:
                roles[name] = Sourced(value, src, roles[name])
        if a.credits is not None:
            credits = Sourced(a.credits, src, credits)
    return EffectiveAgreement(
        provider=provider,
        customer=customer,
        service=service,
        on=on,
        chain=chain,
        calendar=calendar,
        excluded_time=excluded,
        objectives=tuple(objectives.values()),
        fault_reporting=roles["fault_reporting"],
        validates_correction=roles["validates_correction"],
        pays_credits=roles["pays_credits"],
        severities=tuple(severities.values()),
        credits=credits,
        policies=tuple(policies.values()),
    )


class AmbiguousAgreement(ValueError):
    """Two different agreements are in force at the same level and scope."""

    def __init__(self, message: str, agreements: Sequence[Agreement]) -> None:
        super().__init__(message)
        self.agreements = tuple(agreements)


def in_force(agreements: Iterable[Agreement], on: date) -> list[Agreement]:
    """For each agreement id, the version in force on ``on`` (latest ``effective_from``)."""
    latest: dict[str, Agreement] = {}
    for a in agreements:
        if a.effective_from <= on:
            seen = latest.get(a.id)
            if seen is None or a.effective_from > seen.effective_from:
                latest[a.id] = a
    return sorted((a for a in latest.values() if a.in_force(on)), key=lambda a: a.id)


def select_chain(
    agreements: Iterable[Agreement],
    provider: str,
    customer: str,
    service: str | None,
    on: date,
) -> tuple[Agreement, ...]:
    """The versions that apply to (customer, service) of ``provider`` on ``on``, widest first.

    Raises :class:`AmbiguousAgreement` when two agreements compete for one level.
    """
    scopes = {
        Level.CORPORATE: (None, None),
        Level.CUSTOMER: (customer, None),
        Level.SERVICE: (customer, service),
    }
    current = in_force((a for a in agreements if a.provider == provider), on)
    chain: list[Agreement] = []
    for level in LEVEL_ORDER:
        if level is Level.SERVICE and service is None:
            continue
        found = [
            a for a in current if a.level is level and (a.customer, a.service) == scopes[level]
        ]
        if len(found) > 1:
            names = ", ".join(a.id for a in found)
            raise AmbiguousAgreement(
                f"{len(found)} {level} agreements are in force on {on} for the same scope: {names}",
                found,
            )
        chain.extend(found)
    return tuple(chain)


def effective_agreement(
    agreements: Iterable[Agreement],
    provider: str,
    customer: str,
    service: str | None,
    on: date,
) -> EffectiveAgreement:
    """Select the applicable versions and merge them."""
    chain = select_chain(agreements, provider, customer, service, on)
    eff = merge(chain, customer, service, on)
    return eff if eff.provider else replace(eff, provider=provider)


def change_dates(
    agreements: Iterable[Agreement],
    provider: str,
    customer: str,
    service: str | None,
    start: date,
    end: date,
) -> list[date]:
    """Days in ``[start, end)`` on which the effective agreement may change (new versions,
    ends); measurement splits a period there, so a mid-month change applies from its date."""
    days: set[date] = set()
    for a in agreements:
        if a.provider != provider or a.customer not in (None, customer):
            continue
        if a.service not in (None, service):
            continue
        for d in (a.effective_from, a.effective_to):
            if d is not None and start < d < end:
                days.add(d)
    return sorted(days)
