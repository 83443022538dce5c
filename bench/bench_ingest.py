"""HTTP ingestion benchmark: Alertmanager webhooks through the real server, correlation on.

Run with ``python bench/bench_ingest.py`` (``--batches N`` to change the count). It prints
figures and never fails on timing; it takes a minute or two.

For each backend (SQLite, then PostgreSQL at ``$SERVANDA_BENCH_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, in a database made for the run and
dropped after it; skipped with a note when unreachable):

* a fresh migrated database gets a synthetic catalog: two core routers, an aggregation router
  needing any of them, 50 access switches behind it and 1,000 hosts and services behind the
  switches, ten customers taking 100 of the services; plus an ingest token;
* the real server (``servanda.api.server.make_server``, Uvicorn) runs in a subprocess on a free
  127.0.0.1 port;
* sustained: a realistic stream (exact repeats, independent faults and their resolves,
  flapping alerts, switch failures with their symptoms) as Alertmanager v4 bodies of 100
  alerts, sent by a few client threads over keep-alive connections: alerts/s and p50/p99
  request latency;
* storm: on another fresh database, the aggregation router fails and 1,000 alerts (the root
  and 999 dependents) arrive as 10 bodies of 100, symptoms first, the root last within the
  hold-down; the time until ``GET /api/v1/incidents`` shows ONE incident holding them all;
* baseline: the same sustained bodies parsed and ingested in-process with
  ``EventEngine.ingest`` (no HTTP, no token check), to show the HTTP overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from servanda.catalog.model import (
    Component,
    Party,
    Requirement,
    RequirementMode,
    Service,
    Subscription,
)
from servanda.core.access import LOCAL_ADMIN, Role
from servanda.declared.bundle import Bundle
from servanda.ingest.alertmanager import label_set_fingerprint, parse_alertmanager
from servanda.services.events import EventEngine
from servanda.storage.database import make_engine, transaction
from servanda.storage.migrate import upgrade
from servanda.storage.repositories import BundleRepository
from servanda.storage.tokens import TokenRepository

SWITCHES = 50
LEAVES = 1000
CUSTOMERS = 10
BATCH = 100
CLIENTS = 4
POSTGRES_ENV = "SERVANDA_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# -- the catalog ------------------------------------------------------------------------------


def _all(*nodes: str) -> Requirement:
    return Requirement(mode=RequirementMode.ALL_OF, nodes=nodes)


def leaf(i: int) -> str:
    return f"svc-{i:04d}" if i % 2 else f"host-{i:04d}"


def catalog() -> Bundle:
    """The synthetic provider (see the module documentation)."""
    components = [Component(id="core-1"), Component(id="core-2")]
    components.append(
        Component(
            id="agg",
            depends_on=(Requirement(mode=RequirementMode.ANY_OF, nodes=("core-1", "core-2")),),
        )
    )
    components += [Component(id=f"sw-{i:02d}", depends_on=(_all("agg"),)) for i in range(SWITCHES)]
    services = []
    for i in range(LEAVES):
        sw = f"sw-{i % SWITCHES:02d}"
        if i % 2:
            services.append(
                Service(id=leaf(i), name=f"Service {i}", provider="isp", depends_on=(_all(sw),))
            )
        else:
            components.append(Component(id=leaf(i), depends_on=(_all(sw),)))
    customers = [f"cust-{c}" for c in range(CUSTOMERS)]
    parties = [Party(id="isp", name="ISP", roles=("provider",))]  # type: ignore[arg-type]
    parties += [Party(id=c, name=c, roles=("customer",)) for c in customers]  # type: ignore[arg-type]
    subscriptions = [
        Subscription(customer=customers[k % CUSTOMERS], service=services[k * 5].id)
        for k in range(len(services) // 5)
    ]
    return Bundle(
        parties=tuple(parties),
        services=tuple(services),
        components=tuple(components),
        subscriptions=tuple(subscriptions),
    )


# -- the alerts -------------------------------------------------------------------------------


class Alerts:
    """Alertmanager alerts about the catalog's nodes, with Alertmanager's fingerprints."""

    def __init__(self) -> None:
        self._fingerprints: dict[tuple[str, str], str] = {}

    def labels(self, node: str, name: str) -> dict[str, str]:
        return {
            "alertname": name,
            "instance": f"{node}:9100",
            "job": "node",
            "severity": "critical",
        }

    def alert(
        self, node: str, name: str, start: datetime, end: datetime | None = None
    ) -> dict[str, Any]:
        labels = self.labels(node, name)
        key = (node, name)
        fp = self._fingerprints.get(key)
        if fp is None:
            fp = self._fingerprints[key] = label_set_fingerprint(labels)
        return {
            "status": "resolved" if end is not None else "firing",
            "labels": labels,
            "annotations": {"summary": f"{node} {name}", "description": f"{node} is {name}"},
            "startsAt": stamp(start),
            "endsAt": stamp(end) if end is not None else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
            "fingerprint": fp,
        }


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def mix(count: int, t0: datetime, seed: int = 11) -> Iterator[dict[str, Any]]:
    """A realistic stream: repeats, independent faults and resolves, flaps, switch failures
    (as in ``bench_correlation.py``), as Alertmanager alerts."""
    rng = random.Random(seed)
    make = Alerts()
    t = t0
    firing: dict[str, dict[str, Any]] = {}
    started: dict[str, tuple[str, str, datetime]] = {}
    resolve_at: list[tuple[datetime, str]] = []
    flappy = [leaf(i) for i in range(3, LEAVES, 97)][:10]
    flap_state = dict.fromkeys(flappy, False)
    emitted = 0

    def fire(key: str, node: str, name: str, at: datetime) -> dict[str, Any]:
        firing[key] = make.alert(node, name, at)
        started[key] = (node, name, at)
        return firing[key]

    def resolve(key: str, at: datetime) -> dict[str, Any]:
        firing.pop(key)
        node, name, start = started.pop(key)
        return make.alert(node, name, start, at)

    while emitted < count:
        t += timedelta(milliseconds=10)
        due = [x for x in resolve_at if x[0] <= t]
        if due:
            resolve_at = [x for x in resolve_at if x[0] > t]
            for _, key in due:
                if key in firing:
                    yield resolve(key, t)
                    emitted += 1
        r = rng.random()
        if r < 0.6 and firing:
            yield rng.choice(list(firing.values()))  # exact repeat (repeat_interval)
        elif r < 0.8:
            node = leaf(rng.randrange(LEAVES))
            key = f"{node}-{rng.randrange(3)}"
            if key not in firing:
                resolve_at.append((t + timedelta(seconds=rng.uniform(30, 600)), key))
                yield fire(key, node, f"Down{key[-1]}", t)
            else:
                yield firing[key]
        elif r < 0.9:
            node = rng.choice(flappy)
            key = f"flap-{node}"
            yield resolve(key, t) if flap_state[node] else fire(key, node, "Flap", t)
            flap_state[node] = not flap_state[node]
        elif r < 0.902:
            sw = f"sw-{rng.randrange(SWITCHES):02d}"
            if sw not in firing:
                resolve_at.append((t + timedelta(seconds=rng.uniform(60, 300)), sw))
                yield fire(sw, sw, "SwitchDown", t)
                for i in range(int(sw[3:]), LEAVES, SWITCHES):
                    key = f"{leaf(i)}-sym"
                    if key in firing:
                        continue
                    resolve_at.append((t + timedelta(seconds=rng.uniform(60, 300)), key))
                    yield fire(key, leaf(i), "Unreachable", t + timedelta(seconds=1))
                    emitted += 1
            else:
                yield firing[sw]
        else:
            continue
        emitted += 1


def webhook(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """A version 4 webhook body, as Alertmanager sends it."""
    return {
        "receiver": "servanda",
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": alerts,
        "groupLabels": {"job": "node"},
        "commonLabels": {"job": "node"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{job="node"}',
        "truncatedAlerts": 0,
        "notification_reason": "first notification",
        "routeLabels": {},
    }


def sustained_bodies(batches: int, t0: datetime) -> list[bytes]:
    alerts = list(mix(batches * BATCH, t0))
    return [
        json.dumps(webhook(alerts[i : i + BATCH])).encode()
        for i in range(0, batches * BATCH, BATCH)
    ]


def storm_bodies(now: datetime) -> list[bytes]:
    """1,000 alerts from the aggregation router's failure: 999 dependents (shuffled) in the
    first batches, the root in the last, all within the hold-down."""
    rng = random.Random(7)
    make = Alerts()
    start = now - timedelta(seconds=40)
    dependents = [f"sw-{i:02d}" for i in range(SWITCHES)] + [leaf(i) for i in range(949)]
    symptoms = [
        make.alert(n, "Unreachable", start + timedelta(seconds=rng.uniform(0, 30)))
        for n in dependents
    ]
    rng.shuffle(symptoms)
    root = make.alert("agg", "RouterDown", start + timedelta(seconds=20))
    batches = [symptoms[i : i + BATCH] for i in range(0, 900, BATCH)]
    batches.append([*symptoms[900:], root])
    return [json.dumps(webhook(b)).encode() for b in batches]


# -- databases and the server -----------------------------------------------------------------


def prepare(url: str) -> str:
    """Migrate ``url``, store the catalog and return a new ingest token."""
    upgrade(url)
    engine = make_engine(url)
    try:
        now = datetime.now(UTC)
        with transaction(engine) as session:
            BundleRepository(session).save(catalog(), now=now - timedelta(days=1))
            _, token = TokenRepository(session).create(Role.INGEST, None, "bench", now)
            _, reader = TokenRepository(session).create(Role.OPERATOR, None, "bench-read", now)
    finally:
        engine.dispose()
    return token + " " + reader


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(url: str) -> Server:
    """``make_server`` on ``url`` in a subprocess, once it answers ``/healthz``."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, str(port)], env=env, stdin=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return Server(process, base_url)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not start in 30 s")
        time.sleep(0.05)


