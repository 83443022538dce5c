"""Event engine benchmark: sustained ingestion with correlation and storage, per backend.

Run with ``python bench/bench_engine.py`` (``--help`` for options). It prints figures and never
fails on timing.

What it measures: :meth:`servanda.services.events.EventEngine.ingest` (map, de-duplicate,
correlate, persist, commit) on Alertmanager batches of 100, without HTTP, on SQLite (a
temporary file) and on PostgreSQL (a temporary database on ``$SERVANDA_BENCH_POSTGRES_URL``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``, dropped afterwards; skipped
with a note when the server cannot be reached). Parsing (``json.loads`` and the Alertmanager
parser) is timed apart, as the HTTP route does it before calling the engine.

The synthetic provider: two core routers, an aggregation router needing any of them, 50
access switches behind it, 500 hosts and 500 services behind the switches, one customer per
service, and a mapping rule (``device: ~sw-...``) besides the default ``instance`` label.

The stream (Alertmanager webhooks of 100 alerts, the clock moving two seconds per batch):

* background: faults on random hosts and services (3 alert names each), their resolves,
  Alertmanager's re-sends of firing alerts (exact duplicates), a few flapping alerts and a few
  unmapped ones;
* a storm: the aggregation router fails, then the alerts of the 50 switches and of every host
  and service below arrive over the next batches (about 3,000 symptoms of one incident), are
  re-sent, and resolve with the root.

Figures: received and new events per second, batch latency p50/p99/max, and where the time
goes (map, de-duplication look-up, correlation, persistence, commit; the rest is keying and
bookkeeping). ``--profile`` prints the top of a cProfile of the SQLite run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from servanda.catalog.model import (
    Component,
    Party,
    Requirement,
    RequirementMode,
    Service,
    Subscription,
)
from servanda.core.access import Principal, Role
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.events.model import Event, NodeMapping
from servanda.ingest.alertmanager import parse_alertmanager
from servanda.services.events import EventEngine
from servanda.storage.database import make_engine, transaction
from servanda.storage.migrate import upgrade
from servanda.storage.repositories import BundleRepository

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
SWITCHES = 50
LEAVES = 1000
ALERTNAMES = ("NodeDown", "HighLatency", "PacketLoss")
BATCH = 100
STEP = timedelta(seconds=2)
POSTGRES_URL_ENV = "SERVANDA_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
INGEST = Principal(Role.INGEST, token_id="bench")


# -- the provider ----------------------------------------------------------------------------


def _all(*nodes: str) -> Requirement:
    return Requirement(mode=RequirementMode.ALL_OF, nodes=nodes)


def leaf(i: int) -> str:
    return f"svc-{i:04d}" if i % 2 else f"host-{i:04d}"


def switch(i: int) -> str:
    return f"sw-{i % SWITCHES:02d}"


def provider() -> Bundle:
    """The synthetic provider."""
    customers = [f"cust-{i:02d}" for i in range(20)]
    parties = [Party(id="isp", name="ISP", roles=("provider",))]  # type: ignore[arg-type]
    parties += [Party(id=c, name=c, roles=("customer",)) for c in customers]  # type: ignore[arg-type]
    components = [Component(id="core-1"), Component(id="core-2")]
    components.append(
        Component(
            id="agg",
            depends_on=(Requirement(mode=RequirementMode.ANY_OF, nodes=("core-1", "core-2")),),
        )
    )
    components += [Component(id=f"sw-{i:02d}", depends_on=(_all("agg"),)) for i in range(SWITCHES)]
    services = []
    subscriptions = []
    for i in range(LEAVES):
        if i % 2:
            services.append(
                Service(
                    id=leaf(i), name=f"Service {i}", provider="isp", depends_on=(_all(switch(i)),)
                )
            )
            subscriptions.append(
                from_jsonable(Subscription, {"customer": customers[i % 20], "service": leaf(i)})
            )
        else:
            components.append(Component(id=leaf(i), depends_on=(_all(switch(i)),)))
    mappings = (NodeMapping(match=(("device", "~(?P<sw>sw-\\d\\d)"),), node="{sw}"),)
    return Bundle(
        parties=tuple(parties),
        components=tuple(components),
        services=tuple(services),
        subscriptions=tuple(subscriptions),
        mappings=mappings,
    )


# -- the stream ------------------------------------------------------------------------------


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


class Stream:
    """Alertmanager webhook bodies (bytes) and the clock reading of each."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.firing: dict[tuple[str, str], datetime] = {}  # (node, alertname) -> startsAt
        self.batches: list[tuple[datetime, bytes]] = []

    def alert(
        self, node: str, name: str, start: datetime, end: datetime | None, *, by: str = "instance"
    ) -> dict[str, Any]:
        labels = {"alertname": name, "job": "node", "severity": "critical"}
        labels[by] = f"{node}:9100" if by == "instance" else node
        return {
            "status": "resolved" if end else "firing",
            "labels": labels,
            "annotations": {"summary": f"{name} on {node}", "description": "bench"},
            "startsAt": _stamp(start),
            "endsAt": _stamp(end) if end else "0001-01-01T00:00:00Z",
            "generatorURL": f"http://prometheus:9090/graph?g0.expr={name}",
            "fingerprint": hashlib.sha256(f"{node}/{name}/{by}".encode()).hexdigest()[:16],
        }

    def body(self, alerts: list[dict[str, Any]]) -> bytes:
        return json.dumps(
            {
                "version": "4",
                "groupKey": '{}:{alertname="bench"}',
                "truncatedAlerts": 0,
                "status": "firing",
                "receiver": "servanda",
                "groupLabels": {},
                "commonLabels": {"job": "node"},
                "commonAnnotations": {},
                "externalURL": "http://alertmanager:9093",
                "alerts": alerts,
            }
        ).encode()

    def background(self, now: datetime, n: int, protected: set[str]) -> list[dict[str, Any]]:
        """``n`` alerts: new faults, resolves, re-sends, flapping and unmapped ones."""
        rng, out = self.rng, []
        for _ in range(n):
            roll = rng.random()
            if roll < 0.35 or not self.firing:  # a new fault on a host or service
                node, name = leaf(rng.randrange(LEAVES)), rng.choice(ALERTNAMES)
                if node in protected or (node, name) in self.firing:
                    out.append(self.alert("mystery-box", "Unknown", now, None))
                    continue
                start = now - timedelta(seconds=rng.uniform(0, 1))
                self.firing[node, name] = start
                out.append(self.alert(node, name, start, None))
            elif roll < 0.6:  # a resolve
                key = rng.choice(list(self.firing))
                if key[0] in protected:
                    continue
                start = self.firing.pop(key)
                out.append(self.alert(*key, start, now))
            elif roll < 0.93:  # a re-send of a firing alert (an exact duplicate)
                key = rng.choice(list(self.firing))
                out.append(self.alert(*key, self.firing[key], None))
            elif roll < 0.97:  # flapping: a few alerts firing anew each time
                node = leaf(rng.randrange(8) * 2)
                start = now - timedelta(seconds=rng.uniform(0, 1))
                out.append(self.alert(node, "Flappy", start, None))
                out.append(self.alert(node, "Flappy", start, start + timedelta(milliseconds=500)))
            else:  # unmapped
                out.append(self.alert(f"unknown-{rng.randrange(50)}", "Unknown", now, None))
        return out[:n]

    def build(self, batches: int) -> list[tuple[datetime, bytes]]:
        """About ``batches`` batches: background, then a storm in the middle third."""
        storm_from, storm_to = batches // 3, 2 * batches // 3
        below = [f"sw-{i:02d}" for i in range(SWITCHES)] + [leaf(i) for i in range(LEAVES)]
        symptoms: list[tuple[str, str, str]] = [
            (n, a, "device" if n.startswith("sw-") else "instance")
            for n in below
            for a in ALERTNAMES
            if not n.startswith("sw-") or a == "NodeDown"
        ]
        self.rng.shuffle(symptoms)
        symptom_start: dict[tuple[str, str, str], datetime] = {}
        root_start = T0 + STEP * storm_from
        protected = set(below)
        for b in range(batches):
            now = T0 + STEP * (b + 1)
            alerts: list[dict[str, Any]] = []
            if b == storm_from:
                alerts.append(self.alert("agg", "NodeDown", root_start, None))
            if storm_from <= b < storm_to:
                # the storm: new symptoms first, then re-sends of the ones already sent
                fresh = symptoms[len(symptom_start) : len(symptom_start) + 60]
                for key in fresh:
                    symptom_start[key] = now - timedelta(seconds=self.rng.uniform(0, 1))
                    alerts.append(self.alert(key[0], key[1], symptom_start[key], None, by=key[2]))
                sent = list(symptom_start)
                for key in self.rng.sample(sent, min(20, len(sent))):
                    alerts.append(self.alert(key[0], key[1], symptom_start[key], None, by=key[2]))
                if b == storm_from:
                    self.firing = {k: v for k, v in self.firing.items() if k[0] not in protected}
            elif b >= storm_to and symptom_start:
                # recovery: the root, then its symptoms
                if b == storm_to:
                    alerts.append(self.alert("agg", "NodeDown", root_start, now))
                for key in list(symptom_start)[:80]:
                    start = symptom_start.pop(key)
                    alerts.append(self.alert(key[0], key[1], start, now, by=key[2]))
            if b > storm_to and not symptom_start:
                protected = set()
            alerts += self.background(now, BATCH - len(alerts), protected)
            self.batches.append((now, self.body(alerts[:BATCH])))
        return self.batches


