"""SLA measurement use cases: gather a customer's evidence, evaluate, and lay the results out
as the customer's report. Evaluating stores nothing: results and credits become final only
when a period is closed (:mod:`servanda.services.closing`).

Two paths share :func:`servanda.measure.evaluate.evaluate_customer`:

* **stored** (:func:`evaluate_stored`): the configuration, outages, incidents, measurements,
  attestations and feedback come from the database;
* **stateless** (:func:`evaluate_files`): a configuration folder and files of outages and
  measurements — for scripting and audits.

Both build the same :class:`~servanda.reports.sla_model.SlaReport` with
:func:`~servanda.reports.assemble.build_report` (offered here as :func:`build_report`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.agreements.effective import AmbiguousAgreement, effective_agreement
from servanda.agreements.model import PeriodKind
from servanda.calendars.model import Calendar, WeekStart
from servanda.config.loader import load_config
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, NotFound, Problem, Severity
from servanda.declared.bundle import Bundle
from servanda.engagement.model import Feedback
from servanda.events.incidents import Incident
from servanda.events.outages import Outage
from servanda.ingest.attestations import read_attestation_file
from servanda.ingest.feedback import read_feedback_file
from servanda.ingest.measurements import read_measurement_file
from servanda.ingest.outage_files import read_outage_file
from servanda.measure.evaluate import Evaluated, evaluate_customer
from servanda.measure.inputs import Attestation, Measurement
from servanda.measure.objectives import Evidence
from servanda.measure.periods import ReportingPeriod, parse_period, periods_between
from servanda.measure.results import ObjectiveResult
from servanda.measure.rollup import rollup
from servanda.reports.assemble import build_report
from servanda.services import telemetry
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.engagement import EngagementRepository
from servanda.storage.repositories.incidents import IncidentRepository
from servanda.storage.repositories.measurements import (
    AttestationRepository,
    MeasurementRepository,
)
from servanda.storage.repositories.results import StoredCredit, StoredResult

LOOKBACK = timedelta(days=35)
"""How far before a period evidence is read at least (an objective measured over a quarter,
a year or a rolling window reaches back further: :func:`evidence_start`)."""


# -- periods -------------------------------------------------------------------------------


def customer_timezone(bundle: Bundle, customer: str, on: date) -> str:
    """The timezone of the calendar of ``customer``'s agreements (UTC without one)."""
    found = customer_calendar(bundle, customer, on)
    return found.timezone if found is not None else "UTC"


def customer_week_start(bundle: Bundle, customer: str, on: date) -> WeekStart:
    """The first day of the week of the calendar of ``customer``'s agreements (Monday
    without one)."""
    found = customer_calendar(bundle, customer, on)
    return found.week_start if found is not None else WeekStart.MONDAY


def customer_calendar(bundle: Bundle, customer: str, on: date) -> Calendar | None:
    """The calendar of ``customer``'s agreements in force on ``on``, when they name one."""
    provider = next((a.provider for a in bundle.agreements if a.customer == customer), None)
    if provider is None:
        subs = bundle.subscriptions_of(customer)
        svc = bundle.service_by_id.get(subs[0].service) if subs else None
        provider = svc.provider if svc is not None else None
    if provider is None:
        return None
    try:
        eff = effective_agreement(bundle.agreements, provider, customer, None, on)
    except AmbiguousAgreement:  # two agreements compete: the evaluation reports it
        return None
    name = eff.calendar.value if eff.calendar is not None else None
    return bundle.calendar_by_id.get(name) if name else None


def period_of(bundle: Bundle, customer: str, text: str, now: datetime) -> ReportingPeriod:
    """``text`` (``2024-04``, ``2024-Q2``, ``2024-W14`` …) in the customer's timezone; a bad
    period is :class:`InvalidInput` at ``period``."""
    zone = customer_timezone(bundle, customer, now.date())
    weeks = customer_week_start(bundle, customer, now.date())
    try:
        first = parse_period(text, zone, weeks)
        on = first.start.date()
        return parse_period(
            text, customer_timezone(bundle, customer, on), customer_week_start(bundle, customer, on)
        )
    except ValueError as exc:
        raise InvalidInput([Problem(str(exc), path=("period",))]) from None


# -- the stored path -----------------------------------------------------------------------


