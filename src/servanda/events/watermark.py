"""Event-time order within a lateness: the correlator sees observations in the order they
happened, whatever order they arrived in.

Observations arrive out of order. Alertmanager sends a new alert of a group only at the
group's next ``group_interval`` (five minutes by default), two Prometheus servers or two
Alertmanagers send the same fault at different moments, a batch is retried, a replay comes
shuffled. Correlation decides by event time (which root failed first, whether a symptom
resolved within the grace), so :class:`Resequencer` holds each observation back until nothing
earlier can still come on time, and hands the correlator what it held in event-time order:

* An observation's *event time* is when it says something happened: ``starts_at`` when
  firing, ``ends_at`` when resolved (the correlator's own order).
* The *clock* is the latest event time received, each counted no later than its batch was
  received (see :func:`clamp_future` for sources whose clock runs ahead).
* The *watermark* is the clock less the *lateness*. When no batch has come for a lateness
  (the sources are quiet), time goes on without alerts: a tick at ``T`` takes the clock to
  have run on with ``T`` since the last batch arrived, so a live source's watermark follows
  ``T - lateness`` and a replay's runs as far behind as its events did. With a lateness of
  zero, every observation is applied when it arrives.
* An observation later than the watermark waits. When the watermark passes it, it goes to the
  correlator with everything else the watermark passed, in event-time order, and the
  correlator's clock is the watermark: its time-based decisions (symptom grace, flapping
  quiet, hold-down) are taken there, after every observation that came on time before them.
  So for observations that arrive at most a lateness after the latest one, the result is that
  of the same observations applied one at a time in event-time order, however they were
  batched and in whatever order the batches came.
* An observation at or before the watermark when it arrives is *late*: it is applied at once,
  at the watermark, by the correlator's rules for late observations (a late symptom joins its
  root's incident, a late root takes over the incidents of the nodes it had down, a decision
  already taken is not revisited), and counted.
* :meth:`Resequencer.settle` says the input is complete (a file import): the watermark moves
  to the time given and everything waiting is applied.

Everything here is a function of the inputs and their receiving times, so a correlator
rebuilt from a snapshot and the journal after it holds exactly what an uninterrupted one does.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from servanda.events.correlate import Changes, Correlator
from servanda.events.model import Event, Status

_EPOCH = datetime(1, 1, 2, tzinfo=UTC)

FUTURE_TOLERANCE = timedelta(minutes=1)
"""How far ahead of the receiving clock an observation's times may be before they are
corrected (clocks of sources and servers disagree a little)."""


def event_time(ev: Event) -> datetime:
    """When an observation says something happened: its end when resolved, else its start."""
    if ev.status is Status.RESOLVED and ev.ends_at is not None:
        return ev.ends_at
    return ev.starts_at


@dataclass(frozen=True, slots=True)
class Clamped:
    """An observation as it is kept, and how far its source's clock was ahead."""

    event: Event
    skew: timedelta | None
    """How far its latest time was ahead of the receiving time (None when within the
    tolerance: nothing was corrected)."""


def clamp_future(ev: Event, received: datetime, tolerance: timedelta = FUTURE_TOLERANCE) -> Clamped:
    """The clock-skew rule: an observation dated more than ``tolerance`` after it was received
    (its source's clock runs ahead) is kept with its times no later than ``received``, so its
    incident does not start in the future (nobody could acknowledge it until then) and it
    does not drag the event clock ahead of every other source. A resolved observation without
    an end is given the receiving time as its end. The skew is reported."""
    end = ev.ends_at
    if ev.status is Status.RESOLVED and end is None:
        end = received
    latest = max(ev.starts_at, end) if end is not None else ev.starts_at
    if latest - received <= tolerance:
        return Clamped(ev if end == ev.ends_at else replace(ev, ends_at=end), None)
    start = min(ev.starts_at, received)
    end = None if end is None else max(min(end, received), start)
    return Clamped(replace(ev, starts_at=start, ends_at=end), latest - received)


@dataclass(frozen=True, slots=True)
class Offered:
    """What offering one batch did."""

    changes: Changes
    """What the correlator changed (for whatever the watermark released, not only this batch)."""
    late: int
    """Observations of the batch that came at or before the watermark (applied at once)."""
    waiting: int
    """Observations of the batch still waiting for the watermark."""


