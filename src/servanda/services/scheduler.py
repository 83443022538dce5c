"""Periodic work inside the server: each job runs every so often in a thread of its own,
started and stopped with the application (the jobs are synchronous), takes the job's lock first
(a PostgreSQL advisory lock: several servers on one database never run a job twice at once;
SQLite serves from one process) and records every run it makes (``job_runs``: started,
finished, outcome, what it did). A run that raises is recorded as failed; the job runs again
at its next turn. The jobs themselves are in :mod:`servanda.services.jobs`."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from servanda.core.access import Action, Principal
from servanda.core.jobs import JobOutcome, JobRun
from servanda.services import telemetry
from servanda.storage.database import transaction
from servanda.storage.repositories.job_runs import JobRunRepository, job_lock

log = logging.getLogger(__name__)
HOST = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Job:
    """A named piece of periodic work."""

    name: str
    every: timedelta
    """How long from the end of one run to the start of the next."""
    run: Callable[[datetime], str]
    """Does the work at the given time; says what it did."""
    summary: str = ""


def run_job(engine: Engine, job: Job, now: datetime | None = None) -> JobRun | None:
    """Run ``job`` once when its lock is free, recording the run; None when another process
    holds it (nothing is recorded then)."""
    with job_lock(engine, job.name) as mine:
        if not mine:
            return None
        started = now or datetime.now(UTC)
        with transaction(engine) as session:
            run = JobRunRepository(session).started(job.name, started, HOST)
        try:
            detail, outcome = job.run(started), JobOutcome.OK
        except Exception as exc:  # recorded; the job runs again at its next turn
            log.exception("job %s failed", job.name)
            detail, outcome = f"{type(exc).__name__}: {exc}", JobOutcome.FAILED
        telemetry.JOB_RUNS.labels(job.name, outcome.value).inc()
        with transaction(engine) as session:
            JobRunRepository(session).finished(run, datetime.now(UTC), outcome, detail)
            return JobRunRepository(session).recent(job.name, 1)[0]


def recent_runs(
    engine: Engine, principal: Principal, job: str | None = None, limit: int = 50
) -> list[JobRun]:
    """The latest runs (of one job), newest first (staff)."""
    principal.require(Action.MANAGE_INCIDENTS)
    with transaction(engine) as session:
        return JobRunRepository(session).recent(job, limit)


class Scheduler:
    """Runs jobs in background threads, each at its own interval (the first run one
    interval after the start), until stopped."""

    def __init__(self, engine: Engine, jobs: Sequence[Job]) -> None:
        self.engine = engine
        self.jobs = tuple(jobs)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start every job's thread."""
        self._stop.clear()
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"job:{job.name}",
                                      daemon=True)  # fmt: skip
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads; a run in progress has ``timeout`` seconds to finish."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self, job: Job) -> None:
        while not self._stop.wait(job.every.total_seconds()):
            try:
                run_job(self.engine, job)
            except Exception:  # the database is away: try at the next turn
                log.exception("could not run job %s", job.name)
