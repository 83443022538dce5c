"""Lifecycle steps recorded after the fact: one step at a given time, and the steps of a
ticketing export.

:func:`record_step` moves an incident at the time given (now when none): an incident of April
acknowledged in a ticket at 12:05 and recorded today gets the MTTA of 12:05. The time rules
are the domain's (:mod:`servanda.events.lifecycle`): a timezone, not in the future, not before
detection nor before the incident's latest step.

:func:`import_steps` records the rows of an export (:mod:`servanda.ingest.lifecycle_steps`):

* **all or nothing** — every row is checked first, against the incident it names (by id, or
  by one of its alerts, following merges), in time order per incident, with the same rules as a
  single step and the agreements' rule of who validates; any problem is reported at its row and
  field, and nothing is recorded;
* **in time order** — the rows are recorded oldest first, so each incident's trail stays in
  time order whatever order the file lists them in;
* **idempotent** — a row whose step is already in the trail at that time (same state) is
  skipped and counted, so importing the same file twice changes nothing the second time.

Every step goes through :meth:`~servanda.services.events.EventEngine.act`, the one writer of
correlation state, one transaction per step. Should a step fail after the check (another
process moved the incident meanwhile), the steps before it stay recorded; importing the file
again records the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from servanda.core.access import Action, Principal, Role
from servanda.core.problems import Forbidden, InvalidInput, Problem
from servanda.events.incidents import Incident
from servanda.events.lifecycle import (
    TARGETS,
    Actor,
    InvalidTransition,
    Move,
    already_recorded,
    time_problem,
    too_early,
)
from servanda.ingest.lifecycle_steps import StepRow
from servanda.services.events import EventEngine, _move, _validation_rules
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.events import EventRepository
from servanda.storage.repositories.incidents import IncidentRepository

_MERGES = 32
"""At most this many merges are followed from an alert's incident."""


def record_step(
    events: EventEngine,
    principal: Principal,
    incident_id: str,
    step: Move,
    now: datetime,
    *,
    at: datetime | None = None,
    note: str = "",
    by: str | None = None,
    on_behalf_of: str | None = None,
) -> Incident:
    """Move an incident one step at ``at`` (``now`` when None), kept in UTC.

    Raises :class:`InvalidInput` (at ``at``) for a time without timezone or in the future, and
    what :meth:`~servanda.services.events.EventEngine.act` raises: :class:`NotFound`,
    :class:`Forbidden`, :class:`InvalidTransition` (a time before detection or before the
    latest step among them).
    """
    when = now if at is None else at
    reason = time_problem(when, now)
    if reason is not None:
        raise InvalidInput([Problem(reason, path=("at",))])
    when = when.astimezone(UTC)
    return events.act(principal, incident_id, step, when, note, by=by, on_behalf_of=on_behalf_of)


@dataclass(frozen=True, slots=True)
class StepImport:
    """What an import of lifecycle steps did."""

    received: int
    """Rows read."""
    applied: int
    """Steps recorded."""
    already: int
    """Rows whose step the trail already held (at that time, to that state): skipped."""
    incidents: tuple[str, ...]
    """The incidents moved, sorted."""


@dataclass(frozen=True, slots=True)
class _Planned:
    """A row to record, on the incident it resolved to."""

    row: StepRow
    incident_id: str


