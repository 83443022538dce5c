"""The RADIUS accounting server (RFC 2866) on asyncio UDP: Accounting-Request in, the accounting
event to the sink, Accounting-Response out once the sink has stored it.

A packet is dropped silently, counted and logged, when it comes from an address with no secret,
cannot be decoded, is not an Accounting-Request, or its Request Authenticator (or
Message-Authenticator) is not the one its client's secret gives. An authentic packet that cannot
be recorded is not answered either (RFC 2866 section 2: no response unless recorded).

Retransmissions: a request with the client address and port, identifier and Request
Authenticator of one received within ``duplicate_window`` is the same request; it is answered
again (once the first is answered) but handed to the sink once. A request whose sink call
failed is forgotten, so the NAS's next retransmission tries again.

The sink is called for one event at a time, in the order the packets arrived.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pyrad.packet import AccountingRequest, AcctPacket, PacketError

from servanda.accounting.sessions import AccountingEvent
from servanda.ingest.radius.packets import UnusablePacket, decode, to_event
from servanda.ingest.radius.secrets import ClientSecrets

log = logging.getLogger("servanda.radius")

Sink = Callable[[AccountingEvent], Awaitable[None] | None]
"""Receives each accounting event and returns (or its awaitable completes) only once the event
is stored durably; raising means not stored, and the request goes unanswered."""

Address = tuple[str, int]


@dataclass(slots=True)
class Counters:
    """What the server has done with the packets it received."""

    received: int = 0
    """Datagrams received."""
    answered: int = 0
    """Accounting-Responses sent (a retransmission answered again counts again)."""
    stored: int = 0
    """Events the sink stored."""
    acknowledged: int = 0
    """Requests answered with nothing to store (tunnel status types, Failed)."""
    duplicates: int = 0
    """Retransmissions recognised, not handed to the sink again."""
    unknown_client: int = 0
    """Dropped: from an address with no secret."""
    bad_authenticator: int = 0
    """Dropped: Request Authenticator or Message-Authenticator not the client's."""
    malformed: int = 0
    """Dropped: not a decodable RADIUS packet, or not an Accounting-Request."""
    unusable: int = 0
    """Unanswered: authentic, but missing what an event needs."""
    sink_failures: int = 0
    """Unanswered: the sink raised."""


@dataclass(slots=True)
class _Request:
    """A request being handled or answered, for retransmissions."""

    reply: asyncio.Future[bytes | None]
    expires: float = float("inf")


class AccountingServer:
    """A RADIUS accounting server handing the events of authentic requests to ``sink``.

    ``source`` is the collector id stamped on the events (the usage records' source);
    ``clock`` gives the receipt time of packets (UTC now unless a test says otherwise).
    """

    def __init__(
        self,
        secrets: ClientSecrets,
        sink: Sink,
        *,
        source: str,
        duplicate_window: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.secrets = secrets
        self.sink = sink
        self.source = source
        self.duplicate_window = duplicate_window.total_seconds()
        self.clock = clock
        self.counters = Counters()
        self._async_sink = inspect.iscoroutinefunction(sink) or inspect.iscoroutinefunction(
            getattr(sink, "__call__", None)  # noqa: B004 - an object's async __call__
        )
        self._requests: OrderedDict[tuple[str, int, int, bytes], _Request] = OrderedDict()
        self._sink_lock = asyncio.Lock()
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "0.0.0.0", port: int = 1813) -> Address:
        """Listen on ``host``:``port`` (0 for a free one); the address bound."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(host, port)
        )
        self._transport = transport
        bound = transport.get_extra_info("sockname")
        log.info("RADIUS accounting on %s:%s", bound[0], bound[1])
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        """Stop listening; requests being handled finish first."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _received(self, data: bytes, addr: Address) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: bytes, addr: Address) -> None:
        reply = await self.handle(data, addr)
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)
            self.counters.answered += 1

    async def handle(self, data: bytes, addr: Address) -> bytes | None:
        """The Accounting-Response to send for the datagram ``data`` from ``addr``, or None
        when it is dropped or not recorded."""
        self.counters.received += 1
        host, port = str(addr[0]), int(addr[1])
        packet = self._authentic(data, host, port)
        if packet is None:
            return None
        self._forget_expired()
        key = (host, port, int(packet.id), bytes(packet.authenticator))
        seen = self._requests.get(key)
        if seen is not None:
            self.counters.duplicates += 1
            return await asyncio.shield(seen.reply)
        request = _Request(asyncio.get_running_loop().create_future())
        self._requests[key] = request
        reply: bytes | None = None
        try:
            reply = await self._record(packet, host)
        finally:
            request.reply.set_result(reply)
            if reply is None:
                del self._requests[key]
            else:
                request.expires = asyncio.get_running_loop().time() + self.duplicate_window
                self._requests.move_to_end(key)
        return reply

    def _authentic(self, data: bytes, host: str, port: int) -> AcctPacket | None:
        """The packet in ``data`` when it is an authentic Accounting-Request, else None
        (counted and logged)."""
        secret = self.secrets.secret_for(host)
        if secret is None:
            self.counters.unknown_client += 1
            log.warning("RADIUS packet from %s:%s dropped: not a client", host, port)
            return None
        try:
            packet = decode(data, secret)
        except PacketError as exc:
            self.counters.malformed += 1
            log.warning("RADIUS packet from %s:%s dropped: %s", host, port, exc)
            return None
        if packet.code != AccountingRequest:
            self.counters.malformed += 1
            log.warning("RADIUS packet from %s:%s dropped: code %s is not an Accounting-Request",
                        host, port, packet.code)  # fmt: skip
            return None
        if not packet.VerifyAcctRequest() or (
            packet.message_authenticator and not packet.verify_message_authenticator()
        ):
            self.counters.bad_authenticator += 1
            log.warning("RADIUS packet from %s:%s dropped: bad authenticator (wrong secret?)",
                        host, port)  # fmt: skip
            return None
        return packet

    async def _record(self, packet: AcctPacket, host: str) -> bytes | None:
        """Hand the packet's event to the sink; the reply once it is stored."""
        try:
            event = to_event(packet, client=host, received_at=self.clock(), source=self.source)
        except UnusablePacket as exc:
            self.counters.unusable += 1
            log.warning("RADIUS request %s from %s not recorded: %s", packet.id, host, exc)
            return None
        if event is None:
            self.counters.acknowledged += 1
        else:
            try:
                async with self._sink_lock:
                    await self._store(event)
            except Exception:
                self.counters.sink_failures += 1
                log.exception("RADIUS request %s from %s not stored", packet.id, host)
                return None
            self.counters.stored += 1
        reply: bytes = packet.CreateReply().ReplyPacket()
        return reply

    async def _store(self, event: AccountingEvent) -> None:
        if self._async_sink:
            result: Any = self.sink(event)
        else:
            result = await asyncio.to_thread(self.sink, event)
        if inspect.isawaitable(result):
            await result

    def _forget_expired(self) -> None:
        now = asyncio.get_running_loop().time()
        while self._requests:
            key, request = next(iter(self._requests.items()))
            if request.expires > now:
                break
            del self._requests[key]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: AccountingServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.server._received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        log.warning("RADIUS socket error: %s", exc)
