"""When a failed delivery is tried again: exponential backoff with a cap, and a last try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    """Try ``n`` waits ``min(first × 2^(n−1), cap)`` after failure ``n``; after
    ``attempts`` failures the delivery has failed for good."""

    first: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    attempts: int = 10

    def next_attempt(self, failures: int, now: datetime) -> datetime | None:
        """When to try again after ``failures`` failed attempts (None: give up)."""
        if failures >= self.attempts:
            return None
        return now + min(self.first * (1 << max(failures - 1, 0)), self.cap)
