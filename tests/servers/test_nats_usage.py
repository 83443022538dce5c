"""``servanda usage consume`` as a real process on the machine's NATS JetStream: good records
stored and charged once (a message sent twice included), bad messages quarantined, nothing left
unacknowledged; and a consumer killed mid-stream, run again, giving what an uninterrupted run
on a fresh database gives.

Skipped with the reason when no NATS answers at 127.0.0.1:4222; with
``SERVANDA_REQUIRE_NATS=1`` (as in CI) they fail instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import nats
import pytest
from sqlalchemy import func, select

from servanda.storage.database import make_engine, transaction
from servanda.storage.repositories.usage import UsageRepository
from servanda.storage.tables import UsageRejectedRow, UsageRow

from .processes import EXAMPLE, SERVANDA, cli

NATS = "nats://127.0.0.1:4222"
REQUIRE_ENV = "SERVANDA_REQUIRE_NATS"


@pytest.fixture
def stream() -> Iterator[str]:
    """A JetStream stream of its own, deleted after the test."""
    try:
        socket.create_connection(("127.0.0.1", 4222), timeout=2).close()
    except OSError as exc:
        problem = f"NATS not reachable at 127.0.0.1:4222 ({exc})"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{problem}\n{REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(problem)
    name = f"usage_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(name, create=True))
    yield name
    asyncio.run(_admin(name, create=False))


async def _admin(name: str, *, create: bool) -> None:
    connection = await nats.connect(NATS)
    js = connection.jetstream()
    if create:
        await js.add_stream(name=name, subjects=[f"{name}.usage"])
    else:
        await js.delete_stream(name)
    await connection.close()


def record(n: int) -> dict[str, Any]:
    return {
        "source": "collector-1", "record_id": f"cdr-{n}", "account": "quai-capital",
        "category": "call", "destination": "+33142000000",
        "start": "2024-04-02T10:00:00+02:00", "duration": 30 + n % 600,
    }  # fmt: skip


def publish(name: str, payloads: list[bytes]) -> None:
    async def run() -> None:
        connection = await nats.connect(NATS)
        js = connection.jetstream()
        for p in payloads:
            await js.publish(f"{name}.usage", p)
        await connection.close()

    asyncio.run(run())


def pending(name: str) -> tuple[int, int]:
    async def run() -> tuple[int, int]:
        connection = await nats.connect(NATS)
        info = await connection.jetstream().consumer_info(name, "servanda-usage")
        await connection.close()
        return int(info.num_pending), int(info.num_ack_pending)

    return asyncio.run(run())


def prepared(db: str) -> str:
    cli(db, "db", "upgrade")
    cli(db, "load", str(EXAMPLE))
    return db


def stored(db: str) -> tuple[int, int, Decimal]:
    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            records = session.scalar(select(func.count()).select_from(UsageRow))
            rejected = session.scalar(select(func.count()).select_from(UsageRejectedRow))
            total = UsageRepository(session).totals().get("EUR", Decimal(0))
            return int(records or 0), int(rejected or 0), total
    finally:
        engine.dispose()


def test_usage_from_a_stream_is_stored_once_and_bad_messages_quarantined(
    stream: str, db_url: str
) -> None:
    prepared(db_url)
    good = [json.dumps(record(n)).encode() for n in range(40)]
    several = json.dumps({"usage": [record(n) for n in range(40, 45)]}).encode()
    publish(stream, [*good, good[3], several, b"{not json", json.dumps(
        {**record(99), "start": "yesterday"}).encode()])  # fmt: skip
    out = json.loads(cli(db_url, "usage", "consume", "--stream", stream, "--once",
                         "--batch", "16", "--format", "json"))  # fmt: skip
    assert out == {"messages": 44, "records": 46, "quarantined": 2, "batches": 3}
    records, rejected, total = stored(db_url)
    assert (records, rejected) == (45, 2)
    assert total > 0
    assert pending(stream) == (0, 0)
    again = json.loads(cli(db_url, "usage", "consume", "--stream", stream, "--once",
                           "--format", "json"))  # fmt: skip
    assert again["messages"] == 0


def test_a_consumer_killed_mid_stream_loses_nothing_and_counts_nothing_twice(
    stream: str, db_url: str, tmp_path: Any
) -> None:
    prepared(db_url)
    publish(stream, [json.dumps(record(n)).encode() for n in range(3000)])
    process = subprocess.Popen(
        [SERVANDA, "--db", db_url, "usage", "consume", "--stream", stream, "--batch", "50",
         "--ack-wait", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while stored(db_url)[0] < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    cut = stored(db_url)[0]
    assert 0 < cut < 3000
    cli(db_url, "usage", "consume", "--stream", stream, "--once", "--ack-wait", "2")
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    prepared(fresh)
    cli(fresh, "usage", "consume", "--stream", stream, "--once", "--durable", "fresh-reader")
    assert stored(db_url) == stored(fresh)
    assert stored(db_url)[0] == 3000
