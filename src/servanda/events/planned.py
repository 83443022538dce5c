"""Planned work: whether an alert started inside a maintenance window of its node.

A node's maintenance windows are those of its calendar (``Component.calendar`` or
``Service.calendar``) whose ``nodes`` list is absent or names the node. An alert is *planned*
when its episode starts inside one of them; an incident is planned when all its root alerts are,
and its outages then count as planned.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from servanda.calendars.expand import maintenance_time
from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Service
from servanda.core.intervals import IntervalSet


class MaintenanceLookup:
    """Answers "was this node in maintenance at this instant?" quickly, day by day."""

    def __init__(self, nodes: Iterable[Service | Component], calendars: Iterable[Calendar]) -> None:
        by_id = {c.id: c for c in calendars}
        self._calendar: dict[str, Calendar] = {}
        for n in nodes:
            cal = by_id.get(n.calendar) if n.calendar else None
            if cal is not None and cal.maintenance:
                self._calendar[n.id] = cal
        self._days: dict[tuple[str, int], IntervalSet] = {}

    def is_planned(self, node: str | None, at: datetime) -> bool:
        """Whether ``at`` falls inside a maintenance window that applies to ``node``."""
        if node is None:
            return False
        cal = self._calendar.get(node)
        if cal is None:
            return False
        day = at.toordinal()
        found = self._days.get((node, day))
        if found is None:
            midnight = datetime.combine(at.date(), datetime.min.time(), at.tzinfo)
            # A day either side, so windows that straddle midnight are whole.
            found = maintenance_time(
                cal, midnight - timedelta(days=1), midnight + timedelta(days=2), node
            )
            if len(self._days) > 100_000:
                self._days.clear()
            self._days[(node, day)] = found
        return found.contains(at)
