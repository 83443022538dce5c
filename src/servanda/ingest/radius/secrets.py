"""RADIUS clients and their shared secrets, read from a text file.

One client a line: its address (an IPv4 or IPv6 address, or a network such as ``10.1.0.0/16``
for a pool of NASes), blanks, its shared secret; ``#`` starts a comment at the start of a line or
after a blank; blank lines are ignored::

    # NAS             secret
    192.0.2.10        s3cr3t-bras-1
    2001:db8::10      s3cr3t-bras-2
    10.20.0.0/16      s3cr3t-wifi-controllers

A secret is one word (no blank, no ``#`` at its start) of printable text. A packet's source
address takes the secret of the most specific entry containing it. An address given twice, a bad
address, a missing secret or text after it is a problem at its line and column; a file with any
problem gives no secrets at all.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path

from servanda.core.problems import Location, Problem

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_WORD = re.compile(r"\S+")


class ClientSecrets:
    """The shared secret of each RADIUS client, by address or network."""

    __slots__ = ("_by_network",)

    def __init__(self, entries: dict[Network, bytes]) -> None:
        # Most specific first, so the first network containing an address is its entry.
        self._by_network = tuple(sorted(entries.items(), key=lambda e: -e[0].prefixlen))

    def secret_for(self, address: str) -> bytes | None:
        """The secret of the client at ``address`` (an IP address as the socket gives it), or
        None when it is not a client."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        for network, secret in self._by_network:
            if ip.version == network.version and ip in network:
                return secret
        return None

    def __len__(self) -> int:
        return len(self._by_network)

    def __iter__(self) -> Iterator[Network]:
        return (network for network, _ in self._by_network)


def _words(line: str) -> Iterator[tuple[int, str]]:
    """The words of a line before its comment, with their 1-based columns."""
    for match in _WORD.finditer(line):
        if match.group().startswith("#"):
            return
        yield match.start() + 1, match.group()


def parse_secrets(text: str, file: str = "<secrets>") -> tuple[ClientSecrets | None, list[Problem]]:
    """The clients of a secrets file's text, or None and every problem, located."""
    entries: dict[Network, bytes] = {}
    lines: dict[Network, int] = {}
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = list(_words(line))
        if not words:
            continue

        def problem(column: int, message: str, number: int = number) -> None:
            problems.append(Problem(message, Location(file, number, column), ("clients",)))

        (column, address), *rest = words
        try:
            network = ipaddress.ip_network(address, strict=True)
        except ValueError as exc:
            problem(column, f"{address!r} is not an IP address or network ({exc})")
            continue
        if not rest:
            problem(column + len(address), f"no secret for {address}")
            continue
        (secret_column, secret), *extra = rest
        if extra:
            problem(extra[0][0], "text after the secret (a secret is one word; # for comments)")
            continue
        if not secret.isprintable() or not secret.isascii():
            problem(secret_column, "a secret is printable ASCII text")
            continue
        if network in lines:
            problem(column, f"{network} is already given on line {lines[network]}")
            continue
        entries[network] = secret.encode("ascii")
        lines[network] = number
    if problems:
        return None, problems
    return ClientSecrets(entries), problems


def read_secrets(path: str | Path) -> tuple[ClientSecrets | None, list[Problem]]:
    """The clients of a secrets file, or None and every problem, located ``file:line:column``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(f"cannot read the secrets file: {exc}", Location(str(path)))]
    return parse_secrets(text, str(path))