def evidence_start(bundle: Bundle, period: ReportingPeriod) -> datetime:
    """The earliest instant evaluating ``period`` may read: the start of the longest window an
    objective of ``bundle`` is measured over in it (its quarter or year to date, its rolling
    window), and at least :data:`LOOKBACK` before the period."""
    since = period.start - LOOKBACK
    first = period.start + timedelta(microseconds=1)
    kinds = {o.period for a in bundle.agreements for o in a.objectives}
    for p in kinds:
        if p.kind is PeriodKind.ROLLING:
            if p.length is not None:
                since = min(since, period.end - p.length)
            continue
        own = periods_between(p.kind, period.start, first, period.timezone)
        if own:
            since = min(since, own[0].start)
    return since


def stored_outages(
    session: Session, customer: str, start: datetime, end: datetime
) -> tuple[Outage, ...]:
    """The stored outages of ``customer`` overlapping ``[start, end)``."""
    return tuple(
        Outage(
            incident_id=o.incident_id,
            service=o.service,
            customer=o.customer or customer,
            start=o.start,
            end=o.end,
            fraction=float(o.fraction),
            planned=o.planned,
        )
        for o in IncidentRepository(session).outages(customer=customer, since=start, until=end)
    )


def gather_evidence(
    session: Session, bundle: Bundle, customer: str, start: datetime, end: datetime
) -> Evidence:
    """What evaluating ``customer`` reads from storage about ``[start, end)``: the outages
    overlapping it and their incidents, the measurements of the series that may concern the
    customer, its feedback, and the attestations overlapping it."""
    incidents_repo = IncidentRepository(session)
    outages = stored_outages(session, customer, start, end)
    incidents: dict[str, Incident] = {}
    for o in outages:
        if o.incident_id not in incidents:
            found = incidents_repo.get(o.incident_id)
            if found is not None:
                incidents[o.incident_id] = found
    measurements = MeasurementRepository(session)
    taken = {s.service for s in bundle.subscriptions_of(customer)}
    series = {
        s.id: tuple(m.measurement for m in measurements.records(s.id, start, end))
        for s in bundle.series
        if s.customer == customer
        or (s.customer is None and s.node not in bundle.service_by_id)
        or (s.customer is None and s.node in taken)
    }
    feedback = tuple(
        f.feedback for f in EngagementRepository(session).feedback(customer, None, start, end)
    )
    attestations = tuple(AttestationRepository(session).attestations(overlapping=(start, end)))
    return Evidence(
        outages=outages,
        incidents=incidents,
        measurements=series,
        attestations=attestations,
        feedback=feedback,
    )


def evaluate_stored(
    engine: Engine, principal: Principal, customer: str, period: str, now: datetime
) -> Evaluated:
    """Evaluate ``customer`` over ``period`` from storage, as of ``now``; stores nothing.
    Customers may evaluate only themselves."""
    check_reader(principal, customer)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        return evaluate_in(
            session, bundle, customer, period_of_customer(bundle, customer, period, now), now
        )


def check_reader(principal: Principal, customer: str) -> None:
    """Raise unless ``principal`` may read ``customer``'s results: another customer's are
    :class:`NotFound`, as those of a customer that does not exist."""
    principal.require(Action.READ)
    if principal.scope is not None and principal.scope != customer:
        raise NotFound(f"no customer {customer!r}")


def period_of_customer(
    bundle: Bundle, customer: str, period: str, now: datetime
) -> ReportingPeriod:
    """``period`` for ``customer`` (see :func:`period_of`); an unknown customer is
    :class:`NotFound`."""
    if customer not in bundle.party_by_id:
        raise NotFound(f"no customer {customer!r}")
    return period_of(bundle, customer, period, now)


def evaluate_in(
    session: Session, bundle: Bundle, customer: str, chosen: ReportingPeriod, now: datetime
) -> Evaluated:
    """Evaluate ``customer`` over ``chosen`` from what ``session`` reads (access checked by
    the caller)."""
    since = evidence_start(bundle, chosen)
    evidence = gather_evidence(session, bundle, customer, since, chosen.end)
    reviews = tuple(
        r.review
        for r in EngagementRepository(session).reviews(
            customer, None, chosen.start.date(), chosen.end.date() + timedelta(days=1)
        )
    )
    with telemetry.timing(telemetry.EVALUATION_SECONDS):
        evaluation = evaluate_customer(bundle, customer, chosen, evidence, now)
    telemetry.EVALUATIONS.inc()
    return Evaluated(bundle, evaluation, evidence, reviews)


