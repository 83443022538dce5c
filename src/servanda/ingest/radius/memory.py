"""An in-memory sink for the RADIUS accounting server: session mediation run on each event,
states and usage kept in dictionaries. For tests and trials; nothing survives the process."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from servanda.accounting.sessions import (
    AccountingEvent,
    Mediation,
    NasEvent,
    SessionState,
    close_nas,
    close_stale,
    mediate,
)
from servanda.accounting.usage import UsageRecord
from servanda.core.problems import Problem


class MemorySink:
    """Mediates each event it receives; usage is kept by its key, so a record charged twice
    is one record. Safe to call from any thread."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, str, str], SessionState] = {}
        """Session states by ``(source, nas, session_id)``."""
        self.usage: dict[tuple[str, str], UsageRecord] = {}
        """Usage records by ``(source, record_id)``."""
        self.problems: list[Problem] = []
        """Every problem mediation explained, in order."""
        self.events: list[AccountingEvent] = []
        """Every event received, in order."""
        self._lock = threading.Lock()

    def __call__(self, event: AccountingEvent) -> None:
        with self._lock:
            self.events.append(event)
            if isinstance(event, NasEvent):
                self._keep(*close_nas(self.states.values(), event))
            else:
                key = (event.source, *event.key)
                self._keep(mediate(self.states.get(key), event))

    def close_stale(self, now: datetime, timeout: timedelta) -> None:
        """Close the sessions with no news for longer than ``timeout``."""
        with self._lock:
            self._keep(*close_stale(self.states.values(), now, timeout))

    def _keep(self, *mediations: Mediation) -> None:
        for m in mediations:
            self.states[(m.state.source, *m.state.key)] = m.state
            self.usage.update((u.key, u) for u in m.usage)
            self.problems.extend(m.problems)

    def totals(self) -> tuple[int, int, timedelta]:
        """Octets up, octets down and time charged, over every record."""
        with self._lock:
            records = list(self.usage.values())
        return (
            sum(r.volume_up for r in records),
            sum(r.volume_down for r in records),
            sum((r.duration for r in records), timedelta(0)),
        )
