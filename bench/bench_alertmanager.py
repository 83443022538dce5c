"""Alertmanager comparison: Servanda's webhook route against the real Alertmanager's own
ingestion, for the same all-new alerts.

Run with ``python bench/bench_alertmanager.py`` (``--batches N`` bodies of ``--batch`` alerts,
default 200 of 100; ``--clients``, default 4; ``--only``). It prints figures and never fails on
timing; it takes a minute or two.

The alerts: every one a new fingerprint (no repeat among them), firing, about the 1,000 hosts
and services of the synthetic catalog of ``bench_ingest.py`` in turn (alert names ``Check0000``,
``Check0001`` … so that each is new), 10 ms apart in event time.

* Alertmanager (Debian's ``/usr/bin/prometheus-alertmanager``, or ``$SERVANDA_ALERTMANAGER``;
  skipped with a note when absent) on a free 127.0.0.1 port, clustering off, the route of
  ``docs/api.md`` (``group_by: [alertname, instance]``) to a receiver with no integration, so
  that it spends nothing on notifications: the alerts are posted to ``POST /api/v2/alerts`` as
  Prometheus sends them, in lists of ``--batch``. It keeps them in memory and writes nothing
  per request.
* Servanda, on SQLite and on PostgreSQL (as in ``bench_ingest.py``: a fresh database with the
  catalog, the real server in a subprocess, correlation on): the same alerts as Alertmanager
  version 4 webhook bodies of ``--batch`` to ``POST /api/v1/events/alertmanager``. Each request
  is answered once its batch is stored and journaled; correlation follows the event-time
  watermark (``SERVANDA_EVENTS_LATENESS``, 5 minutes by default: the alerts, 10 ms apart,
  span less than that, so they are held back). Then the import is settled (``POST
  /api/v1/events/settle``) and the time until every alert is correlated and stored is
  measured: the end-to-end figure. With
  ``SERVANDA_EVENTS_LATENESS=0s`` each request is correlated before it is answered.

On PostgreSQL the run is repeated with two server processes on the one database (the clients
alternate between them; one holds the correlator lease, the other only stores and journals):
throughput against one.

Both get the same client threads over keep-alive connections, after five warm-up bodies of
other new alerts. Then **repeats**: the same bodies sent again (Alertmanager's repeat interval,
Prometheus's re-sends), reported apart from the new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.servers.alertmanager
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from tests.servers import alertmanager as am

from bench_ingest import (
    CLIENTS,
    LEAVES,
    SWITCHES,
    Alerts,
    PostgresDatabases,
    leaf,
    pct,
    post_all,
    postgres_server,
    prepare,
    sqlite_urls,
    start_server,
    webhook,
)

WARM_UP = 5


# -- the alerts -------------------------------------------------------------------------------


def all_new(count: int, t0: datetime) -> list[dict[str, Any]]:
    """``count`` firing alerts, each with its own fingerprint (see the module documentation)."""
    make = Alerts()
    alerts = [
        make.alert(leaf(i % LEAVES), f"Check{i // LEAVES:04d}", t0 + timedelta(milliseconds=10 * i))
        for i in range(count)
    ]
    assert len({a["fingerprint"] for a in alerts}) == count
    return alerts


def postable(alert: dict[str, Any]) -> dict[str, Any]:
    """The alert as Prometheus posts it to Alertmanager (no status, no fingerprint; a firing
    alert's end left for Alertmanager to set)."""
    return {
        "labels": alert["labels"],
        "annotations": alert["annotations"],
        "startsAt": alert["startsAt"],
        "generatorURL": alert["generatorURL"],
    }


def chunks(alerts: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [alerts[i : i + size] for i in range(0, len(alerts), size)]


# -- sending ----------------------------------------------------------------------------------


def post_bodies(
    base_url: str, path: str, bodies: list[bytes], clients: int
) -> tuple[float, list[float], list[str]]:
    """Send ``bodies`` to ``path`` from ``clients`` threads (one keep-alive connection each);
    the wall time, each request's latency and the failures."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        headers = {"Content-Type": "application/json"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                s = time.perf_counter()
                response = http.post(path, content=body)
                elapsed = time.perf_counter() - s
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors


def line(label: str, alerts: int, wall: float, latencies: list[float], extra: str = "") -> float:
    rate = alerts / wall
    print(
        f"  {label}: {alerts:,} alerts in {wall:.2f} s = {rate:,.0f} alerts/s; request latency "
        f"p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms{extra}"
    )
    return rate


# -- Alertmanager -----------------------------------------------------------------------------


def alertmanager_settings() -> dict[str, Any]:
    """The route of docs/api.md to a receiver that sends nothing."""
    return {
        "route": {
            "receiver": "nowhere",
            "group_by": ["alertname", "instance"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
        },
        "receivers": [{"name": "nowhere"}],
    }


def alertmanager_version() -> str:
    done = subprocess.run(
        [am.binary(), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    first = (done.stdout or done.stderr).splitlines()
    return first[0] if first else "unknown version"


def run_alertmanager(
    warm: list[list[dict[str, Any]]], bodies: list[list[dict[str, Any]]], clients: int
) -> tuple[float, float] | None:
    """Alertmanager's ingestion of ``bodies`` (new, then again): alerts/s of each."""
    problem = am.missing()
    if problem is not None:
        print(f"Alertmanager: skipped. {problem}")
        return None
    print(f"Alertmanager ({alertmanager_version()}), POST /api/v2/alerts, nothing notified:")
    count = sum(len(b) for b in bodies)

    def encode(batches: list[list[dict[str, Any]]]) -> list[bytes]:
        return [json.dumps([postable(a) for a in b]).encode() for b in batches]

    encoded = encode(bodies)
    with am.running(alertmanager_settings()) as manager:

        def send(label: str, sent: list[bytes], clients: int) -> float:
            wall, latencies, errors = post_bodies(manager.url, "/api/v2/alerts", sent, clients)
            held = f" ({len(manager.alerts()):,} alerts held)"
            failed = f"; {len(errors)} requests failed, first: {errors[0]}" if errors else ""
            return line(label, count, wall, latencies, held + failed)

        post_bodies(manager.url, "/api/v2/alerts", encode(warm), 1)
        new = send("new", encoded, clients)
        again = send("repeats", encoded, clients)
    return new, again


# -- Servanda ---------------------------------------------------------------------------------


def run_servanda(
    label: str,
    url: str,
    warm: list[list[dict[str, Any]]],
    bodies: list[list[dict[str, Any]]],
    clients: int,
    servers: int = 1,
) -> tuple[float, float]:
    """Servanda's ingestion of ``bodies`` through the webhook route (new, then again) by
    ``servers`` server processes on the one database, and how long correlation takes to catch
    up once the import is settled."""
    lateness = os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "5m")  # the default
    print(
        f"Servanda on {label}, {servers} server process{'es' if servers > 1 else ''}, "
        f"POST /api/v1/events/alertmanager, lateness {lateness}:"
    )
    ingest, reader = prepare(url).split()
    count = sum(len(b) for b in bodies)
    encoded = [json.dumps(webhook(b)).encode() for b in bodies]
    started = [start_server(url) for _ in range(servers)]
    urls = [s.base_url for s in started]
    try:
        post_all(urls, ingest, [json.dumps(webhook(b)).encode() for b in warm], 1)
        wall, latencies, new = post_all(urls, ingest, encoded, clients)
        fresh = line("new, answered", count, wall, latencies, f" ({new:,} reported new)")
        drained = settle_and_drain(urls[0], reader)
        print(
            f"  correlated: the rest {drained:.2f} s after the last answer (settled); end to "
            f"end {count / (wall + drained):,.0f} alerts/s"
        )
        wall, latencies, new = post_all(urls, ingest, encoded, clients)
        again = line("repeats", count, wall, latencies, f" ({new:,} reported new)")
    finally:
        for server in started:
            server.stop()
    return fresh, again


def settle_and_drain(base_url: str, token: str) -> float:
    """Settle (``POST /api/v1/events/settle``, to the server holding the lease) and wait
    until every event is correlated and stored: the seconds it took."""
    started = time.perf_counter()
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as http:
        http.post("/api/v1/events/settle").raise_for_status()
        while True:
            log = http.get("/api/v1/events/log").json()
            if log["waiting"] == 0 and log["held_events"] == 0:
                return time.perf_counter() - started
            time.sleep(0.02)


def compare(label: str, servanda: tuple[float, float], manager: tuple[float, float] | None) -> None:
    if manager is None:
        return
    print(
        f"  {label} / Alertmanager: new {servanda[0]:,.0f} / {manager[0]:,.0f} = "
        f"{servanda[0] / manager[0]:.2f}x; repeats {servanda[1]:,.0f} / {manager[1]:,.0f} = "
        f"{servanda[1] / manager[1]:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="Bodies sent (after warm-up).")
    parser.add_argument("--batch", type=int, default=100, help="Alerts per body.")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="Client threads.")
    parser.add_argument("--only", choices=["alertmanager", "sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    total = (WARM_UP + args.batches) * args.batch
    alerts = all_new(total, datetime.now(UTC) - timedelta(hours=1))
    bodies = chunks(alerts, args.batch)
    warm, measured = bodies[:WARM_UP], bodies[WARM_UP:]
    print(
        f"{args.batches} bodies x {args.batch} all-new alerts (after {WARM_UP} warm-up bodies), "
        f"{args.clients} client threads; catalog of bench_ingest.py ({SWITCHES} switches, "
        f"{LEAVES:,} hosts and services)"
    )
    started = time.perf_counter()
    manager = None
    if args.only in (None, "alertmanager"):
        manager = run_alertmanager(warm, measured, args.clients)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="servanda-bench-") as tmp:
            urls: Iterator[str] = sqlite_urls(Path(tmp))
            compare(
                "SQLite", run_servanda("SQLite", next(urls), warm, measured, args.clients), manager
            )
    if args.only in (None, "postgresql"):
        server = postgres_server()
        if server is not None:
            databases = PostgresDatabases(server)
            try:
                found = run_servanda("PostgreSQL", databases.new(), warm, measured, args.clients)
                compare("PostgreSQL", found, manager)
                two = run_servanda(
                    "PostgreSQL", databases.new(), warm, measured, args.clients, servers=2
                )
                compare("PostgreSQL, two servers", two, manager)
                print(
                    f"  two servers / one: new {two[0] / found[0]:.2f}x, "
                    f"repeats {two[1] / found[1]:.2f}x"
                )
            finally:
                databases.drop_all()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
