"""``servanda radius serve`` as a real process fed by Debian's ``radclient``: a data session
with interim updates and gigawords is answered, stored and rated; the server killed half way
and started again, with the NAS sending every request again, charges each octet once, the same
as the session mediated in memory and rated without a database."""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from tests.ingest.test_radius_server import SECRET, SECRETS, radclient, running, send, session

from servanda.accounting.rating.rater import Rater
from servanda.accounting.sessions import WRAP
from servanda.config.loader import load_config
from servanda.ingest.radius.memory import MemorySink
from servanda.services.usage import usage_table
from servanda.storage.database import make_engine, transaction
from servanda.storage.repositories.usage import UsageRepository
from servanda.storage.tables import UsageChargeRow, UsageRow

from .processes import EXAMPLE, SERVANDA, cli, free_port

__all__ = ["radclient"]

PACKETS = [
    session("Start"),
    session("Interim-Update", 300, 40_000_000, 3 * WRAP + 17),
    session("Interim-Update", 600, 90_000_000, 5 * WRAP + 4_000),
    session("Interim-Update", 900, 95_000_000, 6 * WRAP),
    session("Stop", 1_000, 99_000_000, 6 * WRAP + 123_456)
    | {"Acct-Terminate-Cause": "User-Request"},
]


class RadiusServer:
    """One ``servanda radius serve`` process on a free UDP port."""

    def __init__(self, db: str, secrets: Path) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [SERVANDA, "--db", db, "radius", "serve", "--host", "127.0.0.1", "--port",
             str(self.port), "--secrets", str(secrets), "--source", "bras-radius",
             "--service", "internet-access"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while b"RADIUS accounting on" not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.05)

    def output(self) -> bytes:
        self.log.seek(0)
        return self.log.read()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        self.process.wait(30)
        self.log.close()


def reference() -> Decimal:
    """The session mediated in memory and rated without a database."""
    sink = MemorySink()
    with running(sink) as (_, port):
        assert send(port, PACKETS).returncode == 0
    bundle = load_config([EXAMPLE]).bundle
    rater = Rater(bundle.tariffs, bundle.rating_profiles, bundle.calendars)
    records = list(sink.usage.values())
    rated = rater.rate_table(usage_table(records))
    return sum((c for c in rated.column("cost").to_pylist()), Decimal(0))


def stored(db: str) -> tuple[int, int, Decimal]:
    engine = make_engine(db)
    try:
        with transaction(engine) as session_:
            rows = session_.scalars(select(UsageRow).where(UsageRow.superseded_at.is_(None))).all()
            octets = sum(r.record["volume_up"] + r.record["volume_down"] for r in rows)
            total = UsageRepository(session_).totals().get("EUR", Decimal(0))
            return len(rows), octets, total
    finally:
        engine.dispose()


def test_radius_sessions_are_stored_and_charged_once_across_a_kill(
    radclient: str, db_url: str, tmp_path: Path
) -> None:
    cli(db_url, "db", "upgrade")
    cli(db_url, "load", str(EXAMPLE))
    secrets = tmp_path / "clients"
    secrets.write_text(SECRETS, encoding="utf-8")

    first = RadiusServer(db_url, secrets)
    answered = send(first.port, PACKETS[:3])
    assert answered.stdout.count("Received Accounting-Response") == 3, answered.stdout
    first.stop(signal.SIGKILL)

    second = RadiusServer(db_url, secrets)
    again = send(second.port, PACKETS)  # the NAS sends everything again
    assert again.stdout.count("Received Accounting-Response") == 5, again.stdout
    wrong = send(second.port, PACKETS[:1], secret=SECRET + "x", timeout=0.3, retries=1)
    assert "Received Accounting-Response" not in wrong.stdout
    second.stop()

    records, octets, total = stored(db_url)
    assert octets == 99_000_000 + 6 * WRAP + 123_456
    assert records == 4  # three interims with news, and the stop
    assert total == reference() > 0


def charged_by_record(db: str) -> dict[str, Decimal]:
    engine = make_engine(db)
    try:
        with transaction(engine) as session_:
            rows = session_.execute(
                select(UsageRow.record_id, UsageChargeRow.amount).join(
                    UsageChargeRow, UsageChargeRow.usage_id == UsageRow.id
                )
            ).all()
            return {r[0]: Decimal(r[1]) for r in rows}
    finally:
        engine.dispose()


def test_the_example_file_sent_by_radclient_is_what_replaying_it_stores(
    radclient: str, db_url: str, tmp_path: Path
) -> None:
    month = EXAMPLE / "usage" / "2024-04.radius"
    secrets = tmp_path / "clients"
    secrets.write_text(SECRETS, encoding="utf-8")
    cli(db_url, "db", "upgrade")
    cli(db_url, "load", str(EXAMPLE))
    server = RadiusServer(db_url, secrets)
    sent = subprocess.run(
        [radclient, "-f", str(month), "-p", "1", "-t", "2", "-r", "3",
         f"127.0.0.1:{server.port}", "acct", SECRET],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    server.stop()
    assert sent.returncode == 0, sent.stdout + sent.stderr

    replayed = f"sqlite:///{tmp_path / 'replayed.db'}"
    cli(replayed, "db", "upgrade")
    cli(replayed, "load", str(EXAMPLE))
    said = cli(replayed, "radius", "replay", str(month), "--source", "bras-radius",
               "--service", "internet-access")  # fmt: skip
    assert "60 requests, 56 usage records stored, 56 rated" in said
    again = cli(replayed, "radius", "replay", str(month), "--source", "bras-radius")
    assert "60 requests, 0 usage records stored" in again

    over_the_wire = charged_by_record(db_url)
    assert len(over_the_wire) == 56
    assert over_the_wire == charged_by_record(replayed)
