"""A 100,000-alert storm from one root in one Alertmanager group, through the real server: how
long until it is one incident.

Run with ``python bench/bench_storm.py`` (``--alerts N``, default 100,000; ``--only sqlite`` or
``postgresql``). It prints figures and never fails on timing; it takes a few minutes.

The storm, on the synthetic catalog of ``bench_ingest.py``: the aggregation router ``agg``
fails (``RouterDown``), and the 1,049 switches, hosts and services below it raise about a
hundred alerts each (``Check000`` … one per port, process and probe), all within a minute of
the root, in ONE webhook body as Alertmanager sends a group (about 45 MB for 100,000 alerts),
the root somewhere in the middle.

Figures, per backend, in one run:

* **answered**: the body posted until the server answers (parsed, validated, stored,
  journaled);
* **one incident**: from the answer until ``GET /api/v1/incidents`` lists exactly one incident,
  rooted at ``agg``, with every other alert a symptom. With the default lateness the storm is
  held back for the event-time watermark, so the import is settled first (``POST
  /api/v1/events/settle``; live, the watermark passes it a lateness after its last alert); with
  ``--lateness 0s`` the answer comes after correlation;
* **from the last alert posted**: the two together.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from bench_ingest import (
    SWITCHES,
    Alerts,
    PostgresDatabases,
    leaf,
    postgres_server,
    prepare,
    sqlite_urls,
    start_server,
    webhook,
)


def storm_body(count: int, now: datetime) -> bytes:
    """One webhook body: the root and ``count - 1`` symptoms (see the module)."""
    rng = random.Random(5)
    make = Alerts()
    start = now - timedelta(minutes=2)
    dependents = [f"sw-{i:02d}" for i in range(SWITCHES)] + [leaf(i) for i in range(1000)]
    alerts: list[dict[str, Any]] = []
    for k in range(count - 1):
        node = dependents[k % len(dependents)]
        check = f"Check{k // len(dependents):03d}"
        alerts.append(make.alert(node, check, start + timedelta(seconds=rng.uniform(0, 60))))
    root = make.alert("agg", "RouterDown", start + timedelta(seconds=1))
    alerts.insert(len(alerts) // 2, root)
    body = webhook(alerts)
    body["groupKey"] = '{}:{alertname=~".*"}'
    return json.dumps(body).encode()


def run(label: str, url: str, count: int) -> None:
    token, reader = prepare(url).split()
    raw = storm_body(count, datetime.now(UTC))
    lateness = os.environ.setdefault("SERVANDA_EVENTS_LATENESS", "5m")  # the default
    server = start_server(url)
    read = {"Authorization": f"Bearer {reader}"}
    try:
        with httpx.Client(base_url=server.base_url, timeout=600) as http:
            http.get("/api/v1/incidents", headers=read)  # warm
            started = time.perf_counter()
            response = http.post(
                "/api/v1/events/alertmanager",
                content=raw,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response.raise_for_status()
            answered = time.perf_counter() - started
            held = response.json()["held"]
            if held:  # as POST /api/v1/events/settle does: the holder correlates it now
                http.post(
                    "/api/v1/events/settle", headers={"Authorization": f"Bearer {token}"}
                ).raise_for_status()
            while True:
                listed = http.get("/api/v1/incidents", headers=read).json()
                if len(listed) == 1 and listed[0]["symptom_count"] == count - 1:
                    break
                if time.perf_counter() - started > 900:
                    break
                time.sleep(0.05)
            total = time.perf_counter() - started
    finally:
        server.stop()
    one = len(listed) == 1 and listed[0]["root"] == "agg"
    verdict = "ONE incident" if one else f"NOT one incident ({len(listed)} listed)"
    symptoms = listed[0]["symptom_count"] if listed else 0
    print(
        f"{label}, lateness {lateness}: {count:,} alerts in one body ({len(raw) / 1e6:.1f} MB) "
        f"-> {verdict}, root {listed[0]['root'] if listed else None}, {symptoms:,} symptoms"
    )
    print(
        f"  answered {answered:.1f} s ({count / answered:,.0f} alerts/s; {held:,} held for the "
        f"watermark{', settled' if held else ''}); one incident {total - answered:.1f} s after "
        f"the answer; {total:.1f} s from the last alert posted"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000, help="Alerts in the storm.")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--lateness", default=None, help="SERVANDA_EVENTS_LATENESS for the server.")
    args = parser.parse_args()
    if args.lateness is not None:
        os.environ["SERVANDA_EVENTS_LATENESS"] = args.lateness
    started = time.perf_counter()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="servanda-bench-") as tmp:
            run("SQLite", next(sqlite_urls(Path(tmp))), args.alerts)
    if args.only in (None, "postgresql"):
        server = postgres_server()
        if server is not None:
            databases = PostgresDatabases(server)
            try:
                run("PostgreSQL", databases.new(), args.alerts)
            finally:
                databases.drop_all()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
