"""Event saturation figures: how much noise correlation removed in a period.

Computed from records passed in: the events received, the incidents the correlator made, and
(optionally) the alert records, for flapping. Over the half-open period ``[start, end)``:

* *alerts in*: distinct observations (event idempotency keys) whose event time falls in the
  period (firing: ``starts_at``; resolved: ``ends_at``); exact re-sends count once;
* *incidents out*: incidents detected in the period, not counting those merged into another;
* *reduction*: ``1 − incidents / alerts`` (0 when there were no alerts);
* *noisiest*: the top ``top`` sources, nodes (``unmapped`` for events with none) and alert
  names by alerts in, ties by name;
* *flapping*: fingerprints of alerts that flapped in the period: their observations in the
  period change state at least ``rule.changes`` times within ``rule.window`` somewhere in it
  (every start but an alert's first, and every end, is a change), and alerts whose record says
  flapping started in the period. Derived from the events, so an alert that has since calmed
  down is still listed for the period it flapped in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from servanda.core.records import record
from servanda.events.flapping import FlapRule
from servanda.events.incidents import Alert, Incident
from servanda.events.model import Event, Status


@record
class Ranked:
    """A name and how many alerts it sent."""

    name: str
    count: int


@record
class Saturation:
    """Saturation figures of one period."""

    start: datetime
    end: datetime
    alerts_in: int
    """Distinct observations received."""
    incidents_out: int
    """Incidents detected (merged ones excluded)."""
    reduction: float
    """1 − incidents / alerts."""
    unmapped: int
    """Observations that named no node."""
    sources: tuple[Ranked, ...]
    nodes: tuple[Ranked, ...]
    alertnames: tuple[Ranked, ...]
    flapping: tuple[str, ...]
    """Alerts that flapped in the period."""


def _top(counter: Counter[str], top: int) -> tuple[Ranked, ...]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(Ranked(name=k, count=v) for k, v in ranked)


def saturation(
    start: datetime,
    end: datetime,
    events: Iterable[Event],
    incidents: Iterable[Incident],
    alerts: Iterable[Alert] = (),
    *,
    top: int = 5,
    rule: FlapRule | None = None,
) -> Saturation:
    """The saturation figures of ``[start, end)``."""
    if end < start:
        raise ValueError(f"period ends before it starts: {end} < {start}")
    seen: set[tuple[str, str, datetime, datetime | None]] = set()
    sources: Counter[str] = Counter()
    nodes: Counter[str] = Counter()
    names: Counter[str] = Counter()
    unmapped = 0
    changes: dict[str, tuple[set[datetime], set[datetime]]] = {}
    for ev in events:
        when = ev.ends_at if ev.status is Status.RESOLVED and ev.ends_at else ev.starts_at
        if not start <= when < end or ev.key in seen:
            continue
        seen.add(ev.key)
        sources[ev.source] += 1
        nodes[ev.node or "unmapped"] += 1
        unmapped += ev.node is None
        names[ev.label("alertname") or ev.summary or ev.fingerprint] += 1
        starts, ends = changes.setdefault(ev.fingerprint, (set(), set()))
        starts.add(ev.starts_at)
        if ev.ends_at is not None:
            ends.add(ev.ends_at)
    out = sum(1 for i in incidents if i.merged_into is None and start <= i.detected_at < end)
    rule = rule or FlapRule()
    flapped = {fp for fp, (starts, ends) in changes.items() if _flapped(starts, ends, rule)}
    flapped |= {
        a.fingerprint
        for a in alerts
        if a.flapping_since is not None and start <= a.flapping_since < end
    }
    flapping = sorted(flapped)
    alerts_in = len(seen)
    return Saturation(
        start=start,
        end=end,
        alerts_in=alerts_in,
        incidents_out=out,
        reduction=(1 - out / alerts_in) if alerts_in else 0.0,
        unmapped=unmapped,
        sources=_top(sources, top),
        nodes=_top(nodes, top),
        alertnames=_top(names, top),
        flapping=tuple(flapping),
    )


def _flapped(starts: set[datetime], ends: set[datetime], rule: FlapRule) -> bool:
    """Whether ``rule.changes`` state changes fall within ``rule.window`` somewhere."""
    times = sorted(starts)[1:] + sorted(ends)
    if len(times) < rule.changes:
        return False
    times.sort()
    first = 0
    for last, when in enumerate(times):
        while when - times[first] > rule.window:
            first += 1
        if last - first + 1 >= rule.changes:
            return True
    return False
