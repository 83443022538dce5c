"""Incidents, their audit trail and their outages.

An incident row keeps the :class:`~servanda.events.incidents.Incident` as JSON beside the
columns its queries filter on, except for the parts that grow with it: its symptoms
(``incident_symptoms``, one row per alert), its impact intervals (``incident_impacts``, one row
per interval, numbered per node) and its audit trail (``incident_transitions``, appended only).
An alert storm's incident has thousands of symptoms; :meth:`IncidentRepository.save` given the
record stored before writes only the rows that changed.

Read back, symptoms are listed by start, node and fingerprint, and intervals by node, then in
the order of that node's intervals: the order the correlator lists them in.

Outages (``outages``) are what SLA measurement reads; they are rewritten per incident when they
change. Writes are Core bulk statements (see :mod:`servanda.storage.repositories.events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from servanda.core.records import adapter
from servanda.events.incidents import ImpactedNode, Incident, IncidentState, Symptom, Transition
from servanda.events.outages import StoredOutage
from servanda.storage.database import JSONText
from servanda.storage.repositories.events import insert_rows, upsert
from servanda.storage.repositories.mapping import read
from servanda.storage.tables import (
    IncidentImpactRow,
    IncidentRow,
    IncidentSymptomRow,
    IncidentTransitionRow,
    OutageRow,
)

INCIDENTS: Table = IncidentRow.__table__  # type: ignore[assignment]
TRANSITIONS: Table = IncidentTransitionRow.__table__  # type: ignore[assignment]
SYMPTOMS: Table = IncidentSymptomRow.__table__  # type: ignore[assignment]
IMPACTS: Table = IncidentImpactRow.__table__  # type: ignore[assignment]
OUTAGES: Table = OutageRow.__table__  # type: ignore[assignment]

CHILDREN: set[str] = {"symptoms", "impacted", "transitions"}
"""The parts of an incident stored in their own tables, left out of its JSON record."""
_CHUNK = 500
"""Incident ids per ``IN`` list when reading their rows."""

_SYMPTOM_UPDATE = ("node", "reason", "since", "until")
_IMPACT_UPDATE = ("kind", "fraction", "since", "until", "reason")
_INCIDENT_UPDATE = (
    "record", "state", "root", "severity", "planned", "detected_at", "resolved_at",
    "closed_at", "merged_into", "updated_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Which incidents to list. Every condition given must hold.

    ``since``/``until`` keep incidents whose time overlaps ``[since, until)``: detected before
    ``until`` and not resolved before ``since``. ``party`` keeps only incidents with an outage
    for that customer (a customer principal's scope).
    """

    states: tuple[IncidentState, ...] = ()
    service: str | None = None
    customer: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    root: str | None = None
    planned: bool | None = None
    include_merged: bool = False
    party: str | None = None
    limit: int = 100
    offset: int = 0


