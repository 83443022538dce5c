"""Through the real server and the real Alertmanager: alerts pushed to Alertmanager as
Prometheus does (``POST /api/v2/alerts``) reach ``servanda serve`` through the webhook receiver
of ``docs/api.md`` (bearer ingest token), and event management holds.

The example provider (examples/metro-isp) is loaded; the alerts are those of a cut of the
Paris–Strasbourg backhaul, with the example's label conventions: the link's own alerts on the
core router (the root), and probes, exporters, CPEs and BGP sessions of everything behind it.

The tests of one backend share one database, one server and one Alertmanager, and run in order:
the storm becomes one incident, Alertmanager's repeats change nothing, the recovery resolves
the incident. Each stage runs the stages before it when they have not run (``-k`` picks any).

Skipped with the reason when the Alertmanager binary is absent; with
``SERVANDA_REQUIRE_ALERTMANAGER=1`` (as in CI) they fail instead.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from tests.services.event_log_support import outcome

from servanda.core.access import Role
from servanda.ingest.alertmanager import label_set_fingerprint
from servanda.services.configuration import load
from servanda.storage.database import make_engine, transaction
from servanda.storage.migrate import upgrade
from servanda.storage.tables import EventJournalRow, EventRow
from servanda.storage.tokens import TokenRepository

from . import alertmanager as am
from .processes import EXAMPLE, Server

ROOT = "backhaul-strasbourg"
BEHIND = (
    "pe-strasbourg",
    "sbc-strasbourg",
    "sw-strasbourg-centre",
    "sw-strasbourg-neudorf",
    "sw-illkirch-campus",
    "sw-schiltigheim",
    "sw-strasbourg-port",
)
SWITCHES = [n for n in BEHIND if n.startswith("sw-")]
CPES_PER_SWITCH = 6
WAIT = 30.0
"""Seconds any one stage may take to show up through both processes."""


def _alert(labels: dict[str, str], summary: str, start: datetime) -> dict[str, Any]:
    return {
        "labels": labels,
        "annotations": {"summary": summary},
        "startsAt": am.stamp(start),
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up+%3D%3D+0",
    }


def storm(t0: datetime) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The backhaul cut as Prometheus alerts, and each alert's node (by fingerprint)."""
    alerts: list[dict[str, Any]] = []
    nodes: dict[str, str] = {}

    def add(node: str, seconds: float, summary: str, **labels: str) -> None:
        alerts.append(_alert(labels, summary, t0 + timedelta(seconds=seconds)))
        nodes[label_set_fingerprint(labels)] = node

    for n, name in enumerate(("LinkDown", "OpticalLossOfSignal")):
        add(ROOT, n * 2, f"{ROOT} {name}", alertname=name, job="snmp", severity="critical",
            instance="core-router-2.metro.example", ifName="et-0/1/2",
            ifAlias="backhaul-strasbourg: Alpine Transit circuit AT-L2-4471")  # fmt: skip
    for n, node in enumerate(BEHIND):
        host = f"{node}.metro.example"
        add(node, 5 + n, f"{node} probe failed", alertname="ProbeFailed", job="blackbox-icmp",
            module="icmp", instance=host, severity="major")  # fmt: skip
        if node == "sbc-strasbourg":
            add(node, 12, f"{node} down", alertname="InstanceDown", job="node",
                instance=f"{host}:9100", severity="critical")  # fmt: skip
            add(node, 13, f"{node} SIP", alertname="SIPOptionsTimeout", job="sip-options",
                instance=f"{host}:5061", severity="major")  # fmt: skip
        else:
            add(node, 14 + n, f"{node} down", alertname="InstanceDown", job="snmp",
                instance=host, severity="critical")  # fmt: skip
        if node in SWITCHES:
            add(node, 9 + n, f"{node} loss", alertname="HighPacketLoss", job="smokeping",
                instance=host, severity="major")  # fmt: skip
            for c in range(CPES_PER_SWITCH):
                cpe = f"cpe-{n}{c:02d}.cust.metro.example"
                add(node, 20 + c, f"{cpe} unreachable", alertname="CPEUnreachable",
                    job="blackbox-cpe", access_switch=node, instance=cpe,
                    customer_ref=f"MFN-C-2024-{n}{c:03d}", severity="major")  # fmt: skip
    for router in ("core-router-1", "core-router-2"):
        add("pe-strasbourg", 30, "iBGP pe-strasbourg down", alertname="BGPSessionDown",
            job="snmp", instance=f"{router}.metro.example", peer="pe-strasbourg",
            severity="critical")  # fmt: skip
    return alerts, nodes