def import_steps(
    events: EventEngine,
    principal: Principal,
    rows: Sequence[StepRow],
    now: datetime,
    *,
    by: str | None = None,
) -> StepImport:
    """Record the steps of ``rows`` (all of them, or none): see the module documentation.

    ``by`` names who acted in rows that do not say (an administrator only; the command line
    passes the login name); otherwise the principal acts. Staff only. Raises
    :class:`InvalidInput` with every problem at its row and field, :class:`Forbidden` when a
    row names who acted and the principal is no administrator.
    """
    principal.require(Action.MANAGE_INCIDENTS)
    if principal.role is not Role.ADMIN and (by is not None or any(r.by for r in rows)):
        raise Forbidden("only an administrator may record steps in someone else's name (by)")
    problems = [
        r.problem("on_behalf_of", "on behalf of applies to validation only")
        for r in rows
        if r.on_behalf_of is not None and r.step != "validate"
    ]
    with transaction(events.engine) as session:
        resolved, wrong = _resolve(session, principal, rows)
        problems += wrong
        planned, already = _check(session, principal, resolved, now, by, problems)
    if problems:
        raise InvalidInput(problems)
    moved: set[str] = set()
    for p in planned:
        r = p.row
        who = r.by if r.by is not None else by
        events.act(principal, p.incident_id, r.step, r.at, r.note, by=who,
                   on_behalf_of=r.on_behalf_of)  # fmt: skip
        moved.add(p.incident_id)
    return StepImport(len(rows), len(planned), already, tuple(sorted(moved)))


def _resolve(
    session: Session, principal: Principal, rows: Sequence[StepRow]
) -> tuple[list[tuple[StepRow, Incident]], list[Problem]]:
    """Each row with the incident it names (an alert's incident, following merges), and the
    problems of the rows that name none."""
    fingerprints = {r.alert for r in rows if r.alert is not None}
    alerts = EventRepository(session).alerts(fingerprints=fingerprints) if fingerprints else []
    owner = {a.fingerprint: a.incident_id for a in alerts}
    repo = IncidentRepository(session)
    cache: dict[str, Incident | None] = {}

    def incident(incident_id: str) -> Incident | None:
        if incident_id not in cache:
            cache[incident_id] = repo.get(incident_id, party=principal.scope)
        return cache[incident_id]

    found: list[tuple[StepRow, Incident]] = []
    problems: list[Problem] = []
    for r in rows:
        if r.incident is not None:
            inc = incident(r.incident)
            if inc is None:
                problems.append(r.problem("incident", f"no incident {r.incident!r}"))
                continue
            found.append((r, inc))
            continue
        fingerprint = r.alert or ""
        if fingerprint not in owner:
            problems.append(r.problem("alert", f"no alert with fingerprint {fingerprint!r}"))
            continue
        inc = None
        next_id = owner[fingerprint]
        for _ in range(_MERGES):
            inc = incident(next_id) if next_id is not None else None
            if inc is None or inc.merged_into is None:
                break
            next_id = inc.merged_into
        if inc is None:
            problems.append(r.problem("alert", f"alert {fingerprint!r} belongs to no incident"))
            continue
        found.append((r, inc))
    return found, problems


def _check(
    session: Session,
    principal: Principal,
    resolved: list[tuple[StepRow, Incident]],
    now: datetime,
    by: str | None,
    problems: list[Problem],
) -> tuple[list[_Planned], int]:
    """The rows to record, oldest first, and how many were recorded already; the problems of
    the others go to ``problems``. Each incident's rows are tried in time order on it."""
    bundle = BundleRepository(session).load()
    repo = IncidentRepository(session)
    current: dict[str, Incident] = {}
    rules: dict[str, dict[str, str | None]] = {}
    order = sorted(range(len(resolved)), key=lambda i: (resolved[i][0].at, i))
    planned: list[_Planned] = []
    already = 0
    for i in order:
        r, found = resolved[i]
        inc = current.setdefault(found.id, found)
        to = TARGETS[r.step]
        if already_recorded(inc, to, r.at):
            already += 1
            continue
        reason = time_problem(r.at, now) or too_early(inc, r.at, to)
        if reason is not None:
            problems.append(r.problem("time", f"incident {inc.id}: {reason}"))
            continue
        if inc.id not in rules:
            rules[inc.id] = _validation_rules(bundle, repo.outages(incident_id=inc.id))
        actor: Actor = r.by or by or principal
        try:
            current[inc.id] = _move(inc, r.step, r.at, actor, r.note, rules[inc.id],
                                    r.on_behalf_of)  # fmt: skip
        except InvalidTransition as exc:
            problems.append(r.problem("step", str(exc)))
            continue
        planned.append(_Planned(r, inc.id))
    return planned, already
