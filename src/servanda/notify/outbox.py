"""The outbox as the domain sees it: a queued delivery and where it stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from servanda.notify.rules import Channel


class DeliveryState(StrEnum):
    """Where a queued delivery stands."""

    PENDING = "pending"
    """Waiting for its (next) attempt."""
    SENT = "sent"
    """Accepted by the receiver."""
    FAILED = "failed"
    """Every attempt failed: given up (``servanda notify retry`` queues it again)."""


@dataclass(frozen=True, slots=True)
class Queued:
    """One delivery in the outbox."""

    id: str
    rule: str
    event: str
    notice_key: str
    channel: Channel
    target: str
    payload: Mapping[str, Any]
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
