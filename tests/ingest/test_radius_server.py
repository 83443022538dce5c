"""The RADIUS accounting server end to end, fed by FreeRADIUS' own client: Debian's ``radclient``
(package ``freeradius-utils``, which ``make test`` installs as root) sends Start, Interim-Update
and Stop to a server on a free loopback port, running in a thread with its own event loop and
mediating in memory; a retransmission is charged once, a wrong secret gets no answer.

Skipped with the reason when ``/usr/bin/radclient`` is absent; with
``SERVANDA_REQUIRE_RADCLIENT=1`` (as in CI) they fail instead. The secrets file and the
packets crafted with pyrad's own classes need no radclient.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from pyrad.packet import AccountingResponse, AcctPacket

from servanda.accounting.sessions import WRAP, NasEvent, SessionEvent
from servanda.ingest.radius.memory import MemorySink
from servanda.ingest.radius.packets import dictionary
from servanda.ingest.radius.secrets import parse_secrets, read_secrets
from servanda.ingest.radius.server import AccountingServer, Sink

RADCLIENT = "/usr/bin/radclient"
REQUIRE_ENV = "SERVANDA_REQUIRE_RADCLIENT"
SECRET = "s3cr3t-bras"
SECRETS = f"# the test's NAS\n127.0.0.1   {SECRET}   # loopback\n"


@pytest.fixture
def radclient() -> str:
    """Skip when radclient cannot be run (fail when it is required)."""
    if not (os.path.isfile(RADCLIENT) and os.access(RADCLIENT, os.X_OK)):
        problem = (
            f"radclient not installed: no executable {RADCLIENT} (Debian package "
            "freeradius-utils, which `make test` installs as root)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{problem}\n{REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(problem)
    return RADCLIENT


@contextmanager
def running(sink: Sink, secrets: str = SECRETS) -> Iterator[tuple[AccountingServer, int]]:
    """An accounting server on a free loopback port, in a thread with its own event loop."""
    clients, problems = parse_secrets(secrets)
    assert clients is not None, problems
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> tuple[AccountingServer, int]:
        server = AccountingServer(clients, sink, source="radius-test")
        _, port = await server.start("127.0.0.1", 0)
        return server, port

    server, port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield server, port
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def send(
    port: int, packets: list[dict[str, str | int]], *, secret: str = SECRET, timeout: float = 1,
    retries: int = 1,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """radclient sending ``packets`` one after the other (attribute lines on its stdin)."""
    lines = ("".join(f"{name} = {value}\n" for name, value in p.items()) for p in packets)
    text = "\n".join(lines)
    return subprocess.run(
        [RADCLIENT, "-x", "-p", "1", "-t", str(timeout), "-r", str(retries),
         f"127.0.0.1:{port}", "acct", secret],
        input=text, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def session(status: str, seconds: int = 0, up: int = 0, down: int = 0) -> dict[str, str | int]:
    """An accounting request of the test's session, its counters cut into gigawords."""
    packet: dict[str, str | int] = {
        "Acct-Status-Type": status, "Acct-Session-Id": '"4D2A0001"', "User-Name": '"alice"',
        "NAS-Identifier": '"bras-2"', "NAS-Port-Type": "Ethernet",
        "Calling-Station-Id": '"00-11-22-33-44-55"', "Called-Station-Id": '"internet"',
        "Acct-Interim-Interval": 300,
    }  # fmt: skip
    if status != "Start":
        packet |= {
            "Acct-Session-Time": seconds,
            "Acct-Input-Octets": up % WRAP, "Acct-Input-Gigawords": up // WRAP,
            "Acct-Output-Octets": down % WRAP, "Acct-Output-Gigawords": down // WRAP,
        }  # fmt: skip
    return packet


def test_a_session_sent_by_radclient_is_answered_and_charged(radclient: str) -> None:
    sink = MemorySink()
    packets = [
        session("Start"),
        session("Interim-Update", 300, 40_000_000, 3 * WRAP + 17),
        session("Interim-Update", 600, 90_000_000, 5 * WRAP + 4_000),
        session("Interim-Update", 600, 90_000_000, 5 * WRAP + 4_000),  # a NAS repeating itself
        session("Interim-Update", 900, 95_000_000, 6 * WRAP),
        session("Stop", 1_000, 99_000_000, 6 * WRAP + 123_456)
        | {"Acct-Terminate-Cause": "User-Request"},
    ]
    with running(sink) as (server, port):
        done = send(port, packets)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Received Accounting-Response") == 6, done.stdout
    assert server.counters.stored == 6
    assert sink.totals() == (99_000_000, 6 * WRAP + 123_456, timedelta(seconds=1_000))
    assert len(sink.usage) == 4  # three interims with news, and the stop
    state = sink.states[("radius-test", "bras-2", "4D2A0001")]
    assert state.stopped
    assert state.interim_interval == timedelta(minutes=5)
    stop = sink.usage[("radius-test", f"bras-2/4D2A0001#stop:1000:99000000:{6 * WRAP + 123_456}")]
    assert (stop.account, stop.subject, stop.destination, stop.service) == (
        "alice", "00-11-22-33-44-55", "internet", "Ethernet",
    )  # fmt: skip
    assert ("terminate_cause", "User-Request") in stop.attributes
    assert any("duplicate interim" in p.message for p in sink.problems)


