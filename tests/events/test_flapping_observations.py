"""One alert observed resolved, firing, firing again with a new start, then resolved: in one
batch or in four, the outcome is the same and nothing crashes; a warning that stopped
flapping resolves its incident (an alert's lane is an enum, never a bool)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servanda.events.incidents import Incident
from servanda.events.model import Event
from servanda.events.working import Lane

from .test_down_severity import correlator, ev, warn

D = datetime(2024, 4, 2, tzinfo=UTC)
LATER = datetime(2026, 12, 4, tzinfo=UTC)


def hm(h: int, m: int, s: int = 0) -> datetime:
    return D + timedelta(hours=h, minutes=m, seconds=s)


def observations(node: str | None, critical: bool = False) -> list[Event]:
    make = ev if critical else warn
    return [
        make("w", node, hm(3, 24, 30), hm(3, 25)),  # type: ignore[arg-type]
        make("w", node, hm(4, 37, 30)),  # type: ignore[arg-type]
        make("w", node, hm(4, 41, 30)),  # type: ignore[arg-type]
        make("w", node, hm(4, 57, 30), hm(4, 58)),  # type: ignore[arg-type]
    ]


def summary(incidents: list[Incident]) -> list[tuple[str, str, str]]:
    return sorted(
        (str(i.root), str(i.detected_at), str(i.resolved_at))
        for i in incidents
        if i.merged_into is None
    )


@pytest.mark.parametrize("node", [None, "host", "web"])
@pytest.mark.parametrize("critical", [False, True])
@pytest.mark.parametrize("now", [hm(5, 0), LATER])
def test_one_batch_or_four_give_the_same_incidents(
    node: str | None, critical: bool, now: datetime
) -> None:
    events = observations(node, critical)
    together = correlator()
    together.process(events, now)
    apart = correlator()
    for e in events:
        apart.process([e], now)
    assert summary(together.incidents()) == summary(apart.incidents())


@pytest.mark.parametrize("node", [None, "host"])
def test_a_warning_that_stopped_flapping_resolves_at_its_last_end(node: str | None) -> None:
    c = correlator()
    c.process(observations(node), hm(5, 0))
    flapping = c.incidents(open_only=True)
    assert flapping, "still flapping at 05:00, so still open"
    c.tick(hm(5, 14))  # 15 minutes quiet after the 04:58 change
    assert c.incidents(open_only=True) == []
    # (An id its incident had before an earlier alert came stays as a closed record.)
    kept = [i for i in c.incidents() if i.merged_into is None]
    assert all(i.resolved_at is not None for i in kept)
    last = max(kept, key=lambda i: i.detected_at)
    assert last.resolved_at == hm(4, 58)


def test_lanes_are_not_booleans() -> None:
    assert all(lane != True for lane in Lane)  # noqa: E712
    assert all(lane != 1 for lane in Lane)
