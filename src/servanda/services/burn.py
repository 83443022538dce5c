"""Burn-rate warnings raised as events: for every availability objective of every customer's
service, the multiwindow, multi-burn-rate rules of the objective (the SRE workbook's by
default) are evaluated over the recent past, and each warning becomes an event that event
management de-duplicates, correlates and runs through its lifecycle like any other alert.

Time budgeting: the error ratio of a window is its downtime in agreed time over its agreed
time, from one-minute buckets (the agreed time of a bucket is its service time minus
maintenance windows and, under the ``exclude`` convention, planned outages; downtime is
counted exactly as availability counts it, partial outages by their fraction). The events
come from source ``servanda-slo`` and never take a node down themselves (see
:data:`servanda.events.correlate.OBSERVING_SOURCES`): they warn about downtime already
counted, so they must not add to it.

Run it every few minutes (the server's ``burn-check`` job does, or ``servanda sla burn``, or
``POST /api/v1/sla/burn-check``); the events are idempotent, so running it twice raises
nothing twice. Firing warnings are also queued as ``burn_rate.warning`` notifications, once
each (docs/notifications.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.agreements.effective import (
    AmbiguousAgreement,
    EffectiveAgreement,
    effective_agreement,
)
from servanda.agreements.metrics import Metric
from servanda.agreements.model import Budgeting, ExcludedTime, Objective
from servanda.core.access import Action, Principal
from servanda.core.intervals import I64, from_us, to_us
from servanda.core.problems import Forbidden, NotFound
from servanda.declared.bundle import Bundle
from servanda.documents.prometheus import RuleGroup, rule_groups
from servanda.events.model import Event
from servanda.events.outages import Outage
from servanda.measure import availability as av
from servanda.measure.burn import burn_events, burn_warnings
from servanda.measure.objectives import ALWAYS, Evidence, Window, measure_objective
from servanda.measure.periods import periods_between
from servanda.services import notices
from servanda.services.events import EventEngine, IngestResult
from servanda.services.sla import customer_timezone, customer_week_start, stored_outages
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository

BUCKET = timedelta(minutes=1)
"""The resolution of the error-ratio series."""


@dataclass(frozen=True, slots=True)
class BurnCheck:
    """What one check found and did."""

    objectives: int
    """Availability objectives looked at."""
    events: tuple[Event, ...]
    """The warning events (firing and, once cleared, resolved)."""
    ingested: IngestResult | None
    """What event management did with them (None when there were none)."""
    notified: int = 0
    """``burn_rate.warning`` notifications queued (new firing warnings under the rules)."""


def check_burn_rates(
    engine: Engine, events: EventEngine, principal: Principal, now: datetime
) -> BurnCheck:
    """Evaluate every availability objective's burn-rate rules over the complete one-minute
    buckets before ``now`` and send the warnings to event management."""
    principal.require(Action.INGEST_EVENTS)
    found: list[Event] = []
    count = 0
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        for sub in bundle.subscriptions:
            svc = bundle.service_by_id.get(sub.service)
            if svc is None:
                continue
            try:
                eff = effective_agreement(
                    bundle.agreements, svc.provider, sub.customer, svc.id, now.date()
                )
            except AmbiguousAgreement:
                continue
            objectives = [
                o.value
                for o in eff.objectives
                if o.value.metric in (Metric.AVAILABILITY, Metric.WEIGHTED_AVAILABILITY)
                and o.value.budgeting is Budgeting.TIME
                and o.value.series is None
            ]
            if not objectives:
                continue
            rules_needed = [r for o in objectives for r in o.burn_rules()]
            if not rules_needed:
                continue
            end = _grid_floor(now)
            start = end - _whole_buckets(max(r.long for r in rules_needed) + BUCKET)
            outages = [
                o for o in stored_outages(session, sub.customer, start, end) if o.service == svc.id
            ]
            for objective in objectives:
                count += 1
                name = eff.calendar_of(objective)
                cal = bundle.calendar_by_id.get(name) if name else None
                schedule = av.expand_schedule(cal or ALWAYS, start, end, svc.id)
                starts, bad, total = _buckets(
                    schedule, outages, start, end, eff.excluded_time.value
                )
                warnings = burn_warnings(
                    starts,
                    bad,
                    total,
                    starts + int(BUCKET / timedelta(microseconds=1)),
                    objective.target,
                    objective.burn_rules(),
                    min_traffic=objective.min_traffic,
                )
                source = next(
                    (
                        o.source.agreement
                        for o in eff.objectives
                        if o.value.id == objective.id and o.source is not None
                    ),
                    eff.chain[-1].id if eff.chain else "",
                )
                left = (
                    _budget_left(session, bundle, eff, sub.customer, svc.id, objective, now)
                    if warnings
                    else None
                )
                found.extend(
                    burn_events(
                        warnings,
                        agreement=source,
                        objective=objective.id,
                        customer=sub.customer,
                        service=svc.id,
                        remaining=left,
                        target_percent=objective.target,
                    )
                )
    ingested = events.ingest(principal, found, now) if found else None
    queued = 0
    if found:  # once each: a warning still firing has the same key as when it was raised
        with transaction(engine) as session:
            queued = notices.queue(session, notices.burn_warnings(found), now)
    return BurnCheck(count, tuple(found), ingested, queued)


def _budget_left(
    session: Session,
    bundle: Bundle,
    eff: EffectiveAgreement,
    customer: str,
    service: str,
    objective: Objective,
    now: datetime,
) -> Decimal | None:
    """The error budget left in the objective's current period (seconds of downtime), as its
    evaluation says, for the time to exhaustion of a warning."""
    zone = customer_timezone(bundle, customer, now.date())
    (period,) = periods_between(
        objective.period.kind, now, now + timedelta(microseconds=1), zone, objective.period.length,
        week_start=customer_week_start(bundle, customer, now.date()),
    )  # fmt: skip
    outages = tuple(
        o for o in stored_outages(session, customer, period.start, period.end)
        if o.service == service
    )  # fmt: skip
    window = Window(bundle, eff, customer, service, period.start, period.end, now, outages,
                    Evidence(outages=outages))  # fmt: skip
    budget = measure_objective(objective, window).budget
    return None if budget is None else budget.remaining


def _grid_floor(moment: datetime) -> datetime:
    """The last bucket boundary at or before ``moment``: buckets are aligned on whole minutes
    since the epoch, so a check repeated a few seconds later evaluates the same instants and
    raises the same events (which event management then recognises)."""
    step = BUCKET // timedelta(microseconds=1)
    return from_us(to_us(moment) // step * step)


def _whole_buckets(span: timedelta) -> timedelta:
    """``span`` rounded up to whole buckets."""
    return -(-span // BUCKET) * BUCKET


def _buckets(
    schedule: av.Schedule,
    outages: list[Outage],
    start: datetime,
    end: datetime,
    convention: ExcludedTime = ExcludedTime.EXCLUDE,
) -> tuple[I64, I64, I64]:
    """Per one-minute bucket of ``[start, end)``: its start, its downtime and its agreed time
    in microseconds, counted exactly as availability counts them under ``convention`` (each
    bucket is a slice of :func:`~servanda.measure.availability.per_slice`: partial outages by
    their fraction, planned ones as excluded time)."""
    step = int(BUCKET / timedelta(microseconds=1))
    lo, hi = to_us(start), to_us(end)
    edges = np.arange(lo, hi + 1, step, dtype=np.int64)
    if edges[-1] != hi:
        edges = np.append(edges, hi)
    columns = av.OutageColumns.from_arrays(
        np.zeros(len(outages), dtype=np.int64),
        [max(to_us(o.start), lo) for o in outages],
        [max(max(to_us(o.start), lo), hi if o.end is None else min(to_us(o.end), hi))
         for o in outages],
        [o.fraction for o in outages],
        [o.planned for o in outages],
    )  # fmt: skip
    up, due = av.per_slice(columns, schedule, edges[:-1], edges[1:], convention)
    return edges[:-1], due - up, due


def prometheus_rules(
    engine: Engine, principal: Principal, agreement: str | None = None
) -> tuple[RuleGroup, ...]:
    """The burn-rate rules of the objectives whose series live in Prometheus, as recording and
    alerting rule groups (:mod:`servanda.documents.prometheus`). The provider's staff
    only: the queries name its own metrics. :class:`NotFound` for an unknown agreement."""
    principal.require(Action.READ)
    if principal.scope is not None:
        raise Forbidden("the rules export is for the provider's staff")
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
    if agreement is not None and all(a.id != agreement for a in bundle.agreements):
        raise NotFound(f"no agreement {agreement!r}")
    return rule_groups(bundle, agreement)
