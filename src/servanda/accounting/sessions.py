"""Session mediation: the accounting events of one network session (RADIUS Start, Interim-Update,
Stop, RFC 2866/2869) turned into usage deltas, with no I/O and no clock.

A session is known by ``(nas, session_id)``: the NAS (its NAS-Identifier or address) and its
Acct-Session-Id. Its counters (session time, input and output octets, gigawords already
combined) are *cumulative since the start*, so each event is charged as the difference between
its counters and those last charged: :func:`mediate` takes the stored :class:`SessionState` (or
None for a session not seen yet) and a :class:`SessionEvent` and returns a :class:`Mediation`,
the new state, the :class:`~servanda.accounting.usage.UsageRecord` deltas (category ``data``)
and the problems found.

The decisions, each explained by a problem (a warning, or an error when nothing explains it):

* **Order** is the NAS's own session clock (Acct-Session-Time), then the event time: an event
  behind the state (older, or out of order) changes nothing; one equal to it (same status, same
  counters: a retransmission) is a duplicate and changes nothing either.
* **A counter going back** while the session time advances is a 32-bit wrap when the NAS sent
  no gigawords and a single wrap explains it (both values below 2³²): the delta is
  ``new + 2³² − last``. Otherwise (gigawords sent, or the counter was already beyond 32 bits)
  the NAS reset it (a reboot): an error, and what was counted since the reset is charged.
* **No start**: an interim or a stop of an unknown session charges its whole cumulative
  counters (from zero).
* **After a stop** every event is ignored. A session closed without a stop (stale, or its NAS
  restarted: :func:`close_stale`, :func:`close_nas`) still charges a later event's counters.
* **Record ids** are ``<nas>/<session-id>#<status>:<seconds>:<input>:<output>``, the cumulative
  counters charged up to that record: replaying the same events gives the same keys, so the
  usage downstream, idempotent on ``(source, record_id)``, is charged once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

from servanda.accounting.usage import Category, UsageRecord
from servanda.catalog.model import Id
from servanda.core.limits import Name
from servanda.core.problems import Location, Problem, Severity
from servanda.core.records import record

WRAP = 2**32
"""Where a 32-bit octet counter wraps; gigawords count these."""
UNIDENTIFIED = "unidentified"
"""The account charged for a session that never named its user (no User-Name)."""
KEY_CHARS = 130
"""The longest session key written in a record id; a longer one is shortened with a hash."""

Octets = Annotated[int, Field(ge=0)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]


class Status(StrEnum):
    """What an accounting event says of its session (RADIUS Acct-Status-Type)."""

    START = "start"
    INTERIM = "interim"
    STOP = "stop"


_RANK = {Status.START: 0, Status.INTERIM: 1, Status.STOP: 2}


class NasStatus(StrEnum):
    """What a NAS says of itself: it starts (Accounting-On) or stops (Accounting-Off)
    accounting; either way its open sessions are over."""

    ON = "on"
    OFF = "off"


@record
class SessionEvent:
    """One accounting event of a session, its counters cumulative since the start."""

    source: Id
    """The collector (this mediation's RADIUS server): the usage records' source."""
    nas: NonEmpty
    """The NAS reporting the session: its NAS-Identifier, else its address."""
    session_id: NonEmpty
    """The NAS's id of the session (Acct-Session-Id); with ``nas``, the session key."""
    status: Status
    """Start, interim or stop."""
    at: AwareDatetime
    """When the event happened (Event-Timestamp, else receipt time minus Acct-Delay-Time)."""
    session_time: timedelta = timedelta(0)
    """How long the session has lasted (Acct-Session-Time)."""
    input_octets: Octets = 0
    """Octets received from the subject since the start, gigawords × 2³² included."""
    output_octets: Octets = 0
    """Octets sent to the subject since the start, gigawords × 2³² included."""
    gigawords: bool = False
    """Whether the NAS sent Acct-Input/Output-Gigawords: its counters are then 64-bit, and one
    going back is a reset, never a wrap."""
    account: Name | None = None
    """The user (User-Name): the account charged."""
    subject: Name | None = None
    """The device or line (Calling-Station-Id)."""
    destination: Name | None = None
    """Where to (Called-Station-Id: an access point, an APN, a service name)."""
    service: Name | None = None
    """The kind of access (NAS-Port-Type, e.g. ``Ethernet``, ``Wireless-802.11``)."""
    multi_session_id: Name | None = None
    """Links the sessions of one multilink bundle (Acct-Multi-Session-Id)."""
    terminate_cause: Name | None = None
    """Why the session stopped (Acct-Terminate-Cause), on a stop."""
    interim_interval: timedelta | None = None
    """The interval of interim updates, when the NAS says it (Acct-Interim-Interval)."""

    @property
    def key(self) -> tuple[str, str]:
        """The session: ``(nas, session_id)``."""
        return self.nas, self.session_id


@record
class NasEvent:
    """A NAS starting or stopping accounting (Accounting-On, Accounting-Off): its sessions
    are over."""

    source: Id
    """The collector, as in :class:`SessionEvent`."""
    nas: NonEmpty
    """The NAS, named as in :class:`SessionEvent`."""
    status: NasStatus
    """On or off."""
    at: AwareDatetime
    """When it happened."""


AccountingEvent = SessionEvent | NasEvent
"""What a RADIUS accounting server hands on: a session's event or a NAS's."""


@record
class SessionState:
    """What mediation remembers of a session between events; small, to be stored as JSON."""

    source: Id
    """The collector, the source of the session's usage records."""
    nas: NonEmpty
    """The NAS of the session."""
    session_id: NonEmpty
    """Its Acct-Session-Id."""
    account: Name | None
    """The user charged (the last User-Name seen)."""
    started_at: AwareDatetime
    """When the session started (its start event, else the first event less its session
    time)."""
    last_at: AwareDatetime
    """When its last accepted event happened."""
    last_status: Status
    """The status of that event."""
    started: bool
    """Whether its start event was seen."""
    session_time: timedelta = timedelta(0)
    """The session time last reported, which is also the duration charged."""
    input_reported: Octets = 0
    """The input octets last reported by the NAS (the base of the next delta)."""
    output_reported: Octets = 0
    """The output octets last reported by the NAS."""
    input_charged: Octets = 0
    """The input octets charged so far (the reported ones, wraps and resets accounted for)."""
    output_charged: Octets = 0
    """The output octets charged so far."""
    stopped: bool = False
    """Whether its stop was seen: later events are ignored."""
    closed: Name | None = None
    """Why it was closed without a stop (stale, NAS restarted), when it was."""
    subject: Name | None = None
    """The last Calling-Station-Id seen."""
    destination: Name | None = None
    """The last Called-Station-Id seen."""
    service: Name | None = None
    """The last NAS-Port-Type seen."""
    multi_session_id: Name | None = None
    """The last Acct-Multi-Session-Id seen."""
    interim_interval: timedelta | None = None
    """The interim interval the NAS announced, if any."""

    @property
    def key(self) -> tuple[str, str]:
        """The session: ``(nas, session_id)``."""
        return self.nas, self.session_id

    @property
    def open(self) -> bool:
        """Neither stopped nor closed."""
        return not self.stopped and self.closed is None


@dataclass(frozen=True, slots=True)
class Mediation:
    """What one event (or one close) did to a session: a result, not a stored record."""

    state: SessionState
    """The session's state now (the one given when the event was ignored)."""
    usage: tuple[UsageRecord, ...] = ()
    """The usage to charge."""
    problems: tuple[Problem, ...] = ()
    """Why an event was ignored, a counter wrapped or reset, a session had no start."""
    ignored: bool = False
    """Whether the event changed nothing (a duplicate, older, after the stop)."""


def key_text(nas: str, session_id: str) -> str:
    """The session key as written in record ids: ``nas/session-id``, shortened with a hash of
    it when longer than :data:`KEY_CHARS`."""
    text = f"{nas}/{session_id}"
    if len(text) <= KEY_CHARS:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    return f"{text[: KEY_CHARS - 25]}~{digest}"


def stale_timeout(
    interim_interval: timedelta, margin: timedelta = timedelta(minutes=1)
) -> timedelta:
    """How long a session may go without an event before it is stale: two interim intervals
    (one lost update is tolerated) and a margin."""
    return 2 * interim_interval + margin


def _where(nas: str, session_id: str) -> Location:
    return Location(file=f"radius:{key_text(nas, session_id)}")


def _note(
    event: SessionEvent, field: str, message: str, severity: Severity = Severity.WARNING
) -> Problem:
    return Problem(message, _where(event.nas, event.session_id), (field,), severity)


def _behind(state: SessionState, event: SessionEvent) -> str | None:
    """Why ``event`` is no news for ``state`` (a duplicate, an older event), or None."""
    counters = (event.input_octets, event.output_octets)
    last = (state.input_reported, state.output_reported)
    same_time = event.session_time == state.session_time
    if same_time and event.status is state.last_status and counters == last:
        return f"duplicate {event.status} (same session time and counters)"
    if event.session_time > state.session_time:
        return None
    older = f"older {event.status} than the {state.last_status} at {state.last_at.isoformat()}"
    if event.session_time < state.session_time:
        return (
            f"{older}: session time {_secs(event.session_time)} s is behind"
            f" {_secs(state.session_time)} s"
        )
    # The same session time (or a NAS that sends none): news if it moves the session on.
    if _RANK[event.status] < _RANK[state.last_status] or event.at < state.last_at:
        return older
    if event.at == state.last_at and any(c < x for c, x in zip(counters, last, strict=True)):
        return older
    return None


def _secs(value: timedelta) -> int:
    return int(value.total_seconds())


def _delta(
    event: SessionEvent, field: str, last_reported: int, new: int
) -> tuple[int, Problem | None]:
    """The octets to charge for one counter going from ``last_reported`` to ``new``."""
    if new >= last_reported:
        return new - last_reported, None
    name = field.replace("_", " ")
    if not event.gigawords and last_reported < WRAP and new < WRAP:
        delta = new + WRAP - last_reported
        why = f"{name} went back from {last_reported} to {new} with no gigawords: a 32-bit wrap"
        return delta, _note(event, field, f"{why}, {delta} octets charged")
    why = (
        f"{name} went back from {last_reported} to {new}"
        + (" although the NAS sends gigawords" if event.gigawords else " beyond 32 bits")
        + ": the counter was reset (NAS reboot?)"
    )
    return new, _note(event, field, f"{why}; the {new} octets since are charged", Severity.ERROR)


def _record(
    state: SessionState,
    status: str,
    at: datetime,
    duration: timedelta,
    up: int,
    down: int,
    extra: tuple[tuple[str, str], ...] = (),
) -> UsageRecord:
    marker = f"{status}:{_secs(state.session_time)}:{state.input_charged}:{state.output_charged}"
    attributes = (("nas", state.nas), ("status", status), *extra)
    return UsageRecord(
        source=state.source,
        record_id=f"{key_text(state.nas, state.session_id)}#{marker}",
        account=state.account or UNIDENTIFIED,
        category=Category.DATA,
        start=at - duration,
        service=state.service,
        subject=state.subject,
        destination=state.destination,
        duration=duration,
        volume_up=up,
        volume_down=down,
        session_id=state.session_id,
        multi_session_id=state.multi_session_id,
        attributes=attributes,
    )


def _first_state(event: SessionEvent) -> SessionState:
    return SessionState(
        source=event.source,
        nas=event.nas,
        session_id=event.session_id,
        account=event.account,
        started_at=event.at if event.status is Status.START else event.at - event.session_time,
        last_at=event.at,
        last_status=Status.START,
        started=event.status is Status.START,
    )


def mediate(state: SessionState | None, event: SessionEvent) -> Mediation:
    """The new state of a session after ``event``, and the usage it charges.

    ``state`` is what the previous :func:`mediate` returned for the session (``event.key``),
    or None when the session has not been seen.
    """
    problems: list[Problem] = []
    if state is None:
        state = _first_state(event)
        if event.status is not Status.START:
            message = f"{event.status} of a session with no start: its whole counters are charged"
            problems.append(_note(event, "session_id", message))
    elif state.stopped:
        why = "duplicate stop" if event.status is Status.STOP else f"{event.status} after the stop"
        ignored = _note(event, "status", f"{why} at {state.last_at.isoformat()}: ignored")
        return Mediation(state, (), (ignored,), ignored=True)
    else:
        reason = _behind(state, event)
        if reason is not None:
            ignored = _note(event, "status", f"{reason}: ignored")
            return Mediation(state, (), (ignored,), ignored=True)
        if state.closed is not None:
            message = f"{event.status} of a session closed ({state.closed}): charged still"
            problems.append(_note(event, "status", message))
    up, wrap_in = _delta(event, "input_octets", state.input_reported, event.input_octets)
    down, wrap_out = _delta(event, "output_octets", state.output_reported, event.output_octets)
    problems += [p for p in (wrap_in, wrap_out) if p is not None]
    duration = max(event.session_time - state.session_time, timedelta(0))
    new = _replace(
        state,
        account=event.account or state.account,
        last_at=max(event.at, state.last_at),
        last_status=event.status,
        started=state.started or event.status is Status.START,
        session_time=max(event.session_time, state.session_time),
        input_reported=event.input_octets,
        output_reported=event.output_octets,
        input_charged=state.input_charged + up,
        output_charged=state.output_charged + down,
        stopped=event.status is Status.STOP,
        subject=event.subject or state.subject,
        destination=event.destination or state.destination,
        service=event.service or state.service,
        multi_session_id=event.multi_session_id or state.multi_session_id,
        interim_interval=event.interim_interval or state.interim_interval,
    )
    if not (up or down or duration or event.status is Status.STOP):
        return Mediation(new, (), tuple(problems))
    if new.account is None:
        problems.append(_note(event, "account", f"no User-Name: account {UNIDENTIFIED!r}"))
    extra = [("mediation", p.message) for p in problems]
    if event.terminate_cause is not None:
        extra.append(("terminate_cause", event.terminate_cause))
    usage = _record(new, event.status, event.at, duration, up, down, tuple(extra))
    return Mediation(new, (usage,), tuple(problems))


def close(state: SessionState, at: datetime, reason: str) -> Mediation:
    """Close an open session without its stop: a closing record (no usage, the reason in its
    attributes). A session already stopped or closed is left as it is."""
    if not state.open:
        return Mediation(state, ignored=True)
    new = _replace(state, closed=reason[:200])
    end = max(at, state.last_at)
    usage = _record(new, "closed", end, timedelta(0), 0, 0, (("close_reason", reason),))
    where = _where(state.nas, state.session_id)
    problem = Problem(f"closed: {reason}", where, ("status",), Severity.WARNING)
    return Mediation(new, (usage,), (problem,))


def _replace(state: SessionState, **changes: object) -> SessionState:
    """``state`` with ``changes``, validated."""
    values = {name: getattr(state, name) for name in state.__dataclass_fields__}
    return SessionState(**(values | changes))


def close_stale(
    states: Iterable[SessionState], now: datetime, timeout: timedelta
) -> tuple[Mediation, ...]:
    """Close the open sessions with no event for longer than ``timeout`` before ``now`` (see
    :func:`stale_timeout`), each with the reason ``stale: no update since …``. Only events that
    were news count: a stream of duplicates does not keep a session alive."""
    return tuple(
        close(s, now, f"stale: no update since {s.last_at.isoformat()}")
        for s in states
        if s.open and now - s.last_at > timeout
    )


def close_nas(states: Iterable[SessionState], event: NasEvent) -> tuple[Mediation, ...]:
    """Close the open sessions of the NAS that sent Accounting-On or Accounting-Off: they
    ended when it restarted or stopped."""
    what = "Accounting-On: the NAS restarted" if event.status is NasStatus.ON else (
        "Accounting-Off: the NAS stopped accounting")  # fmt: skip
    return tuple(
        close(s, event.at, f"{what} at {event.at.isoformat()}")
        for s in states
        if s.open and s.nas == event.nas and s.source == event.source
    )
