"""``servanda usage ingest`` as a real process killed in the middle of a file: sending the file
again completes it, and the stored usage and charges are exactly those of the same file ingested
uninterrupted into a fresh database — nothing lost, nothing charged twice."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from servanda.storage.database import make_engine, transaction
from servanda.storage.tables import UsageChargeRow, UsageRow

from .processes import EXAMPLE, SERVANDA, cli

RECORDS = 30_000  # six transactions of 5,000
DESTINATIONS = ["+33142", "+33388", "+33612", "+33755", "+33800", "+4420", "+1212", "+8131"]


def write_calls(path: Path) -> None:
    rng = random.Random(20240401)
    start = datetime(2024, 4, 1, tzinfo=UTC)
    lines = ["source,record_id,account,category,service,destination,start,duration"]
    for i in range(RECORDS):
        at = start + timedelta(seconds=rng.randrange(30 * 86_400))
        number = rng.choice(DESTINATIONS) + f"{rng.randrange(10**6):06d}"
        lines.append(
            f"sbc-kill,c{i:06d},acct-{i % 97},call,ip-telephony,{number},"
            f"{at.isoformat()},{rng.randrange(0, 3_600)}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def stored(db: str) -> tuple[int, int, dict[str, Decimal]]:
    """Current versions, charges, and each record's charge summed by account."""
    engine = make_engine(db)
    try:
        with transaction(engine) as session:
            current = session.scalar(
                select(func.count()).select_from(UsageRow).where(UsageRow.superseded_at.is_(None))
            )
            rows = session.execute(select(UsageChargeRow.account, UsageChargeRow.amount)).all()
            by_account: dict[str, Decimal] = {}
            for account, amount in rows:
                by_account[account] = by_account.get(account, Decimal(0)) + Decimal(amount)
            return int(current or 0), len(rows), by_account
    finally:
        engine.dispose()


def test_an_ingest_killed_mid_file_completes_when_sent_again(db_url: str, tmp_path: Path) -> None:
    calls = tmp_path / "calls.csv"
    write_calls(calls)
    cli(db_url, "db", "upgrade")
    cli(db_url, "load", str(EXAMPLE))

    process = subprocess.Popen(
        [SERVANDA, "--db", db_url, "usage", "ingest", str(calls)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while stored(db_url)[0] == 0:  # the first transaction committed: kill it in the middle
        assert process.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    partial, charges, _ = stored(db_url)
    assert 0 < partial < RECORDS
    assert partial == charges  # each committed record was charged in its own transaction

    said = cli(db_url, "usage", "ingest", str(calls))
    assert f"{partial} unchanged" in said

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    cli(fresh, "db", "upgrade")
    cli(fresh, "load", str(EXAMPLE))
    cli(fresh, "usage", "ingest", str(calls))
    assert stored(db_url) == stored(fresh)
    assert stored(db_url)[:2] == (RECORDS, RECORDS)