class IncidentRepository:
    """Incidents, transitions and outages in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing ---------------------------------------------------------------------------

    def save(
        self,
        incidents: Sequence[Incident],
        now: datetime,
        previous: Mapping[str, Incident] | None = None,
        symptom_changes: Mapping[str, Mapping[str, Symptom | None]] | None = None,
    ) -> None:
        """Upsert incidents by id: the record, its query columns, its symptoms, intervals and
        transitions.

        ``previous`` maps ids to the records stored last (as written or read back in this
        transaction's view of the database): for those, only the symptoms and intervals that
        changed are written, and only the transitions added since. The others have every row
        of theirs replaced. ``symptom_changes`` (the correlator's
        :attr:`~servanda.events.correlate.Changes.symptom_changes` since ``previous``) names the
        symptoms that changed, so a big incident's others are not even compared.
        """
        if not incidents:
            return
        known = previous or {}
        dump = adapter(Incident).dump_json
        rows = [
            {
                "id": inc.id,
                "record": JSONText(dump(inc, exclude=CHILDREN).decode()),
                "state": inc.state.value,
                "root": inc.root,
                "severity": inc.severity.value,
                "planned": inc.planned,
                "detected_at": inc.detected_at,
                "resolved_at": inc.resolved_at,
                "closed_at": inc.closed_at,
                "merged_into": inc.merged_into,
                "updated_at": now,
            }
            for inc in incidents
        ]
        upsert(self.session, INCIDENTS, rows, ["id"], _INCIDENT_UPDATE)
        symptoms: list[dict[str, Any]] = []
        gone_symptoms: list[tuple[str, str]] = []
        impacts: list[dict[str, Any]] = []
        gone_impacts: list[tuple[str, str, int]] = []
        trail: list[tuple[str, int, Transition]] = []
        fresh: list[str] = []
        for inc in incidents:
            before = known.get(inc.id)
            if before is None:
                fresh.append(inc.id)
                symptoms.extend(_symptom_row(inc.id, s) for s in inc.symptoms)
                impacts.extend(_impact_row(inc.id, n, seq, i) for (n, seq), i in _numbered(inc))
                trail.extend((inc.id, seq, t) for seq, t in enumerate(inc.transitions))
                continue
            told = (symptom_changes or {}).get(inc.id)
            if told is not None:
                symptoms.extend(_symptom_row(inc.id, s) for s in told.values() if s is not None)
                gone_symptoms.extend((inc.id, fp) for fp, s in told.items() if s is None)
            elif inc.symptoms is not before.symptoms:
                changed, gone = _changed_symptoms(before.symptoms, inc.symptoms)
                symptoms.extend(_symptom_row(inc.id, s) for s in changed)
                gone_symptoms.extend((inc.id, fp) for fp in gone)
            if inc.impacted is not before.impacted:
                was = dict(_numbered(before))
                for key, i in _numbered(inc):
                    if was.pop(key, None) != i:
                        impacts.append(_impact_row(inc.id, *key, i))
                gone_impacts.extend((inc.id, *key) for key in was)
            done = len(before.transitions)
            trail.extend((inc.id, seq, t) for seq, t in enumerate(inc.transitions) if seq >= done)
        connection = self.session.connection()
        if fresh:
            for table in (SYMPTOMS, IMPACTS):
                connection.execute(delete(table).where(table.c.incident_id.in_(fresh)))
        if gone_symptoms:
            pair = tuple_(SYMPTOMS.c.incident_id, SYMPTOMS.c.fingerprint)
            connection.execute(delete(SYMPTOMS).where(pair.in_(gone_symptoms)))
        if gone_impacts:
            triple = tuple_(IMPACTS.c.incident_id, IMPACTS.c.node, IMPACTS.c.seq)
            connection.execute(delete(IMPACTS).where(triple.in_(gone_impacts)))
        upsert(self.session, SYMPTOMS, symptoms, ["incident_id", "fingerprint"], _SYMPTOM_UPDATE)
        upsert(self.session, IMPACTS, impacts, ["incident_id", "node", "seq"], _IMPACT_UPDATE)
        self.add_transitions(trail)

    def add_transitions(self, trail: Iterable[tuple[str, int, Transition]]) -> None:
        """Append ``(incident id, position in its trail, transition)``; positions already
        stored are left as they are."""
        rows = [
            {
                "incident_id": incident_id,
                "seq": seq,
                "from_state": t.from_state.value if t.from_state is not None else None,
                "to_state": t.to_state.value,
                "at": t.at,
                "by": t.by,
                "note": t.note,
                "on_behalf_of": t.on_behalf_of,
                "recorded_at": t.recorded_at,
                "validated_for": " ".join(t.validated_for),
            }
            for incident_id, seq, t in trail
        ]
        upsert(self.session, TRANSITIONS, rows, ["incident_id", "seq"], None)

    def replace_outages(self, incident_ids: Sequence[str], outages: Sequence[StoredOutage]) -> None:
        """The outages of ``incident_ids`` become ``outages`` (all of theirs, old ones go)."""
        if not incident_ids:
            return
        connection = self.session.connection()
        connection.execute(delete(OUTAGES).where(OUTAGES.c.incident_id.in_(list(incident_ids))))
        insert_rows(
            self.session,
            OUTAGES,
            [
                {
                    "incident_id": o.incident_id,
                    "service": o.service,
                    "customer": o.customer,
                    "starts_at": o.start,
                    "ends_at": o.end,
                    "fraction": o.fraction,
                    "planned": o.planned,
                }
                for o in outages
            ],
        )

    # -- reading ---------------------------------------------------------------------------

    def get(self, incident_id: str, *, party: str | None = None) -> Incident | None:
        """One incident (None when missing, or not visible to ``party``)."""
        query = select(INCIDENTS.c.record).where(INCIDENTS.c.id == incident_id)
        if party is not None:
            query = query.where(_has_outage(customer=party))
        found = self.session.connection().execute(query.add_columns(INCIDENTS.c.id)).first()
        return None if found is None else self._read([(found[1], found[0])])[0]

    def many(self, incident_ids: Iterable[str]) -> list[Incident]:
        """The incidents of those ids that exist, by id."""
        query = (
            select(INCIDENTS.c.record)
            .where(INCIDENTS.c.id.in_(list(incident_ids)))
            .order_by(INCIDENTS.c.id)
        )
        return self._fetch(query)

    def find(self, where: IncidentFilter | None = None) -> list[Incident]:
        """Incidents matching ``where``, latest detected first."""
        f = where or IncidentFilter()
        query = select(INCIDENTS.c.record).where(*_conditions(f))
        query = query.order_by(INCIDENTS.c.detected_at.desc(), INCIDENTS.c.id)
        query = query.limit(f.limit).offset(f.offset)
        return self._fetch(query)

    def count(self, where: IncidentFilter | None = None) -> int:
        """How many incidents match ``where`` (ignoring its limit and offset)."""
        f = where or IncidentFilter()
        query = select(func.count()).select_from(INCIDENTS).where(*_conditions(f))
        return int(self.session.connection().execute(query).scalar_one())

    def live(self, resolved_since: datetime, also: Iterable[str] = ()) -> list[Incident]:
        """Incidents a correlator must hold to carry on: unresolved ones, those resolved or
        closed at or after ``resolved_since``, and the ids in ``also``."""
        query = select(INCIDENTS.c.record).where(
            or_(
                INCIDENTS.c.resolved_at.is_(None) & INCIDENTS.c.merged_into.is_(None),
                INCIDENTS.c.resolved_at >= resolved_since,
                INCIDENTS.c.closed_at >= resolved_since,
                INCIDENTS.c.id.in_(list(also)),
            )
        )
        return self._fetch(query)

    def _fetch(self, query: Select[Any]) -> list[Incident]:
        """The incidents of a query selecting their ``record``, in its order."""
        rows = self.session.connection().execute(query.add_columns(INCIDENTS.c.id)).all()
        return self._read([(r[1], r[0]) for r in rows])

    def _read(self, rows: Sequence[tuple[str, dict[str, Any]]]) -> list[Incident]:
        """Incidents from ``(id, record)`` pairs and their symptom, interval and trail rows."""
        children: dict[str, dict[str, list[dict[str, Any]]]] = {
            id: {"symptoms": [], "impacted": [], "transitions": []} for id, _ in rows
        }
        connection = self.session.connection()
        ids = list(children)
        for at in range(0, len(ids), _CHUNK):
            chunk: BindParameter[str] = bindparam("ids", ids[at : at + _CHUNK], expanding=True)
            for table, name, order in (
                (SYMPTOMS, "symptoms", ("since", "node", "fingerprint")),
                (IMPACTS, "impacted", ("node", "seq")),
                (TRANSITIONS, "transitions", ("seq",)),
            ):
                query = (
                    select(table)
                    .where(table.c.incident_id.in_(chunk))
                    .order_by(*(table.c[c] for c in order))
                )
                for r in connection.execute(query).mappings():
                    data = dict(r)
                    owner = data.pop("incident_id")
                    data.pop("seq", None)
                    if name == "transitions":
                        data["validated_for"] = tuple(data["validated_for"].split())
                    children[owner][name].append(data)
        found = []
        for id, record in rows:
            data = {k: v for k, v in record.items() if k not in CHILDREN}
            data.update(children[id])
            found.append(read(Incident, data))
        return found

    def transitions(self, incident_id: str) -> list[Transition]:
        """The stored audit trail of one incident, oldest first."""
        query = (
            select(TRANSITIONS)
            .where(TRANSITIONS.c.incident_id == incident_id)
            .order_by(TRANSITIONS.c.seq)
        )
        return [
            Transition(
                from_state=IncidentState(r["from_state"]) if r["from_state"] else None,
                to_state=IncidentState(r["to_state"]),
                at=r["at"],
                by=r["by"],
                note=r["note"],
                on_behalf_of=r["on_behalf_of"],
                recorded_at=r["recorded_at"],
                validated_for=tuple(r["validated_for"].split()),
            )
            for r in self.session.connection().execute(query).mappings()
        ]

    def outages(
        self,
        *,
        incident_id: str | None = None,
        service: str | None = None,
        customer: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredOutage]:
        """Outages, filtered; ``since``/``until`` keep those overlapping ``[since, until)``."""
        conditions: list[ColumnElement[bool]] = []
        if incident_id is not None:
            conditions.append(OUTAGES.c.incident_id == incident_id)
        if service is not None:
            conditions.append(OUTAGES.c.service == service)
        if customer is not None:
            conditions.append(OUTAGES.c.customer == customer)
        if until is not None:
            conditions.append(OUTAGES.c.starts_at < until)
        if since is not None:
            conditions.append(or_(OUTAGES.c.ends_at.is_(None), OUTAGES.c.ends_at > since))
        query = select(OUTAGES).where(*conditions)
        query = query.order_by(
            OUTAGES.c.starts_at, OUTAGES.c.service, OUTAGES.c.customer, OUTAGES.c.id
        )
        return [_outage(r) for r in self.session.connection().execute(query).mappings()]

    def count_detected(self, since: datetime, until: datetime) -> int:
        """Incidents detected in ``[since, until)``, not counting those merged into another."""
        query = select(func.count()).where(
            INCIDENTS.c.detected_at >= since,
            INCIDENTS.c.detected_at < until,
            INCIDENTS.c.merged_into.is_(None),
        )
        return int(self.session.connection().execute(query).scalar_one())


def _numbered(inc: Incident) -> list[tuple[tuple[str, int], ImpactedNode]]:
    """The impact intervals of ``inc`` keyed by node and their position among that node's."""
    seqs: dict[str, int] = {}
    out = []
    for i in inc.impacted:
        seq = seqs[i.node] = seqs.get(i.node, -1) + 1
        out.append(((i.node, seq), i))
    return out


def _changed_symptoms(
    before: tuple[Symptom, ...], after: tuple[Symptom, ...]
) -> tuple[list[Symptom], set[str]]:
    """The symptoms of ``after`` that are new or changed, and the fingerprints gone.

    The correlator keeps the record of an unchanged symptom, so comparing by identity finds
    the changes with set operations that run in C: an incident with 60,000 symptoms costs
    about as much to save as a small one when three of its symptoms changed.
    """
    was = dict(zip(map(id, before), before, strict=True))
    now = dict(zip(map(id, after), after, strict=True))
    changed = [now[i] for i in now.keys() - was.keys()]
    kept = {s.fingerprint for s in changed}
    gone = {was[i].fingerprint for i in was.keys() - now.keys()} - kept
    if len(gone) + len(changed) > len(after) // 2:  # many changes: the plain diff is as fast
        return _diff_symptoms(before, after)
    return changed, gone


def _diff_symptoms(
    before: tuple[Symptom, ...], after: tuple[Symptom, ...]
) -> tuple[list[Symptom], set[str]]:
    """:func:`_changed_symptoms` comparing by value (records rebuilt from storage)."""
    old = {s.fingerprint: s for s in before}
    changed = []
    for s in after:
        prior = old.pop(s.fingerprint, None)
        if prior is not s and prior != s:
            changed.append(s)
    return changed, set(old)


def _symptom_row(incident_id: str, s: Symptom) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "fingerprint": s.fingerprint,
        "node": s.node,
        "reason": s.reason,
        "since": s.since,
        "until": s.until,
    }