def test_a_retransmission_is_answered_but_charged_once(radclient: str) -> None:
    """The sink is slower than radclient's timeout: radclient sends the same request again
    (same identifier and authenticator) before the answer, and gets it once stored."""
    stored = MemorySink()
    calls: list[SessionEvent | NasEvent] = []

    def slow(event: SessionEvent | NasEvent) -> None:
        calls.append(event)
        time.sleep(1.5)
        stored(event)

    with running(slow) as (server, port):
        done = send(port, [session("Stop", 60, 1_000, 2_000)], timeout=0.5, retries=5)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Sent Accounting-Request") >= 2, done.stdout
    assert len(calls) == 1
    assert server.counters.duplicates >= 1
    assert stored.totals() == (1_000, 2_000, timedelta(minutes=1))


def test_a_wrong_secret_gets_no_answer(radclient: str) -> None:
    sink = MemorySink()
    with running(sink) as (server, port):
        done = send(port, [session("Start")], secret="not-the-secret", timeout=0.5, retries=1)
    assert done.returncode != 0
    assert "Received" not in done.stdout
    assert server.counters.bad_authenticator == server.counters.received >= 1
    assert server.counters.answered == 0
    assert sink.events == []


def test_accounting_on_closes_the_sessions_of_that_nas(radclient: str) -> None:
    sink = MemorySink()
    on = {"Acct-Status-Type": "Accounting-On", "NAS-Identifier": '"bras-2"'}
    with running(sink) as (_, port):
        done = send(port, [session("Start"), session("Interim-Update", 60, 10, 20), on])
    assert done.returncode == 0, done.stdout + done.stderr
    state = sink.states[("radius-test", "bras-2", "4D2A0001")]
    assert state.closed is not None
    assert state.closed.startswith("Accounting-On")


def exchange(port: int, data: bytes) -> bytes | None:
    """``data`` sent from one socket; the answer, or None after half a second."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        s.sendto(data, ("127.0.0.1", port))
        try:
            return s.recvfrom(4096)[0]
        except TimeoutError:
            return None


def test_the_same_bytes_sent_again_are_answered_again_and_charged_once() -> None:
    """Crafted with pyrad's own classes: the very same datagram twice, from the same port."""
    sink = MemorySink()
    request = AcctPacket(secret=SECRET.encode(), dict=dictionary())
    for name, value in session("Stop", 120, 5_000, WRAP + 1).items():
        request[name] = value.strip('"') if isinstance(value, str) else value
    data = request.RequestPacket()
    with running(sink) as (server, port), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        answers = []
        for _ in range(2):
            s.sendto(data, ("127.0.0.1", port))
            answers.append(s.recvfrom(4096)[0])
        assert answers[0] == answers[1]
        reply = request.CreateReply(packet=answers[0])
        assert reply.code == AccountingResponse
        assert request.VerifyReply(reply, answers[0])
        assert exchange(port, data[:-1] + bytes([data[-1] ^ 1])) is None  # tampered
        assert exchange(port, b"\x04\x01\x00") is None  # not a packet
    assert len(sink.events) == 1
    assert server.counters.duplicates == 1
    assert server.counters.bad_authenticator == 1
    assert server.counters.malformed == 1
    assert sink.totals() == (5_000, WRAP + 1, timedelta(minutes=2))


def test_a_client_not_in_the_secrets_file_is_dropped() -> None:
    sink = MemorySink()
    request = AcctPacket(secret=b"whatever", dict=dictionary())
    request["Acct-Status-Type"] = "Start"
    request["Acct-Session-Id"] = "1"
    with running(sink, "192.0.2.1 other\n") as (server, port):
        assert exchange(port, request.RequestPacket()) is None
    assert server.counters.unknown_client == 1
    assert sink.events == []


def test_the_secrets_file_locates_its_problems(tmp_path: Path) -> None:
    text = (
        "# NAS   secret\n"
        "192.0.2.10    one   # bras-1\n"
        "10.20.0.0/16  pool\n"
        "10.20.0.7     host\n"
        "2001:db8::10  six\n"
    )
    path = tmp_path / "clients"
    path.write_text(text, encoding="utf-8")
    clients, problems = read_secrets(path)
    assert problems == []
    assert clients is not None
    assert len(clients) == 4
    assert clients.secret_for("192.0.2.10") == b"one"
    assert clients.secret_for("10.20.0.7") == b"host"
    assert clients.secret_for("10.20.99.1") == b"pool"
    assert clients.secret_for("::ffff:10.20.99.1") == b"pool"
    assert clients.secret_for("2001:db8::10") == b"six"
    assert clients.secret_for("192.0.2.11") is None
    bad = "192.0.2.300 x\n192.0.2.1\n192.0.2.2 a b\n10.0.0.1/8 y\n192.0.2.10 one\n192.0.2.10 two\n"
    path.write_text(bad, encoding="utf-8")
    clients, problems = read_secrets(path)
    assert clients is None
    assert [(p.location.line, p.location.column) for p in problems] == [
        (1, 1), (2, 10), (3, 13), (4, 1), (6, 1),
    ]  # fmt: skip
    assert str(problems[1]) == f"{path}:2:10: clients: no secret for 192.0.2.1"
    assert "already given on line 5" in problems[4].message
