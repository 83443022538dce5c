"""Event saturation figures: how much noise correlation removed in a period.

Computed from records passed in: the events received, the incidents the correlator made, and
(optionally) the alert records, for flapping. Over the half-open period ``[start, end)``:

* *alerts in*: distinct observations (event idempotency keys) whose event time falls in the
  period (firing: ``starts_at``; resolved: ``ends_at``); exact re-sends count once;
* *incidents out*: incidents detected in the period, not counting those merged into another;
* *reduction*: ``1 − incidents / alerts`` (0 when there were no alerts);
* *noisiest*: the top ``top`` sources, nodes (``unmapped`` for events with none) and alert
  names by alerts in, ties by name;
* *flapping*: fingerprints of alerts marked flapping whose flapping started in the period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from servanda.core.records import record
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
    """Alerts that started flapping in the period."""


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
) -> Saturation:
    """The saturation figures of ``[start, end)``."""
    if end < start:
        raise ValueError(f"period ends before it starts: {end} < {start}")
    seen: set[tuple[str, str, datetime, datetime | None]] = set()
    sources: Counter[str] = Counter()
    nodes: Counter[str] = Counter()
    names: Counter[str] = Counter()
    unmapped = 0
    for ev in events:
        when = ev.ends_at if ev.status is Status.RESOLVED and ev.ends_at else ev.starts_at
        if not start <= when < end or ev.key in seen:
            continue
        seen.add(ev.key)
        sources[ev.source] += 1
        nodes[ev.node or "unmapped"] += 1
        unmapped += ev.node is None
        names[ev.label("alertname") or ev.summary or ev.fingerprint] += 1
    out = sum(1 for i in incidents if i.merged_into is None and start <= i.detected_at < end)
    flapping = sorted(
        a.fingerprint
        for a in alerts
        if a.flapping_since is not None and start <= a.flapping_since < end
    )
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
