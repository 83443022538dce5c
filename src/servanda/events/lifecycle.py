"""The incident lifecycle: pure functions from one incident record to the next.

    detected → acknowledged → corrected → validated → closed
    corrected | validated | closed → detected            (reopen)

Each function returns a new :class:`~servanda.events.incidents.Incident` with the state, its
timestamp and one more :class:`~servanda.events.incidents.Transition` (who, when, note), or
raises :class:`InvalidTransition` saying why the move is not allowed. Nothing else changes.

Who may validate a correction follows, customer by customer, the responsibilities of each
impacted customer's agreement (``validates_correction`` of the effective agreement):

* ``None`` or ``provider``: the provider's staff, i.e. an ``operator`` or ``admin`` principal
  (or a plain name: the command line acts as the local administrator);
* ``customer``: that customer (a ``customer`` principal bound to it), or an ``admin`` acting for
  it, who must say so (``on_behalf_of``, recorded in the trail);
* ``both``: either of the above;
* any other value names one party: a customer principal bound to it, or an admin acting for it.

Validation is **per impacted customer**: a step validates the correction for the customers the
actor may validate for (recorded as the step's ``validated_for``), and the incident becomes
``validated`` once every impacted customer is covered; until then the step stays in the trail
as ``corrected → corrected`` and :func:`pending_validation` names who is still awaited. Only an
administrator acts ``on_behalf_of`` a party; anyone else naming one is refused, so the trail
never records a step its actor could not take. With no impacted customer the provider validates.

Closing needs a validated correction; when no agreement asks for validation, pass
``validation_required=False`` to close a corrected incident directly.

Time rules. A step may be recorded after the fact (back-filled from a ticket), so its time is
an argument, and it must be sane:

* it has a timezone;
* it is not in the future (:func:`time_problem`, given the clock's ``now``, allows
  :data:`FUTURE_TOLERANCE` for clocks that disagree);
* it is not before the incident's detection, nor before its latest lifecycle step
  (:func:`step_floor`): the steps of the trail stay in time order. Automatic notes that move
  no state (the root recovered, a merge taken over) do not count: a fault that cleared at
  12:00 may have been acknowledged at 10:05.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from servanda.core.access import Principal, Role
from servanda.core.problems import ServandaError
from servanda.events.incidents import SYSTEM, Incident, IncidentState, Transition

Actor = Principal | str
"""Who acts: a principal (API) or a person's name (command line, local administrator)."""


class InvalidTransition(ServandaError):
    """The incident cannot make this move (wrong state, or the actor may not)."""


_S = IncidentState

FUTURE_TOLERANCE = timedelta(minutes=1)
"""How far ahead of the clock a step may be (clocks of people and servers disagree a little)."""

Move = Literal["acknowledge", "correct", "validate", "close", "reopen"]
"""The moves a person can make on an incident."""

TARGETS: dict[Move, IncidentState] = {
    "acknowledge": _S.ACKNOWLEDGED,
    "correct": _S.CORRECTED,
    "validate": _S.VALIDATED,
    "close": _S.CLOSED,
    "reopen": _S.DETECTED,
}
"""The state each move leads to."""


def time_problem(
    at: datetime, now: datetime, tolerance: timedelta = FUTURE_TOLERANCE
) -> str | None:
    """Why a step cannot be at ``at`` as seen at ``now`` (no timezone, in the future), or
    None when it can."""
    if at.tzinfo is None or at.utcoffset() is None:
        return (
            f"{at.isoformat()} has no timezone; write it with its offset, "
            "e.g. 2024-04-11T12:05:00+02:00 or 2024-04-11T10:05:00Z"
        )
    if at > now + tolerance:
        return f"{at.isoformat()} is in the future (it is {now.isoformat()} now)"
    return None


def step_floor(incident: Incident) -> tuple[datetime, Transition | None]:
    """The earliest time of the incident's next step, and the step that sets it (None when
    it is the detection): its latest transition made by a person or moving the state."""
    for t in reversed(incident.transitions):
        if t.from_state is not None and (t.by != SYSTEM or t.from_state is not t.to_state):
            if t.at > incident.detected_at:
                return t.at, t
            break
    return incident.detected_at, None


