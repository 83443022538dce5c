"""Outages: what an incident means for each impacted service and each customer of it.

:func:`outages` turns every impact interval of a *service* in an incident into one
:class:`Outage` per customer subscribed to that service, clipped to the subscription's dates
(read as local days in the service's calendar time zone, UTC when it has none). ``fraction`` is
1 for a full outage and the impacted share for a partial one; ``planned`` follows the incident.
An incident merged into another yields nothing: the one that took it over carries its intervals.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from servanda.config.bundle import Bundle
from servanda.core.records import record
from servanda.events.incidents import Incident


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


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone))


def outages(incident: Incident, bundle: Bundle) -> list[Outage]:
    """Every customer outage of ``incident``, by service, customer, then start."""
    if incident.merged_into is not None:
        return []
    found: list[Outage] = []
    for impact in incident.impacted:
        service = bundle.service_by_id.get(impact.node)
        if service is None:
            continue
        cal = bundle.calendar_by_id.get(service.calendar) if service.calendar else None
        zone = cal.timezone if cal is not None else "UTC"
        for sub in bundle.subscriptions:
            if sub.service != service.id:
                continue
            start, end = impact.since, impact.until
            if sub.start is not None:
                start = max(start, _local_midnight(sub.start, zone))
            if sub.end is not None:
                stop = _local_midnight(sub.end, zone)
                end = stop if end is None else min(end, stop)
            if end is not None and end <= start:
                continue
            found.append(
                Outage(
                    incident_id=incident.id,
                    service=service.id,
                    customer=sub.customer,
                    start=start,
                    end=end,
                    fraction=impact.fraction,
                    planned=incident.planned,
                )
            )
    found.sort(key=lambda o: (o.service, o.customer, o.start))
    return found