def serve(url: str, port: int) -> None:
    """The subprocess: the real server, quiet (no access log)."""
    from servanda.api.server import make_server
    from servanda.api.settings import ApiSettings

    server = make_server(url, "127.0.0.1", port, settings=ApiSettings(), log_level="warning")
    server.run()


# -- measurements -----------------------------------------------------------------------------


def post_all(
    base_url: str | Sequence[str], token: str, bodies: list[bytes], clients: int
) -> tuple[float, list[float], int]:
    """Send ``bodies`` from ``clients`` threads (one keep-alive connection each, to the servers
    of ``base_url`` in turn when several); returns the wall time, each request's latency, and
    how many alerts the servers reported new."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    work: queue.Queue[bytes] = queue.Queue()
    for b in bodies:
        work.put(b)
    latencies: list[float] = []
    new = [0]
    errors: list[str] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def run(n: int) -> None:
        with httpx.Client(base_url=urls[n % len(urls)], headers=headers, timeout=60) as http:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                s = time.perf_counter()
                response = http.post("/api/v1/events/alertmanager", content=body)
                elapsed = time.perf_counter() - s
                with lock:
                    latencies.append(elapsed)
                    if response.status_code == 200:
                        new[0] += response.json()["new"]
                    else:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} requests failed, first: {errors[0]}")
    return wall, latencies, new[0]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1e3


def sustained(url: str, batches: int, clients: int = CLIENTS) -> float:
    tokens = prepare(url)
    token = tokens.split()[0]
    t0 = datetime.now(UTC) - timedelta(hours=1)
    bodies = sustained_bodies(batches + 5, t0)
    server = start_server(url)
    try:
        post_all(server.base_url, token, bodies[:5], 1)  # warm-up: the engine restores
        wall, latencies, new = post_all(server.base_url, token, bodies[5:], clients)
    finally:
        server.stop()
    alerts = batches * BATCH
    rate = alerts / wall
    print(
        f"  sustained: {batches} bodies x {BATCH} alerts, {clients} clients: {alerts:,} alerts "
        f"({new:,} new) in {wall:.2f} s = {rate:,.0f} alerts/s; request latency "
        f"p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms"
    )
    return rate


def storm(url: str) -> None:
    token, reader = prepare(url).split()
    server = start_server(url)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            http.get("/api/v1/incidents", headers={"Authorization": f"Bearer {reader}"})  # warm
            bodies = storm_bodies(datetime.now(UTC))
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            read = {"Authorization": f"Bearer {reader}"}
            started = time.perf_counter()
            for body in bodies:
                response = http.post("/api/v1/events/alertmanager", content=body, headers=headers)
                response.raise_for_status()
            sent = time.perf_counter() - started
            while True:
                listed = http.get("/api/v1/incidents", headers=read).json()
                if len(listed) == 1 and listed[0]["symptom_count"] == 999:
                    break
                if time.perf_counter() - started > 30:
                    break
                time.sleep(0.005)
            elapsed = time.perf_counter() - started
    finally:
        server.stop()
    one = len(listed) == 1 and listed[0]["root"] == "agg" and listed[0]["symptom_count"] == 999
    verdict = "ONE incident" if one else f"NOT one incident ({len(listed)} listed)"
    print(
        f"  storm: 1,000 alerts (10 bodies, symptoms first, root last) -> {verdict}, root "
        f"{listed[0]['root'] if listed else None}, {listed[0]['symptom_count'] if listed else 0} "
        f"symptoms; all sent in {sent * 1e3:.0f} ms, one incident after {elapsed * 1e3:.0f} ms"
    )
    assert one, listed


def baseline(url: str, batches: int) -> float:
    """The same bodies parsed and ingested in-process (no HTTP, no token check)."""
    prepare(url)
    t0 = datetime.now(UTC) - timedelta(hours=1)
    bodies = sustained_bodies(batches + 5, t0)
    engine = make_engine(url)
    events = EventEngine(engine)
    try:
        for body in bodies[:5]:
            now = datetime.now(UTC)
            found, _ = parse_alertmanager(json.loads(body), received_at=now)
            events.ingest(LOCAL_ADMIN, found, now)
        latencies = []
        started = time.perf_counter()
        for body in bodies[5:]:
            s = time.perf_counter()
            now = datetime.now(UTC)
            found, problems = parse_alertmanager(json.loads(body), received_at=now)
            assert not problems
            events.ingest(LOCAL_ADMIN, found, now)
            latencies.append(time.perf_counter() - s)
        wall = time.perf_counter() - started
    finally:
        engine.dispose()
    rate = batches * BATCH / wall
    print(
        f"  baseline (in-process parse + EventEngine.ingest, one thread): {rate:,.0f} alerts/s; "
        f"per body p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms"
    )
    return rate


# -- backends ---------------------------------------------------------------------------------


def sqlite_urls(tmp: Path) -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"sqlite:///{tmp / f'bench-{n}.db'}"


def postgres_server() -> str | None:
    server = os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES
    try:
        psycopg.connect(_libpq(server), connect_timeout=3).close()
    except psycopg.Error as error:
        print(f"PostgreSQL: skipped, not reachable at {make_url(server).host}: {error}".strip())
        return None
    return server


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresDatabases:
    """Uniquely named databases on the server, dropped at the end."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.made: list[str] = []

    def new(self) -> str:
        name = f"servanda_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(self.server), autocommit=True) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.made.append(name)
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with psycopg.connect(_libpq(self.server), autocommit=True) as c:
            for name in self.made:
                c.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def run_backend(label: str, urls: Iterator[str], batches: int, clients: int) -> None:
    print(f"{label}:")
    http_rate = sustained(next(urls), batches, clients)
    storm(next(urls))
    base = baseline(next(urls), batches)
    print(
        f"  HTTP vs in-process: {http_rate:,.0f} / {base:,.0f} alerts/s "
        f"= {http_rate / base:.2f}x (HTTP costs {max(0.0, 1 - http_rate / base):.0%})"
    )


def main() -> None:
    # Each batch is correlated as it comes (what this measures; bench_alertmanager.py and
    # bench_storm.py measure the default lateness).
    os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "0s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300, help="Bodies of 100 alerts to send.")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="Client threads.")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    import tempfile

    print(
        f"catalog: 2 core routers, 1 aggregation router, {SWITCHES} switches, {LEAVES:,} hosts "
        f"and services; {args.clients} client threads; target 10,000 alerts/s"
    )
    started = time.perf_counter()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="servanda-bench-") as tmp:
            run_backend("SQLite", sqlite_urls(Path(tmp)), args.batches, args.clients)
    if args.only in (None, "postgresql"):
        server = postgres_server()
        if server is not None:
            databases = PostgresDatabases(server)
            try:
                run_backend("PostgreSQL", iter(databases.new, None), args.batches, args.clients)
            finally:
                databases.drop_all()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
