"""Online charging benchmark: credit-control requests through the real server, many concurrent
sessions on ONE prepaid account (the hard case: every request of the account takes its turn).

Run with ``python bench/bench_charging.py`` (``--sessions N``, default 200; ``--updates K``
per session, default 5; ``--clients C`` threads, default 8). It prints figures and never fails
on timing.

For SQLite and PostgreSQL (at ``$SERVANDA_BENCH_POSTGRES_URL``, in a database made for the run
and dropped after it; skipped with a note when unreachable): a fresh database with
``examples/metro-isp`` loaded (its business telephony tariff), one account topped up with
10,000 EUR, the real server in a subprocess; C client threads each run sessions one after the
other (initiate for 60 s, K updates reporting 60 s and asking 60 more, terminate), so C
sessions of the account run at once. Reported: requests/s and updates/s, p50/p99 latency, and
the check that nothing was overspent or lost: the money debited by the sessions plus the
balance left equals the top-up, and the stored charges of the sessions equal what was debited.
Then the same on C accounts (one per thread), to show what the account's turn costs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from bench_ingest import PostgresDatabases, pct, postgres_server, serve, sqlite_urls, start_server
from servanda.config.loader import load_config
from servanda.core.access import Role
from servanda.storage.database import make_engine, transaction
from servanda.storage.migrate import upgrade
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.usage import UsageRepository
from servanda.storage.tokens import TokenRepository

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "metro-isp"
TOP_UP = Decimal(10_000)


def prepare(url: str) -> str:
    """Migrate, load the example, make an admin token."""
    upgrade(url)
    engine = make_engine(url)
    try:
        now = datetime.now(UTC)
        bundle = load_config([EXAMPLE]).bundle
        with transaction(engine) as session:
            BundleRepository(session).save(bundle, now=now - timedelta(days=1))
            _, token = TokenRepository(session).create(Role.ADMIN, None, "bench", now)
    finally:
        engine.dispose()
    return token


def run(url: str, sessions: int, updates: int, clients: int, shared: bool) -> None:
    token = prepare(url)
    server = start_server(url)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    debited: list[Decimal] = []
    errors: list[str] = []
    lock = threading.Lock()
    accounts = ["bench-shared"] if shared else [f"bench-{n}" for n in range(clients)]
    try:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as http:
            for account in accounts:
                http.post("/api/v1/balances", json={
                    "account": account, "kind": "money", "amount": str(TOP_UP / len(accounts)),
                    "currency": "EUR",
                }).raise_for_status()  # fmt: skip

        def client(n: int) -> None:
            account = accounts[n % len(accounts)]
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as http:
                for s in range(n, sessions, clients):

                    def call(path: str, body: dict[str, object]) -> dict[str, object]:
                        started = time.perf_counter()
                        answer = http.post(path, json=body)
                        with lock:
                            latencies.append(time.perf_counter() - started)
                        if answer.status_code != 200:
                            with lock:
                                errors.append(f"{answer.status_code} {answer.text[:200]}")
                            return {}
                        found: dict[str, object] = answer.json()
                        return found

                    sid = f"s{s}"
                    call("/api/v1/sessions", {
                        "account": account, "category": "call", "session_id": sid,
                        "destination": "+33612345678", "requested": 60,
                    })  # fmt: skip
                    for k in range(1, updates + 1):
                        call(f"/api/v1/sessions/{sid}/update",
                             {"request_number": k, "used": 60, "requested": 60})  # fmt: skip
                    end = call(f"/api/v1/sessions/{sid}/terminate",
                               {"request_number": updates + 1, "used": 60})  # fmt: skip
                    if end:
                        with lock:
                            debited.append(Decimal(str(end["debited"])))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        server.stop()
    requests = len(latencies)
    label = "one account" if shared else f"{clients} accounts"
    print(
        f"  {label}: {requests / wall:,.0f} requests/s, {sessions * updates / wall:,.0f} "
        f"updates/s ({sessions} sessions, {clients} at once); latency p50 "
        f"{pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms"
    )
    if errors:
        print(f"  !! {len(errors)} requests failed, first: {errors[0]}")
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            charged = UsageRepository(session).totals().get("EUR", Decimal(0))
            from sqlalchemy import select

            from servanda.storage.tables import BucketRow

            left = sum((Decimal(a) for a in session.scalars(select(BucketRow.amount))), Decimal(0))
    finally:
        engine.dispose()
    spent = sum(debited, Decimal(0))
    ok = spent + left == TOP_UP and charged == spent
    print(
        f"  debited {spent} EUR + left {left} = {spent + left} (top-up {TOP_UP}); stored charges "
        f"{charged}: {'consistent' if ok else '!! NOT consistent'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="servanda-charging-") as tmp:
        urls = sqlite_urls(Path(tmp))
        print("SQLite:")
        for shared in (True, False):
            run(next(urls), args.sessions, args.updates, args.clients, shared)
    server = postgres_server()
    if server is None:
        return
    databases = PostgresDatabases(server)
    try:
        print("PostgreSQL:")
        for shared in (True, False):
            run(databases.new(), args.sessions, args.updates, args.clients, shared)
    finally:
        databases.drop_all()


if __name__ == "__main__":
    os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "0s")
    main()