class Resequencer:
    """Feeds a :class:`Correlator` in event-time order within ``lateness`` (see the module)."""

    def __init__(
        self,
        correlator: Correlator,
        lateness: timedelta,
        *,
        clock: datetime | None = None,
        since: datetime | None = None,
    ) -> None:
        """``clock`` and ``since``: for a correlator rebuilt from stored state, the latest
        event time it applied and when (its watermark starts at the clock)."""
        if lateness < timedelta(0):
            raise ValueError("the lateness cannot be negative")
        self.correlator = correlator
        self.lateness = lateness
        self.pending: list[tuple[datetime, int, int, Event]] = []
        """Observations waiting for the watermark (a heap by event time, then arrival), each
        with the tag of the batch it came in."""
        self.tags: dict[int, int] = {}
        """How many observations of each batch tag wait."""
        self.tag_order: deque[int] = deque()
        """Batch tags in the order offered (the first with observations waiting is
        :meth:`first_waiting_tag`)."""
        self.clock = clock or _EPOCH
        """The latest event time received (no later than its batch was received)."""
        self.watermark = self.clock
        """Observations at or before this were applied; the correlator's clock."""
        self.last_arrival: datetime | None = since
        """When the latest batch was received."""
        self.late = 0
        """Observations that came late, in all (none with a lateness of zero: then every
        observation is applied as it arrives, by choice)."""
        self.arrivals = 0
        """Observations taken, in all (orders those of one instant by arrival)."""

    # -- inputs ----------------------------------------------------------------------------

    def offer(self, events: Sequence[Event], received: datetime, tag: int = 0) -> Offered:
        """Take one batch received at ``received``: apply what the watermark passes.

        ``tag`` names the batch (its journal entry), for :meth:`first_waiting_tag`."""
        late: list[Event] = []
        on_time: list[datetime] = []
        for ev in events:
            at = min(event_time(ev), received)
            if at <= self.watermark:
                late.append(ev)
            else:
                on_time.append(at)
                self.arrivals += 1
                heapq.heappush(self.pending, (at, self.arrivals, tag, ev))
                if at > self.clock:
                    self.clock = at
        if on_time:
            if tag not in self.tags:
                self.tag_order.append(tag)
            self.tags[tag] = self.tags.get(tag, 0) + len(on_time)
        if self.lateness:
            self.late += len(late)
        self.last_arrival = (
            received if self.last_arrival is None else max(self.last_arrival, received)
        )
        changes = self._advance(self._target(received), late)
        waiting = sum(1 for at in on_time if at > self.watermark)
        return Offered(changes, len(late) if self.lateness else 0, waiting)

    def tick(self, now: datetime) -> Changes:
        """Time goes on: when the sources have been quiet for a lateness, the watermark
        follows ``now``; what it passes is applied and the decisions due are taken."""
        return self._advance(self._target(now))

    def settle(self, now: datetime) -> Changes:
        """The input is complete up to ``now``: apply everything waiting, take the decisions
        due at ``now``."""
        return self._advance(max(now, self.clock))

    # -- reading ---------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        """Observations waiting for the watermark."""
        return len(self.pending)

    def earliest_waiting(self) -> datetime | None:
        """The event time of the first observation waiting."""
        return self.pending[0][0] if self.pending else None

    def first_waiting_tag(self) -> int | None:
        """The first batch tag (in the order offered) with observations still waiting."""
        order, tags = self.tag_order, self.tags
        while order and order[0] not in tags:
            order.popleft()
        return order[0] if order else None

    # -- inside ----------------------------------------------------------------------------

    def _target(self, now: datetime) -> datetime:
        """Where the watermark goes at ``now``: a lateness behind the clock; once no batch
        came for a lateness, the clock is taken to run on with ``now`` from the last
        arrival (a live source's events keep pace with the receiving clock, a replay's run
        as far behind it as they did)."""
        target = self.clock - self.lateness
        last = self.last_arrival
        if last is not None and now - last >= self.lateness:
            target = max(target, self.clock + (now - last) - self.lateness)
        return target

    def _advance(self, target: datetime, late: Sequence[Event] = ()) -> Changes:
        """Move the watermark to ``target`` (never back) and apply the late observations and
        what the watermark passed, in event-time order, with the correlator's clock at the
        watermark; the decisions due there are taken even when nothing was released."""
        released: list[Event] = []
        if target > self.watermark:
            self.watermark = target
            pending = self.pending
            tags = self.tags
            while pending and pending[0][0] <= target:
                _, _, tag, ev = heapq.heappop(pending)
                released.append(ev)
                left = tags[tag] - 1
                if left:
                    tags[tag] = left
                else:
                    del tags[tag]
        elif not late:
            return Changes()
        if late or released:
            return self.correlator.process([*late, *released], self.watermark)
        return self.correlator.tick(self.watermark)
