"""The event engine's clock: time-based decisions taken on time while the server runs.

Quiet periods of flapping alerts, the symptom grace and the hold-down are deadlines in event
time; without a clock they would wait for the next alert to arrive. :class:`EventClock` calls
:meth:`~servanda.services.events.EventEngine.tick` every ``interval`` in a daemon thread: it
takes the decisions that are due, applies what other processes appended to the journal,
renews the correlator lease (or takes it over from a holder that stopped renewing), and saves
snapshots. ``servanda events tick`` does the same once, for cron.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from servanda.services.events import EventEngine

log = logging.getLogger(__name__)


class EventClock:
    """Ticks an event engine every ``interval`` until stopped."""

    def __init__(
        self,
        engine: Callable[[], EventEngine],
        interval: timedelta,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._interval = interval.total_seconds()
        self._now = now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        """Ticks taken (for tests and status)."""

    def start(self) -> None:
        """Start ticking (once)."""
        if self._thread is not None or self._interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="servanda-event-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait for the tick under way."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._engine().tick(self._now())
                self.ticks += 1
            except Exception:  # a database hiccup must not stop the clock
                log.exception("event clock tick failed; trying again in %ss", self._interval)