def too_early(incident: Incident, at: datetime, to: IncidentState) -> str | None:
    """Why a step to ``to`` cannot be at ``at`` (before detection, or before the latest
    lifecycle step), or None when it can."""
    floor, step = step_floor(incident)
    if at >= floor:
        return None
    if step is None:
        return f"{to.value} at {at.isoformat()} is before detection ({floor.isoformat()})"
    return (
        f"{to.value} at {at.isoformat()} is before the incident's latest step "
        f"({step.to_state.value} at {floor.isoformat()}); steps are recorded in time order"
    )


def already_recorded(incident: Incident, to: IncidentState, at: datetime) -> bool:
    """Whether the trail holds a step to ``to`` at ``at`` (an imported step seen again; a
    validation that left other customers waiting counts as a step to ``validated``)."""
    return any(
        t.from_state is not None
        and t.at == at
        and (t.to_state is to or (to is _S.VALIDATED and bool(t.validated_for)))
        for t in incident.transitions
    )


def actor_name(by: Actor) -> str:
    """How an actor is written in the audit trail, e.g. ``customer:acme`` or ``admin:tok-1``."""
    if isinstance(by, str):
        name = by.strip()
        if not name:
            raise InvalidTransition("say who acts: the actor's name is empty")
        return name
    who = by.party if by.role is Role.CUSTOMER else by.token_id
    return f"{by.role.value}:{who}" if who else by.role.value


def _step(
    incident: Incident,
    allowed_from: tuple[IncidentState, ...],
    to: IncidentState,
    at: datetime,
    by: Actor,
    note: str,
    on_behalf_of: str | None = None,
    validated_for: tuple[str, ...] = (),
) -> Transition:
    if incident.merged_into is not None:
        raise InvalidTransition(
            f"incident {incident.id} was merged into {incident.merged_into}; act on that one"
        )
    if incident.state not in allowed_from:
        froms = " or ".join(s.value for s in allowed_from)
        raise InvalidTransition(
            f"incident {incident.id} is {incident.state.value}; it can become {to.value} "
            f"only when {froms}"
        )
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidTransition("the time of a transition needs a timezone")
    early = too_early(incident, at, to)
    if early is not None:
        raise InvalidTransition(early)
    return Transition(
        incident.state, to, at, actor_name(by), note.strip(), on_behalf_of,
        validated_for=validated_for,
    )  # fmt: skip


def acknowledge(incident: Incident, at: datetime, by: Actor, note: str = "") -> Incident:
    """detected → acknowledged; the first acknowledgement time is kept for MTTA."""
    step = _step(incident, (_S.DETECTED,), _S.ACKNOWLEDGED, at, by, note)
    first = incident.acknowledged_at or at
    return replace(
        incident,
        acknowledged_at=first,
        state=step.to_state,
        transitions=(*incident.transitions, step),
    )


def correct(incident: Incident, at: datetime, by: Actor, note: str = "") -> Incident:
    """acknowledged → corrected: someone says the fault is fixed."""
    step = _step(incident, (_S.ACKNOWLEDGED,), _S.CORRECTED, at, by, note)
    return replace(
        incident, corrected_at=at, state=step.to_state, transitions=(*incident.transitions, step)
    )


def _acts_for(by: Actor, on_behalf_of: str | None) -> tuple[bool, str | None]:
    """(whether ``by`` acts as the provider's staff, the party it acts for)."""
    role = Role.ADMIN if isinstance(by, str) else by.role
    if on_behalf_of is not None:
        if role is not Role.ADMIN:
            raise InvalidTransition(
                "only an administrator validates on behalf of a party; validate as yourself"
            )
        return False, on_behalf_of
    if role is Role.CUSTOMER:
        assert not isinstance(by, str)
        return False, by.party
    return role in (Role.ADMIN, Role.OPERATOR), None


def _covers(staff: bool, party: str | None, customer: str, rule: str | None) -> bool:
    term = (rule or "provider").strip()
    if term == "provider" or (term == "both" and staff):
        return staff
    if party is None:
        return False
    return party == customer if term in ("customer", "both") else party == term


def _who(customer: str, rule: str | None) -> str:
    term = (rule or "provider").strip()
    if term == "provider":
        return "the provider"
    if term == "both":
        return f"{customer} or the provider"
    return customer if term == "customer" else term


def validations(incident: Incident) -> tuple[Transition, ...]:
    """The validation steps since the incident's latest correction, oldest first."""
    steps: list[Transition] = []
    for t in reversed(incident.transitions):
        if t.to_state is _S.CORRECTED and t.from_state is not _S.CORRECTED:
            break
        if t.validated_for:
            steps.append(t)
    return tuple(reversed(steps))


