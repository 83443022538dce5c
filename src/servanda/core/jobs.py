"""A run of a scheduled job, as recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class JobOutcome(StrEnum):
    """How a run ended."""

    RUNNING = "running"
    """Started, not finished (or its process died: it never will)."""
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of a job."""

    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    outcome: JobOutcome
    detail: str
    """What it did (``3 sent, 0 to retry, 0 failed``) or why it failed."""
    host: str
    """The process that ran it (``host:pid``)."""
