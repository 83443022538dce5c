"""Incident symptoms, intervals and trail in their own rows: saved incrementally, read back
whole, and split out of records stored before migration 0003."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from servanda.core.records import to_jsonable
from servanda.events.incidents import ImpactedNode, Incident, IncidentState, Symptom, Transition
from servanda.events.model import Severity
from servanda.storage import migrate
from servanda.storage.database import make_engine, transaction
from servanda.storage.repositories.incidents import SYMPTOMS, IncidentRepository

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def symptom(fp: str, minutes: float, until: datetime | None = None) -> Symptom:
    return Symptom(fingerprint=fp, node=f"n-{fp}", reason="depends on core-1", since=at(minutes),
                   until=until)  # fmt: skip


def storm() -> Incident:
    return Incident(
        id="inc-storm",
        root="core-1",
        root_fingerprints=("root",),
        state=IncidentState.DETECTED,
        severity=Severity.CRITICAL,
        detected_at=T0,
        symptoms=tuple(symptom(f"s{n:03d}", n / 10) for n in range(50)),
        impacted=(
            ImpactedNode(node="core-1", kind="component", fraction=1.0, since=T0, until=at(5)),
            ImpactedNode(node="core-1", kind="component", fraction=1.0, since=at(7)),
            ImpactedNode(node="voip", kind="service", fraction=0.5, since=at(1)),
        ),
        transitions=(Transition(None, IncidentState.DETECTED, T0, "servanda", "core-1 failed"),),
    )


def test_saving_with_the_previous_record_writes_only_the_changes(session: Session) -> None:
    repo = IncidentRepository(session)
    first = storm()
    repo.save([first], T0)
    session.commit()
    assert repo.get(first.id) == first

    kept = first.symptoms[1:-1]
    changed = replace(kept[0], until=at(9))
    second = replace(
        first,
        symptoms=(changed, *kept[1:], symptom("s999", 9)),
        impacted=(first.impacted[0], replace(first.impacted[1], until=at(9))),
        transitions=(
            *first.transitions,
            Transition(IncidentState.DETECTED, IncidentState.ACKNOWLEDGED, at(8), "alice"),
        ),
        state=IncidentState.ACKNOWLEDGED,
    )
    repo.save([second], at(9), {first.id: first})
    session.commit()
    assert repo.get(first.id) == second
    assert repo.transitions(first.id) == list(second.transitions)
    count = select(func.count()).select_from(SYMPTOMS)
    assert session.execute(count).scalar_one() == len(second.symptoms)

    # Without the previous record every row of the incident is replaced.
    third = replace(second, symptoms=second.symptoms[:3], impacted=second.impacted[:1])
    repo.save([third], at(10))
    session.commit()
    assert repo.get(first.id) == third
    assert repo.many([first.id]) == [third]
    assert repo.live(T0) == [third]


def test_migration_0003_splits_stored_records(db_url: str) -> None:
    migrate.upgrade(db_url, "0002")
    inc = storm()
    record = to_jsonable(inc)
    engine = make_engine(db_url)
    try:
        with transaction(engine) as session:
            session.execute(
                text(
                    "INSERT INTO incidents (id, record, state, root, severity, planned, "
                    "detected_at, updated_at) VALUES (:id, :record, 'detected', 'core-1', "
                    "'critical', false, :t, :t)"
                ).bindparams(id=inc.id, t=T0.replace(tzinfo=None)),
                {"record": json.dumps(record)},
            )
        migrate.upgrade(db_url)
        with transaction(engine) as session:
            assert IncidentRepository(session).get(inc.id) == inc
        migrate.downgrade(db_url, "0002")
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT record FROM incidents")).scalar_one()
        if isinstance(stored, str):
            stored = json.loads(stored)
        assert len(stored["symptoms"]) == 50
        assert len(stored["impacted"]) == 3
    finally:
        engine.dispose()
