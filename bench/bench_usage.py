"""Usage ingestion benchmark: records through the HTTP API, and RADIUS accounting requests
from Debian's real ``radclient``, each stored and rated.

Run with ``python bench/bench_usage.py`` (``--records N``, default 100,000; ``--sessions N``,
default 1,000). It prints figures and never fails on timing.

For SQLite and PostgreSQL (at ``$SERVANDA_BENCH_POSTGRES_URL``, in databases made for the run
and dropped after it; skipped with a note when unreachable), on a fresh database with
``examples/metro-isp`` loaded (its tariffs rate the records):

* the real API server in a subprocess, all-new calls of 500 accounts to numbers the example's
  tariff knows, in batches of 1,000 from 4 client threads: records/s stored and rated, p50/p99
  per batch; then the same batches again (every record unchanged: the idempotent path),
  reported apart; the stored records and charges are counted;
* ``servanda radius serve`` in a subprocess and radclient sending N sessions (Start, two
  Interim-Update, Stop: 4 requests each) with 32 in flight: requests/s answered, and the
  usage records stored (3 a session: two interims with news, and the stop).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import func, select

from bench_ingest import (
    PostgresDatabases,
    free_port,
    pct,
    postgres_server,
    serve,
    sqlite_urls,
    start_server,
)
from servanda.config.loader import load_config
from servanda.core.access import Role
from servanda.storage.database import make_engine, transaction
from servanda.storage.migrate import upgrade
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import UsageChargeRow, UsageRow
from servanda.storage.tokens import TokenRepository

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "metro-isp"
SERVANDA = str(Path(sys.executable).with_name("servanda"))
RADCLIENT = "/usr/bin/radclient"
PREFIXES = ["+33142", "+33388", "+33612", "+33755", "+44207", "+4930", "+12125", "+8131"]


def prepare(url: str) -> str:
    upgrade(url)
    engine = make_engine(url)
    try:
        now = datetime.now(UTC)
        with transaction(engine) as session:
            BundleRepository(session).save(load_config([EXAMPLE]).bundle, now=now)
            _, token = TokenRepository(session).create(Role.INGEST, None, "bench", now)
    finally:
        engine.dispose()
    return token


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            records = session.scalar(select(func.count()).select_from(UsageRow)) or 0
            charges = session.scalar(select(func.count()).select_from(UsageChargeRow)) or 0
            return int(records), int(charges)
    finally:
        engine.dispose()


def bodies(records: int) -> list[bytes]:
    rng = random.Random(20241205)
    start = datetime(2024, 4, 1, tzinfo=UTC)
    out = []
    for b in range(0, records, 1000):
        batch = []
        for n in range(b, min(b + 1000, records)):
            at = start + timedelta(seconds=rng.randrange(30 * 86_400))
            batch.append({
                "source": "sbc-bench", "record_id": f"cdr-{n}",
                "account": f"acct-{rng.randrange(500)}", "category": "call",
                "destination": rng.choice(PREFIXES) + f"{rng.randrange(10**6):06d}",
                "start": at.isoformat(), "duration": rng.randrange(1200),
            })  # fmt: skip
        out.append(json.dumps({"usage": batch}).encode())
    return out


def post_all(base: str, token: str, payloads: list[bytes]) -> tuple[float, list[float], int]:
    work = list(payloads)
    lock = threading.Lock()
    latencies: list[float] = []
    failed = [0]

    def run() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            while True:
                with lock:
                    if not work:
                        return
                    body = work.pop()
                started = time.perf_counter()
                answer = http.post("/api/v1/usage", content=body)
                with lock:
                    latencies.append(time.perf_counter() - started)
                    failed[0] += answer.status_code != 200

    threads = [threading.Thread(target=run) for _ in range(4)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, failed[0]


def api(url: str, records: int) -> None:
    token = prepare(url)
    payloads = bodies(records)
    server = start_server(url)
    try:
        wall, latencies, failed = post_all(server.base_url, token, payloads)
        again, _, _ = post_all(server.base_url, token, payloads)
    finally:
        server.stop()
    stored, charged = counts(url)
    print(
        f"  API: {records / wall:,.0f} records/s stored and rated (batches of 1,000, 4 clients; "
        f"p50 {pct(latencies, 0.5):.0f} ms, p99 {pct(latencies, 0.99):.0f} ms); sent again "
        f"(all unchanged): {records / again:,.0f} records/s; stored {stored:,}, charges "
        f"{charged:,}{'' if failed == 0 else f', {failed} batches failed'}"
    )


def session_packets(sessions: int) -> str:
    packets = []
    for s in range(sessions):
        base = {"Acct-Session-Id": f'"s{s}"', "User-Name": f'"user{s % 300}"',
                "NAS-Identifier": '"bras-bench"', "NAS-Port-Type": "Ethernet"}  # fmt: skip
        for status, seconds, octets in (("Start", 0, 0), ("Interim-Update", 300, 10**7),
                                        ("Interim-Update", 600, 3 * 10**7),
                                        ("Stop", 700, 4 * 10**7)):  # fmt: skip
            packet = {"Acct-Status-Type": status, **base}
            if status != "Start":
                packet |= {"Acct-Session-Time": seconds, "Acct-Input-Octets": octets // 4,
                           "Acct-Output-Octets": octets}  # fmt: skip
            packets.append("".join(f"{k} = {v}\n" for k, v in packet.items()))
    return "\n".join(packets)


def radius(url: str, sessions: int, work: Path) -> None:
    if not shutil.which(RADCLIENT):
        print(f"  RADIUS: skipped, no {RADCLIENT} (make installs freeradius-utils as root)")
        return
    prepare(url)
    secrets = work / "clients"
    secrets.write_text("127.0.0.1 bench-secret\n", encoding="utf-8")
    port = free_port()
    log = (work / "radius.log").open("w+b")
    process = subprocess.Popen(
        [SERVANDA, "--db", url, "radius", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--secrets", str(secrets), "--source", "bras-bench", "--service", "internet-access"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            log.seek(0)
            if b"RADIUS accounting on" in log.read():
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the RADIUS server did not start")
            time.sleep(0.05)
        started = time.perf_counter()
        done = subprocess.run(
            [RADCLIENT, "-q", "-p", "32", "-t", "10", "-r", "3", f"127.0.0.1:{port}", "acct",
             "bench-secret"],
            input=session_packets(sessions), capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)
        log.close()
    stored, _ = counts(url)
    problem = "" if done.returncode == 0 else f" (radclient exit {done.returncode})"
    print(
        f"  RADIUS: {4 * sessions / wall:,.0f} requests/s answered (radclient, 32 in flight, "
        f"{sessions:,} sessions); usage records stored {stored:,} of {3 * sessions:,}{problem}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="servanda-usage-") as tmp:
        urls = sqlite_urls(Path(tmp))
        print("SQLite:")
        api(next(urls), args.records)
        radius(next(urls), args.sessions, Path(tmp))
        server = postgres_server()
        if server is None:
            return
        databases = PostgresDatabases(server)
        try:
            print("PostgreSQL:")
            api(databases.new(), args.records)
            radius(databases.new(), args.sessions, Path(tmp))
        finally:
            databases.drop_all()


if __name__ == "__main__":
    os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "0s")
    main()
