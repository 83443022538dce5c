"""What evaluating many customers reads from storage, in a fixed number of queries.

:func:`servanda.services.sla.gather_evidence` reads one customer's evidence (its outages and
their incidents, the measurements of its series, its feedback, the attestations) in queries
that grow with its incidents and series. A page showing every customer (the status board)
reads them all at once here instead: the outages of the whole span, the incidents they name,
the measurements of every series wanted, the feedback and the attestations, five queries
whatever the number of customers; then each customer's :class:`Evidence` is cut from them for
its own window. The result for a customer is the same as ``gather_evidence`` gives (a test
compares them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from servanda.declared.bundle import Bundle
from servanda.engagement.model import Feedback
from servanda.events.outages import Outage
from servanda.measure.inputs import Measurement
from servanda.measure.objectives import Evidence
from servanda.storage.repositories.engagement import EngagementRepository
from servanda.storage.repositories.incidents import IncidentRepository
from servanda.storage.repositories.measurements import (
    AttestationRepository,
    MeasurementRepository,
)


def series_of(bundle: Bundle, customer: str) -> list[str]:
    """The series whose measurements may concern ``customer`` (as ``gather_evidence``)."""
    taken = {s.service for s in bundle.subscriptions_of(customer)}
    return [
        s.id
        for s in bundle.series
        if s.customer == customer
        or (s.customer is None and s.node not in bundle.service_by_id)
        or (s.customer is None and s.node in taken)
    ]


def gather_many(
    session: Session, bundle: Bundle, windows: Mapping[str, tuple[datetime, datetime]]
) -> dict[str, Evidence]:
    """Each customer's evidence over its ``[start, end)`` window (see the module)."""
    if not windows:
        return {}
    since = min(w[0] for w in windows.values())
    until = max(w[1] for w in windows.values())
    incidents_repo = IncidentRepository(session)
    outages_by: dict[str, list[Outage]] = {c: [] for c in windows}
    for o in incidents_repo.outages(since=since, until=until):
        window = windows.get(o.customer or "")
        if window is None or o.start >= window[1] or (o.end is not None and o.end <= window[0]):
            continue
        outage = Outage(
            incident_id=o.incident_id, service=o.service, customer=o.customer or "",
            start=o.start, end=o.end, fraction=float(o.fraction), planned=o.planned,
        )  # fmt: skip
        outages_by[o.customer or ""].append(outage)
    named = {o.incident_id for found in outages_by.values() for o in found}
    incidents = {i.id: i for i in incidents_repo.many(sorted(named))} if named else {}
    wanted = {c: series_of(bundle, c) for c in windows}
    every = sorted({s for found in wanted.values() for s in found})
    by_series: dict[str, list[Measurement]] = {}
    for m in MeasurementRepository(session).records_of(every, since, until):
        by_series.setdefault(m.measurement.series, []).append(m.measurement)
    feedback_by: dict[str, list[Feedback]] = {}
    for f in EngagementRepository(session).feedback(None, None, since, until):
        feedback_by.setdefault(f.feedback.customer, []).append(f.feedback)
    attested = AttestationRepository(session).attestations(overlapping=(since, until))
    out: dict[str, Evidence] = {}
    for customer, (start, end) in windows.items():
        mine = outages_by[customer]
        out[customer] = Evidence(
            outages=tuple(mine),
            incidents={
                o.incident_id: incidents[o.incident_id] for o in mine if o.incident_id in incidents
            },
            measurements={
                s: tuple(m for m in by_series.get(s, ()) if start <= m.at < end)
                for s in wanted[customer]
            },
            attestations=tuple(
                a for a in attested if a.period_start < end and a.period_end > start
            ),
            feedback=tuple(f for f in feedback_by.get(customer, ()) if start <= f.at < end),
        )
    return out


__all__ = ["gather_many", "series_of"]