def resolved(alerts: list[dict[str, Any]], end: datetime) -> list[dict[str, Any]]:
    """The same alerts, ended: what Prometheus sends once the condition clears."""
    return [{**a, "endsAt": am.stamp(end)} for a in alerts]


def until(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll ``check`` until it answers something true; its answer. Fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.2)


# -- the stack: a database, a server and an Alertmanager per backend --------------------------


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def alertmanager_installed() -> None:
    """Skip when no Alertmanager can be run (fail when it is required)."""
    problem = am.missing()
    if problem is not None:
        if os.environ.get(am.REQUIRE_ENV) == "1":
            pytest.fail(f"{problem}\n{am.REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(problem)


@pytest.fixture(scope="module")
def module_db(alertmanager_installed: None, db_backend: str) -> Iterator[str]:
    """A fresh database of ``db_backend`` for this module's tests (as ``db_url``, one scope
    up: they share one server)."""
    if db_backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="servanda-e2e-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'servanda.db'}"
        return
    server = os.environ.get("SERVANDA_TEST_POSTGRES_URL") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = f"servanda_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server), autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Stack:
    """The example loaded, ``servanda serve``, and an Alertmanager sending to it."""

    def __init__(self, db: str, server: Server, manager: am.Alertmanager) -> None:
        self.db = db
        self.server = server
        self.manager = manager
        self.engine: Engine = make_engine(db)
        self.alerts, self.nodes = storm(datetime.now(UTC) - timedelta(seconds=40))
        self.stage = 0

    def stored(self) -> tuple[int, int]:
        """(event rows, journal entries) in the database."""
        with self.engine.connect() as c:
            events = c.execute(select(func.count()).select_from(EventRow)).scalar_one()
            journal = c.execute(select(func.count()).select_from(EventJournalRow)).scalar_one()
        return events, journal

    def delivered(self, count: int) -> bool:
        """Alertmanager sent ``count`` webhooks (or more) and every one was answered 2xx,
        and the server's journal is applied."""
        sent, failed = self.manager.notifications()
        assert failed == 0, f"{failed} webhooks failed; Alertmanager:\n{self.manager.output()}"
        if sent < count:
            return False
        log: dict[str, Any] = self.server.get("/api/v1/events/log")
        return bool(log["waiting"] == 0)

    def listed(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.server.get("/api/v1/incidents")
        return found

    def fire(self) -> None:
        """Stage 1: push the storm and wait until every alert is stored and correlated. The
        symptoms go first and the root's alerts once they are in (the root is seen last, as
        when its link is polled late): the root must take over what its symptoms opened."""
        if self.stage >= 1:
            return
        roots = {fp for fp, node in self.nodes.items() if node == ROOT}
        first = [a for a in self.alerts if label_set_fingerprint(a["labels"]) not in roots]
        last = [a for a in self.alerts if label_set_fingerprint(a["labels"]) in roots]
        for part, stored in ((first, len(first)), (last, len(self.alerts))):
            self.manager.push(part)

            def all_in(count: int = stored) -> bool:
                events, _ = self.stored()
                # group_by alertname and instance: one alert per group, so one webhook each
                return events >= count and self.delivered(count)

            until(f"{stored} alerts stored", all_in)
        self.stage = 1

    def repeat(self) -> tuple[dict[str, Any], tuple[int, int], int]:
        """Stage 2: Prometheus sends the same alerts again and Alertmanager repeats its
        notifications. Answers the outcome, the stored counts and the webhooks sent before."""
        self.fire()
        before = (outcome(self.engine), self.stored(), self.manager.notifications()[0])
        self.manager.push(self.alerts)
        # Every group repeats every 2 s: two more webhooks per group is two repeats each.
        until("Alertmanager's repeats", lambda: self.delivered(before[2] + 2 * len(self.nodes)))
        self.stage = 2
        return before

    def resolve(self) -> None:
        """Stage 3: the alerts end; wait until the resolved ones are stored and applied."""
        if self.stage < 2:
            self.repeat()
        if self.stage >= 3:
            return
        self.manager.push(resolved(self.alerts, datetime.now(UTC) - timedelta(seconds=1)))

        def all_in() -> bool:
            events, _ = self.stored()
            return events >= 2 * len(self.alerts) and self.delivered(0)

        until("every resolved alert stored", all_in)
        self.stage = 3

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="module")
def stack(module_db: str) -> Iterator[Stack]:
    # What `servanda db upgrade`, `load` and `token create` do, in-process (each command
    # would cost a few seconds of start-up).
    upgrade(module_db)
    engine = make_engine(module_db)
    try:
        now = datetime.now(UTC)
        load(engine, [EXAMPLE], now - timedelta(minutes=5))
        with transaction(engine) as session:
            tokens = {
                role: TokenRepository(session).create(role, None, f"e2e-{role}", now)[1]
                for role in (Role.INGEST, Role.OPERATOR)
            }
    finally:
        engine.dispose()
    server = Server(module_db, tokens[Role.OPERATOR])
    try:
        settings = am.config(
            f"http://127.0.0.1:{server.port}/api/v1/events/alertmanager",
            tokens[Role.INGEST],
            repeat_interval="2s",
        )
        with am.running(settings) as manager:
            found = Stack(module_db, server, manager)
            try:
                yield found
            finally:
                found.close()
    finally:
        server.stop()


# -- the tests --------------------------------------------------------------------------------


def test_alertmanager_fingerprints_are_servandas(stack: Stack) -> None:
    stack.fire()
    held = {a["fingerprint"] for a in stack.manager.alerts()}
    assert held == set(stack.nodes)


def test_a_single_root_storm_is_one_incident_with_every_symptom_explained(stack: Stack) -> None:
    stack.fire()
    listed = stack.listed()
    assert [(i["root"], i["state"]) for i in listed] == [(ROOT, "detected")], listed
    (summary,) = listed
    incident = stack.server.get(f"/api/v1/incidents/{summary['id']}")
    roots = {fp for fp, node in stack.nodes.items() if node == ROOT}
    assert set(incident["root_fingerprints"]) == roots
    symptoms = {s["fingerprint"]: s for s in incident["symptoms"]}
    assert set(symptoms) == set(stack.nodes) - roots
    for fp, symptom in symptoms.items():
        assert symptom["node"] == stack.nodes[fp]
        assert ROOT in symptom["reason"], symptom
        assert symptom["until"] is None
    assert summary["symptom_count"] == len(symptoms)
    assert incident["resolved_at"] is None
    assert {i["node"] for i in incident["impacted"]} >= {ROOT, *BEHIND}
    # The Illkirch campus switch carries Institut Rhénan's access: its outage, nobody else's.
    assert {o["customer"] for o in incident["outages"]} == {"institut-rhenan"}


def test_alertmanager_repeats_duplicate_nothing(stack: Stack) -> None:
    before, stored, _ = stack.repeat()
    assert stack.stored() == stored  # no event row, no journal entry
    assert outcome(stack.engine) == before  # incidents, symptoms, alerts and counts alike
    assert len(stack.listed()) == 1


def test_the_alerts_resolved_resolve_the_incident(stack: Stack) -> None:
    stack.resolve()
    listed = stack.listed()
    assert [i["root"] for i in listed] == [ROOT], listed
    (summary,) = listed
    assert summary["resolved_at"] is not None
    incident = stack.server.get(f"/api/v1/incidents/{summary['id']}")
    assert all(s["until"] is not None for s in incident["symptoms"])
    assert all(i["until"] is not None for i in incident["impacted"])
    assert incident["outages"]
    assert all(o["end"] is not None for o in incident["outages"])
