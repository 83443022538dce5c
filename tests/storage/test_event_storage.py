"""Events and alert states in storage: idempotent bulk inserts, unmapped listing, counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servanda.events.incidents import Alert
from servanda.events.model import Event, Severity, Status
from servanda.storage.repositories.events import EventRepository, event_key
from servanda.storage.tables import AlertRow, EventRow

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def event(fp: str, minute: int = 0, *, node: str | None = "db-1", **kw: object) -> Event:
    fields: dict[str, object] = {
        "source": "alertmanager",
        "fingerprint": fp,
        "labels": (("alertname", f"Alert{fp}"), ("instance", "db-1:9100")),
        "status": Status.FIRING,
        "starts_at": T0 + timedelta(minutes=minute),
        "severity": Severity.CRITICAL,
        "summary": "down",
        "node": node,
    }
    fields.update(kw)
    return Event(**fields)  # type: ignore[arg-type]


def test_the_key_ignores_the_timezone_a_time_was_written_in() -> None:
    paris = timezone(timedelta(hours=2))
    a = event("a")
    b = event("a", starts_at=T0.astimezone(paris))
    assert event_key(a) == event_key(b)
    assert event_key(a) != event_key(event("a", 1))
    resolved = event("a", status=Status.RESOLVED, ends_at=T0 + timedelta(minutes=5))
    assert event_key(resolved) != event_key(a)


def test_events_are_stored_once_and_read_back(session: Session) -> None:
    repo = EventRepository(session)
    batch = [event("a"), event("b", 1, node=None, generator_url="http://prom/graph")]
    keyed = [(event_key(e), e) for e in batch]
    assert repo.existing_keys(k for k, _ in keyed) == set()
    repo.add_events(keyed, T0)
    repo.add_events(keyed, T0 + timedelta(minutes=1))  # again: the database skips them
    session.commit()

    assert session.scalar(select(func.count()).select_from(EventRow)) == 2
    assert repo.existing_keys([keyed[0][0], "nope"]) == {keyed[0][0]}
    [unmapped] = repo.unmapped()
    assert unmapped.event == batch[1]
    assert unmapped.received_at == T0
    assert repo.count_unmapped() == 1
    assert repo.count_events(T0, T0 + timedelta(hours=1)) == (2, 2)
    assert repo.count_events(T0 + timedelta(minutes=1), T0 + timedelta(hours=1)) == (1, 1)
    [top] = repo.noisiest(T0, T0 + timedelta(hours=1))
    assert (top.name, top.events, top.alerts) == ("alertmanager", 2, 2)


def test_alert_states_are_upserted_by_fingerprint(session: Session) -> None:
    repo = EventRepository(session)
    first = Alert(
        fingerprint="a",
        source="alertmanager",
        node="db-1",
        alertname="Down",
        severity=Severity.MAJOR,
        status=Status.FIRING,
        starts_at=T0,
        first_seen=T0,
        last_seen=T0,
        starts=(T0,),
    )
    repo.save_alerts([first])
    later = T0 + timedelta(minutes=3)
    second = Alert(
        fingerprint="a",
        source="alertmanager",
        node="db-1",
        alertname="Down",
        severity=Severity.MAJOR,
        status=Status.RESOLVED,
        starts_at=T0,
        first_seen=T0,
        last_seen=later,
        ends_at=later,
        count=2,
        starts=(T0,),
        ends=(later,),
        incident_id="inc-1",
    )
    repo.save_alerts([second])
    session.commit()

    assert session.scalar(select(func.count()).select_from(AlertRow)) == 1
    assert repo.alerts() == [second]
    assert repo.alerts(incident_id="inc-1") == [second]
    assert repo.live_alerts(T0 + timedelta(hours=1)) == []
    assert repo.live_alerts(T0) == [second]
    repo.save_alerts([first])
    assert repo.live_alerts(T0 + timedelta(hours=1)) == [first]


def test_an_upsert_with_a_key_twice_keeps_the_last_row(session: Session) -> None:
    repo = EventRepository(session)
    first = Alert(
        fingerprint="a",
        source="alertmanager",
        node=None,
        alertname="Down",
        severity=Severity.MAJOR,
        status=Status.FIRING,
        starts_at=T0,
        first_seen=T0,
        last_seen=T0,
        starts=(T0,),
    )
    later = T0 + timedelta(minutes=1)
    second = Alert(
        fingerprint="a",
        source="alertmanager",
        node="db-1",
        alertname='Down "quoted" {braces}, commas',
        severity=Severity.MAJOR,
        status=Status.FIRING,
        starts_at=T0,
        first_seen=T0,
        last_seen=later,
        count=2,
        starts=(T0,),
    )
    other = Alert(
        fingerprint="b",
        source="alertmanager",
        node=None,
        alertname="NULL",
        severity=Severity.MINOR,
        status=Status.FIRING,
        starts_at=T0,
        first_seen=T0,
        last_seen=T0,
        starts=(T0,),
    )
    assert repo.save_alerts([first, other, second]) == 3
    session.commit()

    assert repo.alerts() == [second, other]
    assert session.scalar(select(AlertRow.node).where(AlertRow.fingerprint == "b")) is None
