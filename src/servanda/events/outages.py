"""Outages: what an incident means for each impacted service and each customer of it.

:func:`outages` turns the impact intervals of an incident into :class:`Outage` records, one
customer and one service at a time:

* an interval of a *service* counts for every customer subscribed to it;
* an interval of a subscription's *access node* (``Subscription.access``: the switch, CPE or
  port the customer is attached to) counts for that subscription's service and customer only —
  whether the node failed itself or went down through the dependency graph (its backhaul).

Each interval is clipped to the subscription's dates (read as local days in the service's
calendar time zone, UTC when it has none). The intervals of one service and customer are then
united, so one incident never yields two overlapping outages for them: where the service and
the customer's access node are both down there is one outage covering both, and where
intervals of different fractions overlap the larger fraction counts. ``fraction`` is 1 for a
full outage and the impacted share for a partial one; ``planned`` follows the incident. An
incident merged into another yields nothing: the one that took it over carries its intervals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import pairwise
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from servanda.catalog.model import Subscription
from servanda.core.records import record
from servanda.events.declarations import EventDeclarations
from servanda.events.incidents import ImpactedNode, Incident


@record
class Outage:
    """A service down (or partly down) for one customer because of one incident."""

    incident_id: str
    """The incident."""
    service: str
    """The service."""
    customer: str
    """The subscribed customer."""
    start: datetime
    """Start (UTC)."""
    end: datetime | None
    """End; None while the outage lasts."""
    fraction: Annotated[float, Field(gt=0, le=1)] = 1.0
    """1 for a full outage, else the impacted share."""
    planned: bool = False
    """Inside a maintenance window of the incident's root: counts as planned downtime."""


_OPEN = datetime.max.replace(tzinfo=UTC)
"""The end of an interval still running, while intervals are united."""

Span = tuple[datetime, datetime, float]
"""(start, end, fraction); end is :data:`_OPEN` while it lasts."""


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone))


def _clipped(impact: ImpactedNode, sub: Subscription, zone: str) -> Span | None:
    """The impact interval within the subscription's dates, or None when outside them."""
    start, end = impact.since, impact.until or _OPEN
    if sub.start is not None:
        start = max(start, _local_midnight(sub.start, zone))
    if sub.end is not None:
        end = min(end, _local_midnight(sub.end, zone))
    return (start, end, impact.fraction) if end > start else None


def united(spans: Iterable[Span]) -> list[Span]:
    """``spans`` as consecutive, non-overlapping spans: the largest fraction at each instant,
    touching spans of one fraction joined."""
    spans = list(spans)
    edges = sorted({t for s, e, _ in spans for t in (s, e)})
    out: list[Span] = []
    for lo, hi in pairwise(edges):
        fraction = max((f for s, e, f in spans if s <= lo and hi <= e), default=0.0)
        if fraction <= 0:
            continue
        if out and out[-1][1] == lo and out[-1][2] == fraction:
            out[-1] = (out[-1][0], hi, fraction)
        else:
            out.append((lo, hi, fraction))
    return out


def outages(incident: Incident, bundle: EventDeclarations) -> list[Outage]:
    """Every customer outage of ``incident``, by service, customer, then start."""
    if incident.merged_into is not None:
        return []
    spans: dict[tuple[str, str], list[Span]] = {}
    for impact in incident.impacted:
        for sub in bundle.subscriptions_down_with(impact.node):
            service = bundle.service_by_id.get(sub.service)
            if service is None:
                continue
            cal = bundle.calendar_by_id.get(service.calendar) if service.calendar else None
            span = _clipped(impact, sub, cal.timezone if cal is not None else "UTC")
            if span is not None:
                spans.setdefault((sub.service, sub.customer), []).append(span)
    found = [
        Outage(
            incident_id=incident.id,
            service=service_id,
            customer=customer,
            start=start,
            end=None if end == _OPEN else end,
            fraction=fraction,
            planned=incident.planned,
        )
        for (service_id, customer), parts in spans.items()
        for start, end, fraction in united(parts)
    ]
    found.sort(key=lambda o: (o.service, o.customer, o.start))
    return found


@dataclass(frozen=True, slots=True)
class StoredOutage:
    """An outage as stored: an incident took ``service`` down (``fraction`` of it) for
    ``customer`` (None: for everyone taking it) from ``start`` to ``end`` (None: ongoing)."""

    incident_id: str
    service: str
    customer: str | None
    start: datetime
    end: datetime | None
    fraction: Decimal
    planned: bool
