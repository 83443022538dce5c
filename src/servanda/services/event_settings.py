"""Correlation settings from the environment, so an operator tunes them without code.

Every field reads ``SERVANDA_EVENTS_<FIELD>``; durations are written like everywhere else in
Servanda (``90s``, ``2m``, ``1h``)::

    SERVANDA_EVENTS_HOLD_DOWN=3m
    SERVANDA_EVENTS_REOPEN_WINDOW=2h
    SERVANDA_EVENTS_DOWN_SEVERITY=major
    SERVANDA_EVENTS_FLAP_CHANGES=6

The server and the command line read the same variables, so alerts correlate the same way
whichever of them ingests.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from servanda.core.durations import Duration
from servanda.events.correlate import CorrelationSettings
from servanda.events.flapping import FlapRule
from servanda.events.model import Severity

_DEFAULTS = CorrelationSettings()


class EventSettings(BaseSettings):
    """The windows and thresholds of correlation (defaults: :class:`CorrelationSettings`)."""

    model_config = SettingsConfigDict(env_prefix="SERVANDA_EVENTS_", extra="ignore")

    hold_down: Duration = _DEFAULTS.hold_down
    """A root failing this long after its symptoms still takes them over."""
    symptom_grace: Duration = _DEFAULTS.symptom_grace
    """A symptom still firing this long after its root recovered becomes its own incident."""
    reopen_window: Duration = _DEFAULTS.reopen_window
    """A fault returning within this of its incident's end reopens it."""
    retention: Duration = _DEFAULTS.retention
    """Resolved alerts not seen for this long are forgotten by the correlator's memory."""
    down_severity: Severity = _DEFAULTS.down_severity
    """The least severe alert that takes a node down (less severe ones are recorded only)."""
    flap_changes: int = Field(default=_DEFAULTS.flapping.changes, ge=1)
    """State changes within ``flap_window`` that mark an alert flapping."""
    flap_window: Duration = _DEFAULTS.flapping.window
    """The window flapping changes are counted in."""
    flap_quiet: Duration = _DEFAULTS.flapping.quiet
    """A flapping alert is stable again after this long without a change."""
    lease: Duration = timedelta(seconds=15)
    """The correlator lease: a holder silent this long is replaced by the next process."""
    tick: Duration = timedelta(seconds=2)
    """How often the server's clock takes time-based decisions; ``0s`` turns it off."""
    lateness: Duration = timedelta(minutes=5)
    """Alerts arriving at most this long after the latest one are correlated in event-time
    order, whatever order they came in; incidents appear at most this long after their first
    alert. ``0s`` correlates every alert as it arrives."""
    snapshot_entries: int = Field(default=500, ge=1)
    """A correlator snapshot is saved after this many journal entries."""

    def correlation(self) -> CorrelationSettings:
        """The settings as the correlator takes them."""
        return CorrelationSettings(
            hold_down=self.hold_down,
            symptom_grace=self.symptom_grace,
            reopen_window=self.reopen_window,
            retention=self.retention,
            down_severity=self.down_severity,
            flapping=FlapRule(
                changes=self.flap_changes, window=self.flap_window, quiet=self.flap_quiet
            ),
        )


def correlation_settings() -> CorrelationSettings:
    """The correlation settings in force (environment over defaults)."""
    return EventSettings().correlation()
