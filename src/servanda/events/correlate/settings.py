"""What a correlator is told and what it tells: its settings, the changes of one call, the
state it persists, and the alert sources that never take a node down.

Plain records, with no logic of the correlator's own: anything that configures or stores a
correlator imports them from :mod:`servanda.events.correlate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from servanda.core.records import record
from servanda.events.flapping import FlapRule
from servanda.events.incidents import Alert, Incident, Symptom
from servanda.events.model import Severity


@record
class CorrelationSettings:
    """The time windows of correlation."""

    hold_down: timedelta = timedelta(minutes=2)
    """A root failing this long after a symptom's incident was detected still takes it over."""
    symptom_grace: timedelta = timedelta(minutes=5)
    """A symptom still firing this long after its root recovered becomes its own incident."""
    reopen_window: timedelta = timedelta(hours=1)
    """A root failing again within this of its incident's end reopens it."""
    retention: timedelta = timedelta(hours=24)
    """Resolved alerts not seen for this long are forgotten (see :meth:`Correlator.tick`)."""
    flapping: FlapRule = FlapRule()
    """When an alert is flapping."""
    down_severity: Severity = Severity.MINOR
    """Alerts at or above this severity take their node down; those below it (by default
    ``warning`` and ``info``) are recorded, de-duplicated and correlated, but take nothing down."""


OBSERVING_SOURCES = frozenset({"servanda-slo"})
"""Sources whose alerts never take a node down, whatever their severity: Servanda's own
burn-rate warnings (:mod:`servanda.services.burn`) warn about downtime already counted, so
they must not add to it. They are correlated like alerts below ``down_severity``."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What one call to :meth:`Correlator.process` or :meth:`Correlator.tick` changed."""

    opened: tuple[str, ...] = ()
    """Incidents opened (including provisional ones merged in the same call)."""
    updated: tuple[str, ...] = ()
    """Incidents changed in any way (opened, merged, resolved and reopened ones included)."""
    merged: tuple[tuple[str, str], ...] = ()
    """(taken over, into) pairs."""
    resolved: tuple[str, ...] = ()
    """Incidents whose root recovered."""
    reopened: tuple[str, ...] = ()
    """Incidents reopened because their fault returned."""
    incidents: tuple[Incident, ...] = ()
    """The current record of every incident in ``updated``."""
    new_alerts: tuple[str, ...] = ()
    """Fingerprints seen for the first time."""
    repeats: tuple[str, ...] = ()
    """Fingerprints seen before that brought a new observation."""
    duplicates: int = 0
    """Events that told nothing new and were ignored."""
    flapping: tuple[str, ...] = ()
    """Alerts that started flapping."""
    stable: tuple[str, ...] = ()
    """Alerts that stopped flapping."""
    unmapped: tuple[str, ...] = ()
    """Fingerprints of events in this batch that name no node."""
    alerts: tuple[Alert, ...] = ()
    """The current record of every alert that changed."""
    symptom_changes: tuple[tuple[str, tuple[tuple[str, Symptom | None], ...]], ...] = ()
    """Per changed incident, its symptoms added or changed (their record) or dropped (None)
    since the previous changes told, so storage writes those alone."""

    def incident(self, incident_id: str) -> Incident | None:
        """The record of one changed incident."""
        for inc in self.incidents:
            if inc.id == incident_id:
                return inc
        return None


@record
class CorrelatorState:
    """Everything a correlator needs to carry on after a restart."""

    alerts: tuple[Alert, ...] = ()
    """Alerts it remembers (firing ones, and resolved ones within the retention)."""
    incidents: tuple[Incident, ...] = ()
    """Incidents it holds (open ones, and resolved ones within the reopen window)."""
