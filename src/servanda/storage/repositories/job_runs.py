"""Runs of scheduled jobs, and the lock that keeps one job to one process at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from servanda.core.jobs import JobOutcome, JobRun
from servanda.storage.tables import JobRunRow

_LOCAL: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


class JobRunRepository:
    """Records runs in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def started(self, job: str, at: datetime, host: str) -> int:
        """Record a run started; its id."""
        row = JobRunRow(
            job=job, started_at=at, finished_at=None, outcome=JobOutcome.RUNNING.value,
            detail="", host=host,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row.id

    def finished(self, run: int, at: datetime, outcome: JobOutcome, detail: str) -> None:
        """Record how run ``run`` ended."""
        self.session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run)
            .values(finished_at=at, outcome=outcome.value, detail=detail[:4000])
        )

    def recent(self, job: str | None = None, limit: int = 50) -> list[JobRun]:
        """The latest runs (of one job), newest first."""
        query = select(JobRunRow).order_by(JobRunRow.started_at.desc(), JobRunRow.id.desc())
        if job is not None:
            query = query.where(JobRunRow.job == job)
        return [
            JobRun(
                id=r.id,
                job=r.job,
                started_at=r.started_at,
                finished_at=r.finished_at,
                outcome=JobOutcome(r.outcome),
                detail=r.detail,
                host=r.host,
            )
            for r in self.session.scalars(query.limit(limit))
        ]


@contextmanager
def job_lock(engine: Engine, job: str) -> Iterator[bool]:
    """``with job_lock(engine, name) as mine``: whether this process may run ``job`` now.

    On PostgreSQL a session-level advisory lock, tried without waiting on a connection held
    for the block, so several servers on one database never run a job twice at once; on
    SQLite (one server process) a lock of this process.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = {"key": f"servanda.job.{job}"}
            mine = bool(
                connection.execute(
                    text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"), key
                ).scalar()
            )
            connection.commit()
            try:
                yield mine
            finally:
                if mine:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), key
                    )
                    connection.commit()
        return
    with _LOCAL_GUARD:
        lock = _LOCAL.setdefault(job, threading.Lock())
    mine = lock.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            lock.release()
