"""RADIUS Accounting-Request packets (decoded by pyrad with the dictionary beside this module)
read as the accounting events of :mod:`servanda.accounting.sessions`.

* the **NAS** is its NAS-Identifier, else its NAS-IP-Address or NAS-IPv6-Address, else the
  address the packet came from;
* the **event time** is Event-Timestamp when the NAS sends it, else the time the packet was
  received less Acct-Delay-Time;
* the **counters** combine the gigawords: ``Acct-Input-Gigawords × 2³² + Acct-Input-Octets``,
  input being what the NAS received from the user (the usage's ``volume_up``), output what it
  sent to the user (``volume_down``);
* the **account** is User-Name, the **subject** Calling-Station-Id, the **destination**
  Called-Station-Id, the **service** the name of NAS-Port-Type.

Start, Interim-Update and Stop are session events; Accounting-On and Accounting-Off are NAS
events. The tunnel status types (RFC 2867) and Failed are acknowledged and charge nothing.
"""

from __future__ import annotations

import functools
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pyrad.dictionary import Dictionary
from pyrad.packet import AcctPacket, PacketError

from servanda.accounting.sessions import (
    WRAP,
    AccountingEvent,
    NasEvent,
    NasStatus,
    SessionEvent,
    Status,
)

DICTIONARY = Path(__file__).with_name("dictionary")
"""The RADIUS dictionary shipped with Servanda (RFC 2865, 2866, 2867, 2869, 3162)."""

SESSION_STATUS = {"Start": Status.START, "Interim-Update": Status.INTERIM, "Stop": Status.STOP}
NAS_STATUS = {"Accounting-On": NasStatus.ON, "Accounting-Off": NasStatus.OFF}
ACKNOWLEDGED = frozenset(
    ("Tunnel-Start", "Tunnel-Stop", "Tunnel-Reject", "Tunnel-Link-Start", "Tunnel-Link-Stop",
     "Tunnel-Link-Reject", "Failed")
)  # fmt: skip
"""Status types answered but not charged."""


class UnusablePacket(ValueError):
    """An authentic Accounting-Request that cannot be recorded (no status, no session id, a
    value out of range): it is not answered, as RFC 2866 says of a request not recorded."""


@functools.cache
def dictionary() -> Dictionary:
    """The shipped RADIUS dictionary, read once."""
    return Dictionary(str(DICTIONARY))


def decode(data: bytes, secret: bytes) -> AcctPacket:
    """The packet in ``data``, decoded with the shipped dictionary (:exc:`PacketError` when
    it cannot be)."""
    try:
        return AcctPacket(packet=data, secret=secret, dict=dictionary())
    except (ValueError, struct.error, KeyError) as exc:
        raise PacketError(str(exc)) from exc


def _one(packet: AcctPacket, name: str) -> Any:
    values = packet.get(name)
    if not values:
        return None
    value = values[0]
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _text(packet: AcctPacket, name: str) -> str | None:
    value = _one(packet, name)
    return None if value is None else str(value)


def _count(packet: AcctPacket, name: str) -> int:
    value = _one(packet, name)
    if value is None:
        return 0
    if not isinstance(value, int):
        raise UnusablePacket(f"{name} is {value!r}, not a number")
    return value


def nas_of(packet: AcctPacket, client: str) -> str:
    """The NAS that sent ``packet`` from ``client``'s address."""
    return (
        _text(packet, "NAS-Identifier")
        or _text(packet, "NAS-IP-Address")
        or _text(packet, "NAS-IPv6-Address")
        or client
    )


def to_event(
    packet: AcctPacket, *, client: str, received_at: datetime, source: str
) -> AccountingEvent | None:
    """The accounting event ``packet`` reports, or None for a status that charges nothing.

    ``client`` is the address it came from, ``received_at`` when (timezone-aware), ``source``
    the collector's id. Raises :exc:`UnusablePacket` when it cannot be recorded.
    """
    try:
        return _to_event(packet, client, received_at, source)
    except (ValidationError, ValueError, struct.error, KeyError) as exc:
        if isinstance(exc, UnusablePacket):
            raise
        raise UnusablePacket(str(exc).splitlines()[0] if str(exc) else repr(exc)) from exc


def _to_event(
    packet: AcctPacket, client: str, received_at: datetime, source: str
) -> AccountingEvent | None:
    status = _one(packet, "Acct-Status-Type")
    if status is None:
        raise UnusablePacket("no Acct-Status-Type")
    stamp = _one(packet, "Event-Timestamp")
    if isinstance(stamp, int):
        at = datetime.fromtimestamp(stamp, UTC)
    else:
        at = received_at - timedelta(seconds=_count(packet, "Acct-Delay-Time"))
    nas = nas_of(packet, client)
    if status in NAS_STATUS:
        return NasEvent(source=source, nas=nas, status=NAS_STATUS[status], at=at)
    if status in ACKNOWLEDGED:
        return None
    if status not in SESSION_STATUS:
        raise UnusablePacket(f"Acct-Status-Type {status!r} is not known")
    session_id = _text(packet, "Acct-Session-Id")
    if not session_id:
        raise UnusablePacket("no Acct-Session-Id")
    interval = _one(packet, "Acct-Interim-Interval")
    gigawords = "Acct-Input-Gigawords" in packet or "Acct-Output-Gigawords" in packet
    up = _count(packet, "Acct-Input-Gigawords") * WRAP + _count(packet, "Acct-Input-Octets")
    down = _count(packet, "Acct-Output-Gigawords") * WRAP + _count(packet, "Acct-Output-Octets")
    return SessionEvent(
        source=source,
        nas=nas,
        session_id=session_id,
        status=SESSION_STATUS[status],
        at=at,
        session_time=timedelta(seconds=_count(packet, "Acct-Session-Time")),
        input_octets=up,
        output_octets=down,
        gigawords=gigawords,
        account=_text(packet, "User-Name"),
        subject=_text(packet, "Calling-Station-Id"),
        destination=_text(packet, "Called-Station-Id"),
        service=_text(packet, "NAS-Port-Type"),
        multi_session_id=_text(packet, "Acct-Multi-Session-Id"),
        terminate_cause=_text(packet, "Acct-Terminate-Cause"),
        interim_interval=timedelta(seconds=interval) if isinstance(interval, int) else None,
    )