def stored_rows(
    evaluated: Evaluated, computed_at: datetime
) -> tuple[list[StoredResult], list[StoredCredit]]:
    """The results (rolled up per service) and credits of an evaluation, as stored when its
    period is closed."""
    bundle, evaluation = evaluated.bundle, evaluated.evaluation
    period = evaluation.period
    by_service: dict[str | None, list[ObjectiveResult]] = {}
    provider: dict[str | None, str] = {}
    for part in evaluation.parts:
        by_service.setdefault(part.service, []).extend(part.results)
        svc = bundle.service_by_id.get(part.service) if part.service else None
        provider[part.service] = svc.provider if svc is not None else ""
    results = [
        StoredResult(
            provider=provider[service],
            customer=evaluation.customer,
            service=service,
            period_label=period.label,
            period_start=period.start,
            period_end=period.end,
            result=_storable(result),
            computed_at=computed_at,
        )
        for service, found in by_service.items()
        for result in rollup(found)
    ]
    credits = [
        StoredCredit(part.credit, computed_at)
        for part in evaluation.parts
        if part.credit is not None
    ]
    return results, credits


def _storable(result: ObjectiveResult) -> ObjectiveResult:
    """A result whose actual reads back from its numerator and denominator (see the results
    table): one without a figure keeps neither; a statistic without them is stored as its
    actual over its scale by the repository."""
    if result.actual is None and (result.numerator is not None or result.denominator is not None):
        return replace(result, numerator=None, denominator=None)
    return result


# -- the stateless path --------------------------------------------------------------------


def evaluate_files(
    config: Sequence[Path],
    outages_file: Path,
    measurement_files: Sequence[Path],
    period: str,
    now: datetime,
    customers: Sequence[str] = (),
    attestation_files: Sequence[Path] = (),
    feedback_files: Sequence[Path] = (),
) -> list[Evaluated]:
    """Evaluate from a configuration and files, storing nothing. Every customer with an outage
    or a subscription is evaluated unless ``customers`` names some. Attestations and feedback
    are optional (without attestations every control counts as not met). Problems in any file
    are :class:`InvalidInput`, all of them at once."""
    read = load_config(config)
    problems = [p for p in read.problems if p.severity is Severity.ERROR]
    bundle = read.bundle
    outages, found = read_outage_file(outages_file, bundle=bundle)
    problems += found
    by_series: dict[str, list[Measurement]] = {}
    for path in measurement_files:
        measured, found = read_measurement_file(path, series_by_id=bundle.series_by_id)
        problems += found
        for m in measured:
            by_series.setdefault(m.series, []).append(m)
    attested: list[Attestation] = []
    for path in attestation_files:
        taken, found = read_attestation_file(path, bundle=bundle)
        problems += found
        attested += taken
    answers: list[Feedback] = []
    for path in feedback_files:
        given, found = read_feedback_file(path, bundle=bundle)
        problems += found
        answers += given
    if problems:
        raise InvalidInput(problems)
    evidence = Evidence(
        outages=tuple(outages),
        measurements={k: tuple(sorted(v, key=lambda m: m.at)) for k, v in by_series.items()},
        attestations=tuple(attested),
        feedback=tuple(answers),
    )
    chosen = list(customers) or sorted(
        {o.customer for o in outages} | {s.customer for s in bundle.subscriptions}
    )
    out = []
    for customer in chosen:
        if customer not in bundle.party_by_id:
            raise NotFound(f"no customer {customer!r}")
        reporting = period_of(bundle, customer, period, now)
        out.append(Evaluated(bundle, evaluate_customer(bundle, customer, reporting, evidence, now),
                             evidence))  # fmt: skip
    return out


__all__ = [
    "Evaluated",
    "build_report",
    "check_reader",
    "customer_timezone",
    "evaluate_files",
    "evaluate_in",
    "evaluate_stored",
    "evidence_start",
    "gather_evidence",
    "period_of",
    "period_of_customer",
    "stored_outages",
    "stored_rows",
]