# -- timing ----------------------------------------------------------------------------------


class Phases:
    """Wraps methods by name and adds up the time spent in each (missing ones are skipped)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._undo: list[Callable[[], None]] = []

    def wrap(self, label: str, owner: Any, name: str) -> None:
        original = owner.__dict__.get(name)
        if original is None or not callable(original):
            return
        spent = self.spent

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


def instrument() -> Phases:
    """Time the phases of ``EventEngine.ingest``, whichever of these names exist."""
    from servanda.events.correlate import Correlator
    from servanda.events.mapping import NodeMapper
    from servanda.services import events as service
    from servanda.storage.repositories.events import EventRepository

    phases = Phases()
    phases.wrap("claim", service.EventEngine, "_claim")
    phases.wrap("map", NodeMapper, "map_all")
    phases.wrap("dedupe lookup", EventRepository, "existing_keys")
    phases.wrap("insert new events", EventRepository, "add_new_events")
    phases.wrap("dedupe lookup", service.EventEngine, "_stored_keys")
    phases.wrap("correlate", Correlator, "process")
    phases.wrap("persist events", EventRepository, "add_events")
    phases.wrap("persist state", service.EventEngine, "_persist")
    phases.wrap("commit", service._Writing, "__exit__")
    return phases


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """A migrated, empty database of ``backend``: its URL, or None when unavailable."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            upgrade(url)
            yield url
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"servanda_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"postgresql: skipped, server not reachable ({str(exc).strip()[:80]})")
        yield None
        return
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(libpq, autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run(backend: str, batches: list[tuple[datetime, bytes]], bundle: Bundle, profile: bool) -> None:
    with database(backend) as url:
        if url is None:
            return
        engine = make_engine(url)
        try:
            with transaction(engine) as session:
                BundleRepository(session).save(bundle, now=T0 - timedelta(days=1))
            events_engine = EventEngine(engine)
            parsed: list[tuple[datetime, list[Event]]] = []
            started = time.perf_counter()
            for now, body in batches:
                found, problems = parse_alertmanager(json.loads(body), received_at=now)
                assert not problems, problems
                parsed.append((now, found))
            parse_s = time.perf_counter() - started
            # the first batch restores the (empty) state: keep it out of the figures
            events_engine.ingest(INGEST, parsed[0][1], parsed[0][0])
            phases = instrument()
            profiler = cProfile.Profile() if profile else None
            latencies: list[float] = []
            received = new = 0
            opened: set[str] = set()
            gc.collect()
            if profiler is not None:
                profiler.enable()
            try:
                for now, found in parsed[1:]:
                    t = time.perf_counter()
                    result = events_engine.ingest(INGEST, found, now)
                    latencies.append(time.perf_counter() - t)
                    received += result.received
                    new += result.new
                    opened.update(result.opened)
            finally:
                if profiler is not None:
                    profiler.disable()
                phases.restore()
            total = sum(latencies)
            print(
                f"{backend}: {len(latencies)} batches of {BATCH}: "
                f"{received / total:,.0f} received/s, {new / total:,.0f} new/s "
                f"({new} new, {received - new} duplicates); {len(opened)} incidents opened"
            )
            print(
                f"{backend}: batch p50 {percentile(latencies, 0.5) * 1e3:.1f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms, "
                f"max {max(latencies) * 1e3:.1f} ms, mean {statistics.mean(latencies) * 1e3:.1f} ms"
            )
            accounted = sum(v for k, v in phases.spent.items() if k != "claim")
            parts = [("parse (json + alertmanager)", parse_s * len(latencies) / len(parsed))]
            parts += sorted(phases.spent.items(), key=lambda kv: -kv[1])
            parts.append(("other (keys, bookkeeping)", total - accounted - phases.spent["claim"]))
            print(f"{backend}: per batch of {BATCH}:")
            for label, spent in parts:
                print(f"    {label:<30} {spent / len(latencies) * 1e3:7.2f} ms")
            t = time.perf_counter()
            EventEngine(engine).tick(parsed[-1][0] + STEP)
            print(f"{backend}: a restarted engine restores its state in "
                  f"{(time.perf_counter() - t) * 1e3:.0f} ms")  # fmt: skip
            if profiler is not None:
                print(f"{backend}: cProfile, top 30 by cumulative time")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        finally:
            engine.dispose()


def main() -> None:
    # Each batch is correlated as it comes (what this measures; bench_alertmanager.py and
    # bench_storm.py measure the default lateness).
    os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "0s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=240, help="batches of 100 (default 240)")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "both"), default="both", help="default both"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each run")
    args = parser.parse_args()
    bundle = provider()
    batches = Stream().build(args.batches)
    print(
        f"stream: {len(batches)} Alertmanager batches of {BATCH}, "
        f"{sum(len(b) for _, b in batches) / len(batches) / 1024:.0f} KiB each; "
        f"catalog: {len(bundle.services)} services, {len(bundle.components)} components"
    )
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        run(backend, batches, bundle, args.profile)


if __name__ == "__main__":
    main()
