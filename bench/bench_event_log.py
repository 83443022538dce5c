"""Event log benchmark: restart time against the size of the log, and the cost of an alert
against the size of its incident.

Run with ``python bench/bench_event_log.py`` (``--observations N``, default 200,000; the issue's
figure is for 1,000,000; ``--symptoms N``, default 120,000). It prints figures and never fails
on timing. For each backend (SQLite, and PostgreSQL when reachable), on the synthetic catalog
of ``bench_ingest.py``:

* fill: N all-new observations through ``EventEngine.ingest`` in batches of about 1,000: faults
  of access switches every ten minutes, each the switch's alert and its 20 dependents' (new
  fingerprints every time), resolved five minutes later;
* restart: a new engine's first tick after (a) a graceful stop (snapshot at the end), (b) a kill
  with up to 400 journal entries after the last snapshot, (c) no usable snapshot (the state
  rebuilt from the stored alert states and incidents);
* growth: the aggregation router fails and N all-new symptom alerts join its incident in
  batches of 100: alerts/s for the first half and for the second half.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import delete

from bench_ingest import (
    LEAVES,
    SWITCHES,
    PostgresDatabases,
    leaf,
    postgres_server,
    prepare,
    sqlite_urls,
)
from servanda.core.access import LOCAL_ADMIN
from servanda.events.model import Event, Severity, Status
from servanda.services.events import EventEngine
from servanda.services.journal import JournalSettings
from servanda.storage.database import make_engine, transaction
from servanda.storage.tables import CorrelatorSnapshotRow

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(fp: str, node: str, start: datetime, end: datetime | None = None) -> Event:
    return Event(
        source="alertmanager",
        fingerprint=fp,
        labels=(("alertname", fp), ("instance", f"{node}:9100")),
        status=Status.RESOLVED if end is not None else Status.FIRING,
        starts_at=start,
        ends_at=end,
        severity=Severity.CRITICAL,
        summary=f"{node} {fp}",
    )


def observations(count: int) -> Iterator[list[Event]]:
    """Batches of about 1,000 all-new observations: faults of access switches, one every ten
    minutes, each the switch's own alert and the alerts of the 20 nodes behind it, all
    resolved five minutes later (each fault's alerts are new fingerprints)."""
    per_fault = 2 * (1 + LEAVES // SWITCHES)
    batch: list[Event] = []
    for k in range(count // per_fault):
        sw = k % SWITCHES
        start = T0 + timedelta(minutes=10 * k)
        end = start + timedelta(minutes=5)
        nodes = [f"sw-{sw:02d}", *(leaf(i) for i in range(sw, LEAVES, SWITCHES))]
        for n, node in enumerate(nodes):
            fp = f"f{k:07x}-{n:02d}"
            batch.append(event(fp, node, start + timedelta(seconds=n)))
            batch.append(event(fp, node, start + timedelta(seconds=n), end))
        if len(batch) >= 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(url: str, count: int) -> tuple[float, int]:
    db = make_engine(url)
    engine = EventEngine(db)
    started = time.perf_counter()
    n = 0
    last = T0
    for batch in observations(count):
        last = max(last, *(e.ends_at or e.starts_at for e in batch))
        engine.ingest(LOCAL_ADMIN, batch, last)
        n += len(batch)
    elapsed = time.perf_counter() - started
    engine.close()
    db.dispose()
    return n / elapsed, n


def restart(url: str, label: str) -> float:
    db = make_engine(url)
    engine = EventEngine(db)
    started = time.perf_counter()
    engine.tick(datetime.now(UTC))
    elapsed = time.perf_counter() - started
    engine.close()
    db.dispose()
    print(f"  restart ({label}): correlating again after {elapsed:.2f} s")
    return elapsed


def killed(url: str, extra: int) -> None:
    """Ingest ``extra`` more batches without a snapshot, then drop the engine (no close)."""
    db = make_engine(url)
    engine = EventEngine(db, journal=JournalSettings(snapshot_entries=10**9))
    t = T0 + timedelta(days=31)
    for i in range(extra):
        fp = f"k{i:06x}"
        at = t + timedelta(seconds=i)
        engine.ingest(LOCAL_ADMIN, [event(fp, leaf(i % LEAVES), at)], at)
    engine._memory = None  # as a killed process: nothing saved, the lease left to run out
    with transaction(db) as session:  # the next process is this one, not a stranger
        session.execute(CorrelatorSnapshotRow.__table__.select().limit(1))
    db.dispose()


def growth(url: str, symptoms: int) -> None:
    db = make_engine(url)
    engine = EventEngine(db)
    t = T0 + timedelta(days=40)
    engine.ingest(LOCAL_ADMIN, [event("root", "agg", t)], t)
    rates = []
    half = symptoms // 2
    for part in (range(0, half), range(half, symptoms)):
        started = time.perf_counter()
        batch: list[Event] = []
        for i in part:
            node = leaf(i % LEAVES)
            batch.append(event(f"s{i:07x}", node, t + timedelta(seconds=1 + i / 1000)))
            if len(batch) == 100:
                engine.ingest(LOCAL_ADMIN, batch, t + timedelta(minutes=5))
                batch = []
        if batch:
            engine.ingest(LOCAL_ADMIN, batch, t + timedelta(minutes=5))
        rates.append(len(part) / (time.perf_counter() - started))
    engine.close()
    db.dispose()
    print(
        f"  growth: all-new symptoms joining one incident, batches of 100: first {half:,} at "
        f"{rates[0]:,.0f} alerts/s, next {symptoms - half:,} at {rates[1]:,.0f} alerts/s "
        f"(ratio {rates[1] / rates[0]:.2f})"
    )


def run(label: str, urls: Iterator[str], count: int, symptoms: int) -> None:
    print(f"{label}:")
    url = next(urls)
    prepare(url)
    rate, n = fill(url, count)
    print(f"  fill: {n:,} all-new observations through EventEngine.ingest: {rate:,.0f}/s")
    restart(url, "graceful stop, snapshot at the end")
    killed(url, 400)
    restart(url, "killed, 400 entries after the last snapshot")
    db = make_engine(url)
    with transaction(db) as session:
        session.execute(delete(CorrelatorSnapshotRow))
    db.dispose()
    restart(url, "no usable snapshot: rebuilt from stored alerts and incidents")
    url = next(urls)
    prepare(url)
    growth(url, symptoms)


def main() -> None:
    # Each batch is correlated as it comes (what this measures; bench_alertmanager.py and
    # bench_storm.py measure the default lateness).
    os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "0s")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--symptoms", type=int, default=120_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            run("SQLite", sqlite_urls(Path(tmp)), args.observations, args.symptoms)
        server = postgres_server() if args.only in (None, "postgresql") else None
        if server is not None:
            dbs = PostgresDatabases(server)
            try:
                run("PostgreSQL", iter(dbs.new, None), args.observations, args.symptoms)
            finally:
                dbs.drop_all()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
