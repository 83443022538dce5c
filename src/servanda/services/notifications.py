"""Delivering the notification outbox: claim what is due, send each delivery through its
channel, mark it sent, or record the failure and when to try again (exponential backoff with
a cap; failed for good after the last attempt). Deliveries are claimed in one transaction and
settled in another, so nothing is held open while a receiver answers; a process that dies
mid-send leaves its claims to run out (``LEASE``), and the delivery is sent again with the
same id (receivers de-duplicate on it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from servanda.core.access import Action, Principal
from servanda.delivery import DeliveryError, Senders, send
from servanda.notify.backoff import Backoff
from servanda.notify.outbox import DeliveryState, Queued
from servanda.services import telemetry
from servanda.storage.database import transaction
from servanda.storage.repositories.notifications import NotificationRepository

LEASE = timedelta(minutes=5)
"""How long a claimed delivery stays with its dispatcher before another may take it."""
BATCH = 100
"""Deliveries claimed at once."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Dispatched:
    """What one dispatch did."""

    sent: int
    retrying: int
    """Failed this time, to be tried again."""
    failed: int
    """Failed for the last time."""

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def dispatch(
    engine: Engine,
    now: datetime,
    senders: Senders | None = None,
    backoff: Backoff | None = None,
    limit: int = 1000,
    clock: Callable[[], datetime] | None = None,
) -> Dispatched:
    """Send every delivery due at ``now`` (at most ``limit``). ``clock`` gives the time of
    each attempt (by default ``now``)."""
    policy = backoff or Backoff()
    sent = retrying = failed = 0
    done = 0
    while done < limit:
        with transaction(engine) as session:
            claimed = NotificationRepository(session).claim(now, min(BATCH, limit - done), LEASE)
        if not claimed:
            break
        done += len(claimed)
        for item in claimed:
            at = clock() if clock is not None else now
            outcome = _attempt(engine, item, at, senders, policy)
            telemetry.NOTIFICATIONS.labels(item.channel.kind.value, outcome).inc()
            sent += outcome == "sent"
            retrying += outcome == "retry"
            failed += outcome == "failed"
    return Dispatched(sent, retrying, failed)


def _attempt(
    engine: Engine, item: Queued, at: datetime, senders: Senders | None, policy: Backoff
) -> str:
    try:
        send(item, at, senders)
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # a sender's bug must not stop the others; it is recorded
        log.exception("delivery %s failed unexpectedly", item.id)
        error = f"{type(exc).__name__}: {exc}"
    else:
        with transaction(engine) as session:
            NotificationRepository(session).sent(item.id, at)
        return "sent"
    retry_at = policy.next_attempt(item.attempts + 1, at)
    with transaction(engine) as session:
        NotificationRepository(session).failed(item.id, at, error, retry_at)
    return "retry" if retry_at is not None else "failed"


def outbox(
    engine: Engine, principal: Principal, state: DeliveryState | None = None, limit: int = 100
) -> list[Queued]:
    """The latest deliveries (staff who manage incidents or bill)."""
    principal.require(Action.MANAGE_INCIDENTS)
    with transaction(engine) as session:
        return NotificationRepository(session).listed(state, limit)


def retry_failed(engine: Engine, principal: Principal, now: datetime) -> int:
    """Queue every delivery that failed for good again; how many."""
    principal.require(Action.MANAGE_INCIDENTS)
    with transaction(engine) as session:
        return NotificationRepository(session).retry_failed(now)