def _impact_row(incident_id: str, node: str, seq: int, i: ImpactedNode) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "node": node,
        "seq": seq,
        "kind": i.kind,
        "fraction": i.fraction,
        "since": i.since,
        "until": i.until,
        "reason": i.reason,
    }


def _has_outage(*, customer: str | None = None, service: str | None = None) -> ColumnElement[bool]:
    query = select(OUTAGES.c.id).where(OUTAGES.c.incident_id == INCIDENTS.c.id)
    if customer is not None:
        query = query.where(OUTAGES.c.customer == customer)
    if service is not None:
        query = query.where(OUTAGES.c.service == service)
    return exists(query)


def _conditions(f: IncidentFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.states:
        found.append(INCIDENTS.c.state.in_([s.value for s in f.states]))
    if not f.include_merged:
        found.append(INCIDENTS.c.merged_into.is_(None))
    if f.service is not None:
        found.append(_has_outage(service=f.service))
    if f.customer is not None:
        found.append(_has_outage(customer=f.customer))
    if f.party is not None:
        found.append(_has_outage(customer=f.party))
    if f.until is not None:
        found.append(INCIDENTS.c.detected_at < f.until)
    if f.since is not None:
        found.append(or_(INCIDENTS.c.resolved_at.is_(None), INCIDENTS.c.resolved_at >= f.since))
    if f.root is not None:
        found.append(INCIDENTS.c.root == f.root)
    if f.planned is not None:
        found.append(INCIDENTS.c.planned.is_(f.planned))
    return found


def _outage(row: Any) -> StoredOutage:
    return StoredOutage(
        incident_id=row["incident_id"],
        service=row["service"],
        customer=row["customer"],
        start=row["starts_at"],
        end=row["ends_at"],
        fraction=row["fraction"],
        planned=row["planned"],
    )
