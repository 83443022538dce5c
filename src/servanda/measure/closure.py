"""A closed reporting period: the close that made a customer's results and credits of the
period final (see :mod:`servanda.services.closing`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Closure:
    """One close of one customer's period: which version, when and by whom; reopened (with
    why) when a correction was due, the versions before the final one kept."""

    id: int
    provider: str
    customer: str
    period_label: str
    period_start: datetime
    period_end: datetime
    version: int
    closed_at: datetime
    closed_by: str
    reopened_at: datetime | None = None
    reopened_by: str | None = None
    reopen_reason: str | None = None

    @property
    def final(self) -> bool:
        """Its results and credits are the period's final ones (it was not reopened)."""
        return self.reopened_at is None
