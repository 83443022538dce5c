"""The event journal: the correlator's inputs, in order, so that its state is a function of
what was stored.

Every input of the correlator is a journal entry, appended in the same transaction as its
effects (the ``event_engine`` row lock orders every writer, so entries follow commit order):

* ``batch`` — the new events of one ingested batch (the ``events`` rows whose
  ``journal_seq`` is the entry's ``seq``), received at ``at``; they reach the correlator in
  event-time order as the watermark passes them (:mod:`servanda.events.watermark`);
* ``tick`` — the clock at ``at``: the watermark moves on when the sources are quiet, and the
  time-based decisions due are taken (two ticks in a row are one);
* ``settle`` — an import said it was complete at ``at``: everything waiting is applied;
* ``step`` — a lifecycle step a person made on an incident (the lifecycle fields moved).

One process at a time holds the correlator *lease* (``event_engine.holder`` until
``lease_until``) and applies the entries: its own at once, those another process appended
(``applied_seq`` says how far the stored effects go) when it next claims the row. The holder
saves a *snapshot* of the correlator every so often; any process that takes over — after a
restart, a crash, or the holder's lease running out — loads the snapshot and replays the
entries after it, so its state is exactly the uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from servanda.core.durations import Duration
from servanda.core.records import adapter, to_jsonable, trusted
from servanda.events.correlate import Changes
from servanda.events.incidents import Incident, IncidentState, Transition
from servanda.events.watermark import Resequencer
from servanda.storage.repositories.journal import JournalEntry, JournalRepository

BATCH, TICK, SETTLE, STEP = "batch", "tick", "settle", "step"

LIFECYCLE_FIELDS = (
    "state",
    "acknowledged_at",
    "corrected_at",
    "validated_at",
    "closed_at",
    "reopen_count",
)
"""What a lifecycle step moves, besides the audit trail."""


@dataclass(frozen=True, slots=True)
class JournalSettings:
    """How the journal is kept and the lease held."""

    lease: timedelta = timedelta(seconds=15)
    """A holder that does not renew its lease for this long loses it to the next process."""
    tick: timedelta = timedelta(seconds=2)
    """How often the server's clock takes time-based decisions (and renews the lease)."""
    snapshot_entries: int = 500
    """A snapshot is saved once this many entries were applied since the last one."""
    snapshot_age: timedelta = timedelta(minutes=5)
    """… or once the last one is this old and something was applied since."""
    lateness: timedelta = timedelta(minutes=5)
    """Observations arriving at most this long after the latest one are correlated in
    event-time order (see :mod:`servanda.events.watermark`); incidents appear this long after
    their first alert, at most."""


def step_payload(incident: Incident) -> dict[str, Any]:
    """The journal payload of a lifecycle step: the incident's lifecycle fields and trail."""
    payload: dict[str, Any] = {"id": incident.id}
    for name in LIFECYCLE_FIELDS:
        payload[name] = to_jsonable(getattr(incident, name))
    payload["transitions"] = to_jsonable(incident.transitions)
    return payload


_TRAIL = adapter(tuple[Transition, ...])
_TIME = adapter(datetime | None)  # type: ignore[arg-type]
_INCIDENT_FIELDS = tuple(f.name for f in fields(Incident))


def with_step(current: Incident, payload: dict[str, Any]) -> Incident:
    """``current`` with the lifecycle fields of a step's payload."""
    values = {name: getattr(current, name) for name in _INCIDENT_FIELDS}
    values["state"] = IncidentState(payload["state"])
    for name in ("acknowledged_at", "corrected_at", "validated_at", "closed_at"):
        values[name] = _TIME.validate_python(payload[name])
    values["reopen_count"] = int(payload["reopen_count"])
    values["transitions"] = _TRAIL.validate_python(payload["transitions"])
    return trusted(Incident, **values)


def apply_entries(
    order: Resequencer, journal: JournalRepository, entries: Iterable[JournalEntry]
) -> tuple[list[Changes], list[str], int]:
    """Apply journal entries in order; the changes of each, the incidents moved by steps, and
    the last sequence number applied (0 when none)."""
    changes: list[Changes] = []
    stepped: list[str] = []
    last = 0
    pending: list[JournalEntry] = []
    correlator = order.correlator

    def flush() -> None:
        if not pending:
            return
        batches = [e.seq for e in pending if e.kind == BATCH]
        events = journal.batch_events(batches[0], batches[-1]) if batches else {}
        for entry in pending:
            if entry.kind == BATCH:
                offered = order.offer(events.get(entry.seq, []), entry.at, entry.seq)
                changes.append(offered.changes)
            elif entry.kind == TICK:
                changes.append(order.tick(entry.at))
            elif entry.kind == SETTLE:
                changes.append(order.settle(entry.at))
            elif entry.kind == STEP and entry.payload is not None:
                current = correlator.incident(str(entry.payload["id"]))
                if current is not None:
                    correlator.apply_lifecycle(with_step(current, entry.payload))
                stepped.append(str(entry.payload["id"]))
        pending.clear()

    for entry in entries:
        pending.append(entry)
        last = entry.seq
        if len(pending) >= 2_000:
            flush()
    flush()
    return changes, stepped, last


def journal_settings(
    lease: Duration | None = None,
    tick: Duration | None = None,
    lateness: Duration | None = None,
) -> JournalSettings:
    """The settings in force (see :class:`~servanda.services.event_settings.EventSettings`)."""
    from servanda.services.event_settings import EventSettings

    found = EventSettings()
    return JournalSettings(
        lease=lease or found.lease,
        tick=tick or found.tick,
        snapshot_entries=found.snapshot_entries,
        lateness=found.lateness if lateness is None else lateness,
    )