def pending_validation(incident: Incident, rules: Mapping[str, str | None]) -> tuple[str, ...]:
    """The impacted customers (``rules``: customer → ``validates_correction``) whose
    validation of the current correction is still awaited, sorted."""
    done = {c for t in validations(incident) for c in t.validated_for}
    return tuple(sorted(c for c in rules if c not in done))


def may_validate(
    by: Actor, rules: Mapping[str, str | None], on_behalf_of: str | None = None
) -> tuple[str, ...]:
    """The customers ``by`` may validate for under ``rules`` (customer →
    ``validates_correction``), or raises :class:`InvalidTransition` saying who may."""
    staff, party = _acts_for(by, on_behalf_of)
    covered = tuple(sorted(c for c, r in rules.items() if _covers(staff, party, c, r)))
    if covered:
        return covered
    if not rules:
        if staff:
            return ()
        raise InvalidTransition("no customer is impacted: the provider validates this correction")
    whom = ", ".join(f"for {c} by {_who(c, r)}" for c, r in sorted(rules.items()))
    actor = party if party is not None else "the provider"
    hint = (
        ""
        if on_behalf_of is not None or party is not None
        else (" (an administrator may act for a party by naming it: on behalf of)")
    )
    raise InvalidTransition(
        f"{actor} may not validate this correction: it is validated {whom}{hint}"
    )


def validate(
    incident: Incident,
    at: datetime,
    by: Actor,
    note: str = "",
    *,
    rules: Mapping[str, str | None] | None = None,
    on_behalf_of: str | None = None,
) -> Incident:
    """Validate the correction for the impacted customers ``by`` may validate for.

    ``rules`` maps each impacted customer to its agreement's ``validates_correction`` (empty or
    None: no customer is impacted, the provider validates). The incident becomes ``validated``
    when no customer is left waiting; before that the step is recorded as ``corrected →
    corrected`` with the customers it validated for. Raises :class:`InvalidTransition` when the
    actor may validate for none of those still waiting.
    """
    wanted = dict(rules or {})
    try:
        covered = may_validate(by, wanted, on_behalf_of)
    except InvalidTransition as exc:
        raise InvalidTransition(f"incident {incident.id}: {exc}") from None
    waiting = pending_validation(incident, wanted)
    newly = tuple(c for c in covered if c in waiting)
    if covered and not newly:
        raise InvalidTransition(
            f"incident {incident.id}: already validated for {', '.join(covered)}; "
            f"waiting for {', '.join(waiting) or 'nobody'}"
        )
    rest = tuple(c for c in waiting if c not in newly)
    to = _S.CORRECTED if rest else _S.VALIDATED
    step = _step(incident, (_S.CORRECTED,), to, at, by, note, on_behalf_of, newly)
    if rest:
        return replace(incident, transitions=(*incident.transitions, step))
    return replace(
        incident, validated_at=at, state=step.to_state, transitions=(*incident.transitions, step)
    )


def close(
    incident: Incident,
    at: datetime,
    by: Actor,
    note: str = "",
    *,
    validation_required: bool = True,
) -> Incident:
    """validated → closed (or corrected → closed when no validation is required)."""
    allowed = (_S.VALIDATED,) if validation_required else (_S.VALIDATED, _S.CORRECTED)
    step = _step(incident, allowed, _S.CLOSED, at, by, note)
    return replace(
        incident, closed_at=at, state=step.to_state, transitions=(*incident.transitions, step)
    )


def reopen(incident: Incident, at: datetime, by: Actor, note: str = "") -> Incident:
    """corrected, validated or closed → detected: the fix did not hold.

    Clears ``corrected_at``, ``validated_at`` and ``closed_at`` (the trail keeps them) and counts
    the reopening. The correlator calls it with ``by="servanda"`` when the fault returns; it
    then also clears ``resolved_at``.
    """
    allowed: tuple[IncidentState, ...] = (_S.CORRECTED, _S.VALIDATED, _S.CLOSED)
    if incident.state is _S.DETECTED or incident.state is _S.ACKNOWLEDGED:
        if incident.resolved_at is None:
            raise InvalidTransition(f"incident {incident.id} is still open ({incident.state})")
        allowed = (incident.state, *allowed)
    step = _step(incident, allowed, _S.DETECTED, at, by, note)
    return replace(
        incident,
        corrected_at=None,
        validated_at=None,
        closed_at=None,
        reopen_count=incident.reopen_count + 1,
        state=step.to_state,
        transitions=(*incident.transitions, step),
    )
