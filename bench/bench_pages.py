"""Web page benchmark: server time and database queries per page of the dashboard, on the
example's billed month, on SQLite and PostgreSQL.

Run with ``python bench/bench_pages.py`` (``--requests N`` per page, default 30). It prints
figures and never fails on timing.

Set-up, not timed: a fresh database with ``examples/metro-isp`` loaded, its month of alerts,
measurements, feedback and usage, the month closed, billed and issued, and an operator token.
Timed: each page requested through the application in this process (routing, the session
cookie, the services, the template), once to warm up and then ``N`` times; p50 and p99 of the
server time, and the SQL statements each request ran (counted on the engine). The pages'
target is a p99 under 100 ms with a number of queries that does not grow with the data; the
board evaluates every visible customer's month as the report does, so it grows with the
customers (this is its figure to watch).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Engine, event

from bench_ingest import PostgresDatabases, postgres_server, sqlite_urls
from servanda.api.app import create_app
from servanda.core.access import LOCAL_ADMIN, Role
from servanda.services import billing, closing, configuration, incidents, tokens
from servanda.services.example_month import load_example_month
from servanda.storage.database import make_engine
from servanda.storage.migrate import upgrade

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 3, tzinfo=UTC)


def prepare(url: str) -> tuple[Engine, str, str, int]:
    """The example's month, billed; an operator token, an incident and an invoice."""
    upgrade(url)
    engine = make_engine(url)
    configuration.load(engine, [EXAMPLE], NOW)
    load_example_month(engine, EXAMPLE, NOW)
    closing.close_period(engine, LOCAL_ADMIN, "2024-04", NOW)
    run = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
    billing.issue(engine, LOCAL_ADMIN, "2024-04", NOW, run.drafts)
    token = tokens.create_token(engine, LOCAL_ADMIN, Role.OPERATOR, None, "bench", NOW)[1]
    incident = incidents.list_incidents(engine, LOCAL_ADMIN, limit=1)[0].id
    return engine, token, incident, run.drafts[0]


@contextmanager
def counted(engine: Engine) -> Iterator[list[int]]:
    """A list whose first item counts the statements run on ``engine`` meanwhile."""
    box = [0]

    def count(*_: Any) -> None:
        box[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield box
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(url: str, label: str, requests: int) -> None:
    engine, token, incident, invoice = prepare(url)
    pages = {
        "board": "/board?month=2024-04",
        "board rows (refresh)": "/board/rows?month=2024-04",
        "incidents": "/incidents?state=all",
        "incident": f"/incidents/{incident}",
        "dependency map": "/map",
        "agreement": "/agreements/quai-capital?service=internet-access&on=2024-04-15",
        "SLA report (HTML)": "/reports/horizon-sport?period=2024-04",
        "invoices": "/invoices?period=2024-04",
        "invoice (HTML)": f"/invoices/{invoice}",
    }
    print(f"{label}:")
    try:
        with TestClient(create_app(engine), follow_redirects=False) as client:
            answer = client.post("/login", data={"token": token})
            assert answer.status_code == 303, answer.text
            for name, path in pages.items():
                assert client.get(path).status_code == 200, path  # warm
                times, queries = [], []
                for _ in range(requests):
                    with counted(engine) as box:
                        t0 = time.perf_counter()
                        client.get(path)
                        times.append((time.perf_counter() - t0) * 1000)
                    queries.append(box[0])
                times.sort()
                p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
                print(f"  {name:<22} p50 {statistics.median(times):7.1f} ms   p99 {p99:7.1f} ms"
                      f"   queries {min(queries)}–{max(queries)}")  # fmt: skip
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="servanda-pages-") as tmp:
        measure(next(sqlite_urls(Path(tmp))), "SQLite", args.requests)
    server = postgres_server()
    if server is None:
        return
    databases = PostgresDatabases(server)
    try:
        measure(databases.new(), "PostgreSQL", args.requests)
    finally:
        databases.drop_all()


if __name__ == "__main__":
    main()
