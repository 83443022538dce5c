"""Usage from NATS JetStream, for distributed collectors.

Collectors publish usage records to a JetStream stream: each message one record as a JSON
object (the fields of a usage file's JSON Lines row), or several as a JSON array or
``{"usage": [...]}``. :func:`consume` pulls them through a **durable** pull consumer with
explicit acknowledgement, a batch at a time:

* the batch's good records are handed to ``store`` in one call, and the messages are
  acknowledged only once it returned (committed): a consumer killed in between leaves them
  unacknowledged, JetStream delivers them again, and storing is idempotent on the records'
  keys, so nothing is lost or counted twice;
* a message that is not JSON, or whose records are invalid, is handed to ``quarantine`` with
  its located reason and its raw payload once the batch's good records are stored, then
  acknowledged: never dropped silently, never delivered again forever (``quarantine`` keeps
  one entry per origin and reason, so a message delivered again is not quarantined twice);
* if storing fails (the database is down), nothing of the batch is acknowledged and the
  consumer stops with the error; JetStream delivers the messages again to the next run.

Every record's origin is ``nats:<stream>#<stream sequence>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from servanda.accounting.usage import UsageRecord
from servanda.core.problems import Problem
from servanda.ingest.record_files import parse_record_data
from servanda.ingest.usage_files import usage_reader

Store = Callable[[Sequence[UsageRecord], Sequence[str]], Any]
"""Stores records (with their origins) durably before returning."""
Quarantine = Callable[[bytes, str, str], Any]
"""Quarantines a payload: ``(payload, origin, reason)``."""


@dataclass
class ConsumeSummary:
    """What a run consumed."""

    messages: int = 0
    records: int = 0
    quarantined: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON-compatible data."""
        return {
            "messages": self.messages,
            "records": self.records,
            "quarantined": self.quarantined,
            "batches": self.batches,
        }


class StreamMissing(Exception):
    """The stream to consume does not exist."""


def parse_message(data: bytes, origin: str) -> tuple[list[UsageRecord], str | None]:
    """The usage records of one message, or none and why (located at the message)."""
    try:
        document = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [], f"{origin}: not JSON: {exc}"
    if isinstance(document, dict) and "usage" not in document:
        document = {"usage": [document]}
    elif isinstance(document, list):
        document = {"usage": document}
    records, problems = parse_record_data(document, usage_reader(), file=origin)
    if problems:
        return [], "; ".join(_said(p) for p in problems[:5])
    return records, None


def _said(problem: Problem) -> str:
    return str(problem)


async def consume(
    url: str,
    stream: str,
    store: Store,
    quarantine: Quarantine,
    *,
    durable: str = "servanda-usage",
    subject: str | None = None,
    batch: int = 500,
    once: bool = False,
    wait: float = 1.0,
    ack_wait: float = 30.0,
) -> ConsumeSummary:
    """Consume usage from ``stream`` (see the module) until interrupted, or, ``once``, until
    nothing is waiting: no message pending and none delivered but unacknowledged (those of a
    consumer that died are delivered again after ``ack_wait`` seconds, and waited for)."""
    summary = ConsumeSummary()
    connection = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=3)
    try:
        js = connection.jetstream()
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            raise StreamMissing(f"no JetStream stream {stream!r} at {url}") from None
        subjects = info.config.subjects or []
        filter_subject = subject or (subjects[0] if len(subjects) == 1 else None)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            filter_subject=filter_subject,
            ack_wait=ack_wait,
        )
        subscription = await js.pull_subscribe(
            filter_subject or ">", durable=durable, stream=stream, config=config
        )
        while True:
            try:
                messages = await subscription.fetch(batch, timeout=wait)
            except TimeoutError:  # nats.errors.TimeoutError and asyncio.TimeoutError alike
                messages = []
            if not messages:
                if once:
                    info = await js.consumer_info(stream, durable)
                    if not info.num_pending and not info.num_ack_pending:
                        return summary
                continue
            summary.batches += 1
            good: list[UsageRecord] = []
            origins: list[str] = []
            bad: list[tuple[bytes, str, str]] = []
            for message in messages:
                origin = f"nats:{stream}#{message.metadata.sequence.stream}"
                records, reason = parse_message(message.data, origin)
                if reason is not None:
                    bad.append((message.data, origin, reason))
                good += records
                origins += [origin] * len(records)
            if good:
                store(good, origins)
            for payload, origin, reason in bad:  # once per origin and reason, when sent again
                quarantine(payload, origin, reason)
                summary.quarantined += 1
            for message in messages:
                await message.ack()
            summary.messages += len(messages)
            summary.records += len(good)
    finally:
        await connection.close()
