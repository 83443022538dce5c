"""Flapping: an alert that changes state too often within a window.

An alert's state changes are its distinct start and end times (a start after the first one is a
change back to firing, an end is a change to resolved). Counting distinct times, rather than the
events in arrival order, gives the same answer whatever order the events came in and however
often they were re-sent.

With the defaults, an alert whose starts and ends add up to ``changes`` (4) state changes within
``window`` (30 min) is *flapping*: it is held firing and stays attached to its incident, so its
ups and downs neither resolve the incident nor open new ones. It stops flapping once no change
has been seen for ``quiet`` (15 min); it then counts as whatever its latest status is.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import Field

from servanda.core.records import record


@record
class FlapRule:
    """When an alert counts as flapping, and when it is stable again."""

    changes: int = Field(default=4, ge=1)
    """State changes within ``window`` that mark an alert flapping."""
    window: timedelta = timedelta(minutes=30)
    """The sliding window the changes are counted in."""
    quiet: timedelta = timedelta(minutes=15)
    """A flapping alert is stable again after this long without a change."""

    def count(self, starts: Sequence[datetime], ends: Sequence[datetime]) -> int:
        """State changes within ``window`` before the latest one (``starts``/``ends`` sorted).

        Every end is a change; every start but the alert's very first is one too.
        """
        if not starts and not ends:
            return 0
        latest = max(starts[-1] if starts else ends[-1], ends[-1] if ends else starts[-1])
        horizon = latest - self.window
        in_starts = len(starts) - bisect_left(starts, horizon)
        in_ends = len(ends) - bisect_left(ends, horizon)
        first_start_counted = in_starts == len(starts) and in_starts > 0
        return in_starts + in_ends - (1 if first_start_counted else 0)

    def is_flapping(self, starts: Sequence[datetime], ends: Sequence[datetime]) -> bool:
        """Whether these changes make the alert flapping."""
        return self.count(starts, ends) >= self.changes

    def is_quiet(self, last_change: datetime, now: datetime) -> bool:
        """Whether a flapping alert has been stable long enough."""
        return now - last_change >= self.quiet
