"""Time rules of lifecycle steps recorded after the fact: a timezone, not in the future, not
before detection, not before the latest lifecycle step; automatic notes do not count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from servanda.events.incidents import SYSTEM, Incident, IncidentState, Transition
from servanda.events.lifecycle import (
    FUTURE_TOLERANCE,
    TARGETS,
    InvalidTransition,
    acknowledge,
    already_recorded,
    close,
    correct,
    reopen,
    step_floor,
    time_problem,
    too_early,
)
from servanda.events.model import Severity

T = datetime(2024, 4, 11, 10, 2, 7, tzinfo=UTC)
PARIS = timezone(timedelta(hours=2))
_S = IncidentState


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def incident() -> Incident:
    """Detected at T, opened by the correlator, its root recovered at T + 105 min."""
    return Incident(
        id="inc-1",
        root="backhaul-strasbourg",
        root_fingerprints=("b1",),
        state=_S.DETECTED,
        severity=Severity.CRITICAL,
        detected_at=T,
        resolved_at=at(105),
        transitions=(
            Transition(None, _S.DETECTED, T, SYSTEM, "backhaul-strasbourg failed"),
            Transition(_S.DETECTED, _S.DETECTED, at(105), SYSTEM, "backhaul recovered"),
        ),
    )


def test_a_time_needs_a_timezone_and_may_not_be_in_the_future() -> None:
    now = at(60 * 24 * 900)
    naive = datetime(2024, 4, 11, 12, 5)  # noqa: DTZ001
    assert "no timezone" in (time_problem(naive, now) or "")
    assert time_problem(at(3), now) is None
    assert time_problem(now + FUTURE_TOLERANCE, now) is None
    late = time_problem(now + FUTURE_TOLERANCE + timedelta(seconds=1), now)
    assert late is not None
    assert "in the future" in late
    assert time_problem(now + timedelta(hours=1), now, timedelta(hours=2)) is None


def test_a_late_acknowledgement_gives_the_right_mtta() -> None:
    acked = acknowledge(incident(), datetime(2024, 4, 11, 12, 5, tzinfo=PARIS), "alice")
    assert acked.mtta == timedelta(minutes=2, seconds=53)
    assert acked.transitions[-1].at == at(2 + 53 / 60)


def test_automatic_notes_do_not_bound_a_step_but_steps_stay_in_time_order() -> None:
    inc = incident()
    assert step_floor(inc) == (T, None)  # the recovery at +105 min is a note, not a step
    inc = acknowledge(inc, at(3), "alice")
    assert step_floor(inc) == (at(3), inc.transitions[-1])
    message = too_early(inc, at(2), _S.CORRECTED)
    assert message is not None
    assert "before the incident's latest step (acknowledged at" in message
    with pytest.raises(InvalidTransition, match="latest step"):
        correct(inc, at(2), "bob")
    inc = correct(inc, at(3), "bob")  # the same time as the step before is fine
    with pytest.raises(InvalidTransition, match="before detection"):
        acknowledge(incident(), at(-1), "alice")


def test_a_reopening_counts_even_when_it_moves_no_state() -> None:
    # The root recovered while detected: a person may reopen it; that reopening is a step.
    reopened = reopen(incident(), at(110), "carol")
    assert step_floor(reopened)[0] == at(110)
    with pytest.raises(InvalidTransition, match="latest step"):
        acknowledge(reopened, at(100), "alice")
    # An automatic reopening that moves the state counts too.
    closed = close(correct(acknowledge(incident(), at(3), "a"), at(50), "b"), at(60), "b",
                   validation_required=False)  # fmt: skip
    auto = replace(
        closed,
        state=_S.DETECTED,
        transitions=(*closed.transitions, Transition(_S.CLOSED, _S.DETECTED, at(70), SYSTEM)),
    )
    assert step_floor(auto)[0] == at(70)


def test_a_step_seen_again_is_recognised_by_its_state_and_time() -> None:
    inc = acknowledge(incident(), at(3), "alice")
    assert already_recorded(inc, TARGETS["acknowledge"], at(3))
    assert already_recorded(inc, _S.ACKNOWLEDGED, at(3).astimezone(PARIS))
    assert not already_recorded(inc, _S.ACKNOWLEDGED, at(4))
    assert not already_recorded(inc, _S.CORRECTED, at(3))
    # The opening entry is no reopening.
    assert not already_recorded(incident(), TARGETS["reopen"], T)
