"""The scheduler and its jobs, on SQLite and PostgreSQL: every run recorded, a failing run
recorded as failed, a job held by another process not run twice, jobs on the event loop;
burn-rate warnings and period-close reminders queued as notifications."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from servanda.agreements.model import Agreement
from servanda.catalog.model import Component, Party, Service, Subscription
from servanda.core.access import LOCAL_ADMIN
from servanda.core.jobs import JobOutcome
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.events.model import Event, Severity, Status
from servanda.notify.rules import Channel, EventKind, NotificationRule, Webhook
from servanda.services import configuration
from servanda.services.events import EventEngine
from servanda.services.jobs import SchedulerSettings, burn_job, reminders_job, server_jobs
from servanda.services.notifications import outbox
from servanda.services.scheduler import Job, Scheduler, recent_runs, run_job
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.job_runs import job_lock

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"


def test_each_run_is_recorded_with_its_outcome(engine: Engine) -> None:
    done = run_job(engine, Job("tidy", timedelta(minutes=1), lambda now: "3 things tidied"), T0)
    assert done is not None
    assert (done.job, done.outcome, done.detail) == ("tidy", JobOutcome.OK, "3 things tidied")
    assert done.started_at == T0
    assert done.finished_at is not None

    def broken(now: datetime) -> str:
        raise RuntimeError("the disk is full")

    failed = run_job(engine, Job("tidy", timedelta(minutes=1), broken), T0 + timedelta(hours=1))
    assert failed is not None
    assert (failed.outcome, failed.detail) == (JobOutcome.FAILED, "RuntimeError: the disk is full")
    runs = recent_runs(engine, LOCAL_ADMIN, "tidy")
    assert [r.outcome for r in runs] == [JobOutcome.FAILED, JobOutcome.OK]  # newest first


def test_a_job_held_elsewhere_is_not_run_twice(engine: Engine) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another process's run, as far as the lock can tell
        with job_lock(engine, "dispatch") as mine:
            assert mine
            held.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert held.wait(10)
        ran: list[datetime] = []
        job = Job("dispatch", timedelta(seconds=1), lambda now: ran.append(now) or "ran")
        assert run_job(engine, job, T0) is None
        assert ran == []
        assert recent_runs(engine, LOCAL_ADMIN) == []
    finally:
        release.set()
        other.join()
    assert run_job(engine, job, T0) is not None  # free again


def test_the_scheduler_runs_its_jobs_until_stopped(engine: Engine) -> None:
    ran = threading.Event()

    def work(now: datetime) -> str:
        ran.set()
        return "done"

    scheduler = Scheduler(engine, [Job("quick", timedelta(milliseconds=20), work)])
    scheduler.start()
    try:
        assert ran.wait(10)
        for _ in range(500):
            if recent_runs(engine, LOCAL_ADMIN, "quick"):
                break
            time.sleep(0.01)
    finally:
        scheduler.stop()
    runs = recent_runs(engine, LOCAL_ADMIN, "quick")
    assert runs[-1].outcome is JobOutcome.OK
    time.sleep(0.1)
    assert len(recent_runs(engine, LOCAL_ADMIN, "quick")) == len(runs)  # stopped: no more


def test_the_server_runs_four_jobs_unless_told_not_to(engine: Engine) -> None:
    jobs = server_jobs(engine, lambda: EventEngine(engine))
    assert [j.name for j in jobs] == [
        "notify-dispatch", "burn-check", "close-reminders", "stale-sessions",
    ]  # fmt: skip
    off = SchedulerSettings(scheduler=False)
    assert server_jobs(engine, lambda: EventEngine(engine), off) == []


TERMS = from_jsonable(
    Agreement,
    {
        "id": "globex-terms", "level": "customer", "provider": "acme", "customer": "globex",
        "effective_from": "2024-01-01",
        "objectives": [{"metric": "availability", "target": "99.9%"}],
    },
)  # fmt: skip
SLO_RULE = NotificationRule(
    id="slo",
    events=(EventKind.BURN_RATE_WARNING,),
    customer="globex",
    channels=(Channel(webhook=Webhook(url="http://127.0.0.1:9/slo")),),
)


def provider() -> Bundle:
    """acme runs internet on core-1 for globex, who is promised 99.9 % and hears of its
    burn-rate warnings."""
    return Bundle(
        parties=(
            from_jsonable(Party, {"id": "acme", "name": "ACME", "roles": ["provider"]}),
            from_jsonable(Party, {"id": "globex", "name": "Globex", "roles": ["customer"]}),
        ),
        components=(from_jsonable(Component, {"id": "core-1", "kind": "router"}),),
        services=(
            from_jsonable(
                Service,
                {
                    "id": "internet",
                    "name": "Internet",
                    "provider": "acme",
                    "depends_on": ["core-1"],
                },
            ),
        ),
        subscriptions=(from_jsonable(Subscription, {"customer": "globex", "service": "internet"}),),
        agreements=(TERMS,),
        notification_rules=(SLO_RULE,),
    )


def test_burn_rate_warnings_are_notified_once(engine: Engine) -> None:
    with transaction(engine) as session:
        BundleRepository(session).save(provider(), now=T0 - timedelta(days=1))
    events = EventEngine(engine)
    down = Event(
        source="alertmanager", fingerprint="core", status=Status.FIRING, starts_at=T0,
        labels=(("alertname", "Down"), ("instance", "core-1:9100")),
        severity=Severity.CRITICAL,
    )  # fmt: skip
    events.ingest(LOCAL_ADMIN, [down], T0)
    check = burn_job(engine, lambda: events)
    at = T0 + timedelta(minutes=21)
    assert check(at).endswith("3 queued")  # the 1 h, 6 h and 3 d rules fire
    assert check(at + timedelta(minutes=5)).endswith("0 queued")  # still firing: not again
    found = outbox(engine, LOCAL_ADMIN)
    assert {q.event for q in found} == {"burn_rate.warning"}
    assert {q.rule for q in found} == {"slo"}
    assert all(q.payload["customers"] == ["globex"] for q in found)
    assert {q.payload["detail"]["long_window"] for q in found} == {"1h", "6h", "3d"}


def test_periods_left_open_are_reminded_once_a_day(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], datetime(2024, 3, 20, tzinfo=UTC))
    remind = reminders_job(engine)
    may_2 = datetime(2024, 5, 2, 9, tzinfo=UTC)
    first = remind(may_2)
    assert first == "6 periods to close, 6 queued"  # every customer's April
    assert remind(may_2 + timedelta(hours=1)).endswith(", 0 queued")  # once a day
    found = [q for q in outbox(engine, LOCAL_ADMIN) if q.event == "period.close_due"]
    assert {q.rule for q in found} == {"billing-office"}
    assert {q.payload["customers"][0] for q in found} == {
        "quai-capital", "bertin-associes", "hospital", "horizon-sport", "institut-rhenan",
        "lumiere-tv",
    }  # fmt: skip
    assert remind(may_2 + timedelta(days=1)).endswith(", 6 queued")  # the next day, again
