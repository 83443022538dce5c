"""Accounting requests kept in files, read as the events the server would have received: the
input of Debian's ``radclient`` and FreeRADIUS ``detail`` files (what ``radrelay`` replays).

A file holds requests separated by blank lines, each an ``Attribute-Name = value`` a line
(leading tabs allowed; strings may be quoted, enumerated values given by name). A ``detail``
file's date line opening each request is skipped; its ``Timestamp`` pseudo-attribute is when
the request was received. Each request is turned into a pyrad Accounting-Request with the
shipped dictionary and read by :func:`~.packets.to_event`, exactly as a request off the wire;
a file has no "now", so a request says when it happened (``Event-Timestamp`` or
``Timestamp``, as Unix seconds).

The same file can be sent to a running ``servanda radius serve`` with
``radclient -f FILE HOST:1813 acct SECRET``, or loaded with ``servanda radius replay FILE``:
both end in the same stored sessions and usage.

A file is all or nothing: every problem is located ``file:line`` and nothing of a file with
an error is returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyrad.packet import AcctPacket

from servanda.accounting.sessions import AccountingEvent
from servanda.core.problems import Location, Problem

from .packets import UnusablePacket, dictionary, to_event

_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.:-]*)\s*[:+]?=\s*(.*?)\s*$")
_NUMERIC = frozenset(("integer", "date", "short", "byte", "integer64", "signed"))
FILE_CLIENT = "file"
"""The client address of a request read from a file (the NAS when it names none)."""


@dataclass(frozen=True, slots=True)
class FileRequest:
    """One request of a file, where it starts, and the event it reports (None: a status
    that charges nothing, such as Tunnel-Start)."""

    line: int
    event: AccountingEvent | None


def _blocks(text: str) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            if block:
                yield block[0][0], block
            block = []
            continue
        if raw.lstrip().startswith("#"):
            continue
        block.append((number, raw))
    if block:
        yield block[0][0], block


def _value(kind: str, raw: str) -> str | int:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if kind in _NUMERIC and re.fullmatch(r"\d+", raw):
        return int(raw)
    return raw


def _packet(
    block: list[tuple[int, str]], where: str, problems: list[Problem]
) -> tuple[AcctPacket, datetime | None] | None:
    """The request of one block and when it was received (a ``detail`` file's Timestamp)."""
    packet = AcctPacket(dict=dictionary(), secret=b"")
    received: datetime | None = None
    ok = True
    for i, (number, raw) in enumerate(block):
        match = _LINE.match(raw)
        if match is None:
            if i == 0:  # a detail file's date line ("Fri Apr 12 14:00:00 2024")
                continue
            problems.append(Problem("not an 'Attribute = value' line", Location(where, number)))
            ok = False
            continue
        name, raw_value = match.groups()
        if name == "Timestamp":
            if not raw_value.isdigit():
                problems.append(Problem("Timestamp is Unix seconds", Location(where, number)))
                ok = False
            else:
                received = datetime.fromtimestamp(int(raw_value), UTC)
            continue
        attribute = dictionary().attributes.get(name)
        if attribute is None:
            problems.append(
                Problem(f"{name} is no attribute of the RADIUS dictionary", Location(where, number))
            )
            ok = False
            continue
        value = _value(attribute.type, raw_value)
        try:
            packet.AddAttribute(name, value)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            problems.append(
                Problem(
                    f"{name} = {raw_value}: {exc or 'not a valid value'}", Location(where, number)
                )
            )
            ok = False
    return (packet, received) if ok else None


def read_request_file(path: str | Path, *, source: str) -> tuple[list[FileRequest], list[Problem]]:
    """The requests of a ``radclient`` or ``detail`` file as events of ``source`` (see the
    module); nothing when a problem is an error."""
    where = str(path)
    text = Path(path).read_text(encoding="utf-8")
    problems: list[Problem] = []
    found: list[FileRequest] = []
    for line, block in _blocks(text):
        built = _packet(block, where, problems)
        if built is None:
            continue
        packet, received = built
        if received is None and "Event-Timestamp" not in packet:
            problems.append(
                Problem(
                    "a request in a file says when it happened: Event-Timestamp or "
                    "Timestamp (Unix seconds)",
                    Location(where, line),
                )
            )
            continue
        try:
            event = to_event(
                # with no Timestamp, Event-Timestamp (required above) is the time: "now" is unused
                packet, client=FILE_CLIENT, received_at=received or datetime.now(UTC),
                source=source,
            )  # fmt: skip
        except UnusablePacket as exc:
            problems.append(Problem(f"cannot be recorded: {exc}", Location(where, line)))
            continue
        found.append(FileRequest(line, event))
    return ([] if problems else found), problems
