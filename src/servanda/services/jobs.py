"""The server's periodic jobs (:mod:`servanda.services.scheduler` runs them):

* ``notify-dispatch`` — deliver the notification outbox (every 30 s);
* ``burn-check`` — burn-rate checks of every availability objective; the warnings go to event
  management and, while they fire, out as ``burn_rate.warning`` notifications (every 5 min);
* ``close-reminders`` — each customer's last month, ended and not closed: a
  ``period.close_due`` notification, once a day (every hour);
* ``stale-sessions`` — close online-charging sessions silent past their validity (every
  minute).

Intervals come from the environment (:class:`SchedulerSettings`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import ServandaError
from servanda.notify.notices import Notice
from servanda.notify.rules import EventKind
from servanda.services import charging, notices, notifications
from servanda.services.burn import check_burn_rates
from servanda.services.events import EventEngine
from servanda.services.scheduler import Job
from servanda.services.sla import period_of_customer
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.results import ResultRepository


class SchedulerSettings(BaseSettings):
    """``SERVANDA_SCHEDULER=0`` turns the scheduler off (another process runs the jobs, or
    none should run); ``SERVANDA_JOB_<NAME>_EVERY`` sets an interval (``PT5M``, or seconds)."""

    model_config = SettingsConfigDict(env_prefix="SERVANDA_", extra="ignore")

    scheduler: bool = True
    job_notify_dispatch_every: timedelta = timedelta(seconds=30)
    job_burn_check_every: timedelta = timedelta(minutes=5)
    job_close_reminders_every: timedelta = timedelta(hours=1)
    job_stale_sessions_every: timedelta = timedelta(minutes=1)


def dispatch_job(engine: Engine) -> Callable[[datetime], str]:
    """Deliver what is due."""
    return lambda now: str(notifications.dispatch(engine, now))


def burn_job(engine: Engine, events: Callable[[], EventEngine]) -> Callable[[datetime], str]:
    """Check burn rates; notify the warnings that fire."""

    def run(now: datetime) -> str:
        check = check_burn_rates(engine, events(), LOCAL_ADMIN, now)
        found = len(check.events)
        return f"{check.objectives} objectives, {found} warnings, {check.notified} queued"

    return run


def reminders_job(engine: Engine) -> Callable[[datetime], str]:
    """Remind of each customer's last month, ended and not closed."""

    def run(now: datetime) -> str:
        found: list[Notice] = []
        last = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        with transaction(engine) as session:
            bundle = BundleRepository(session).load()
            if not bundle.notification_rules:
                return "no notification rules"
            results = ResultRepository(session)
            for customer in sorted({s.customer for s in bundle.subscriptions}):
                try:
                    period = period_of_customer(bundle, customer, last, now)
                except ServandaError:
                    continue
                closure = results.closure(customer, period.start, period.end)
                if period.end > now or (closure is not None and closure.final):
                    continue
                found.append(
                    Notice(
                        event=EventKind.PERIOD_CLOSE_DUE,
                        key=f"close-due:{customer}:{period.start.isoformat()}:{now.date()}",
                        at=now,
                        subject=f"{period.label} of {customer} has ended and is not closed",
                        concerns=((customer, None),),
                        detail=(
                            ("customer", customer),
                            ("period", period.label),
                            ("end", period.end.isoformat()),
                        ),
                    )
                )
            queued = notices.queue(session, found, now, bundle.notification_rules)
        return f"{len(found)} periods to close, {queued} queued"

    return run


def sessions_job(engine: Engine) -> Callable[[datetime], str]:
    """Close stale online-charging sessions."""
    return lambda now: f"{charging.expire_stale(engine, now)} accounts' stale sessions closed"


def server_jobs(
    engine: Engine, events: Callable[[], EventEngine], settings: SchedulerSettings | None = None
) -> list[Job]:
    """The jobs the server runs (none when ``SERVANDA_SCHEDULER`` is off)."""
    s = settings or SchedulerSettings()
    if not s.scheduler:
        return []
    return [
        Job("notify-dispatch", s.job_notify_dispatch_every, dispatch_job(engine)),
        Job("burn-check", s.job_burn_check_every, burn_job(engine, events)),
        Job("close-reminders", s.job_close_reminders_every, reminders_job(engine)),
        Job("stale-sessions", s.job_stale_sessions_every, sessions_job(engine)),
    ]


JOB_NAMES = ("notify-dispatch", "burn-check", "close-reminders", "stale-sessions")
"""Every job, by name."""
