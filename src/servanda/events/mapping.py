"""Which catalog node an event concerns.

Mapping rules (:class:`~servanda.events.model.NodeMapping`, the ``mappings:`` section of the
configuration) are tried in order. A rule matches when every label it names equals the value
given, or, for a value written ``~regex``, fully matches the regular expression; a label the
event does not have never matches. Its ``node`` may use ``{name}`` placeholders, filled from the
regexes' named groups and from the event's labels (a group wins over a label of the same name).
The first rule that matches *and* yields a known node wins.

When no rule does, the default labels are tried in order (:data:`DEFAULT_LABELS`): the first
whose value is a known node id wins; for ``instance`` its host part (``db-1`` of ``db-1:9100``,
of ``[2001:db8::1]:9100`` or of ``http://db-1:8080/health``) is tried before the whole value.
An event nothing maps is kept with ``node`` None, and reported as unmapped by whoever shows
events.

This runs on the ingestion hot path: rules are compiled once, rules that can never yield a known
node are dropped up front, and mapping an event is a few dictionary look-ups.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from servanda.core.records import trusted
from servanda.events.model import Event, NodeMapping

DEFAULT_LABELS: tuple[str, ...] = (
    "servanda_node",
    "node",
    "component",
    "service",
    "host",
    "hostname",
    "instance",
)
"""Labels whose value may be a node id, tried in order when no rule maps an event."""
HOST_PORT_LABELS: frozenset[str] = frozenset({"instance"})
"""Default labels holding ``host:port`` (or a URL): their host part is tried first."""
REGEX_PREFIX = "~"
"""A match value starting with this is a regular expression (the rest of the value)."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

Path = tuple[str | int, ...]


def template_parts(node: str) -> tuple[str | tuple[str], ...]:
    """``node`` split into literal text and ``(name,)`` placeholders.

    Raises ValueError for a brace that is not part of a ``{name}`` placeholder.
    """
    parts: list[str | tuple[str]] = []
    at = 0
    for m in _PLACEHOLDER.finditer(node):
        parts.append(node[at : m.start()])
        parts.append((m.group(1),))
        at = m.end()
    parts.append(node[at:])
    for part in parts:
        if isinstance(part, str) and ("{" in part or "}" in part):
            raise ValueError(
                f"node {node!r} has a stray brace; placeholders are written {{name}} with a "
                "label or regex group name"
            )
    return tuple(p for p in parts if p != "")


def rule_problems(rule: NodeMapping) -> list[tuple[Path, str]]:
    """What is wrong with a rule, each with the field it concerns (``("match", label)`` or
    ``("node",)``): regexes that do not compile, and stray braces in ``node``."""
    found: list[tuple[Path, str]] = []
    for label, value in rule.match:
        if value.startswith(REGEX_PREFIX):
            try:
                re.compile(value[len(REGEX_PREFIX) :])
            except re.error as exc:
                found.append((("match", label), f"invalid regular expression: {exc}"))
    try:
        template_parts(rule.node)
    except ValueError as exc:
        found.append((("node",), str(exc)))
    return found


def host_part(value: str) -> str:
    """The host of ``host:port``, ``[ipv6]:port`` or a URL; ``value`` itself when it has none."""
    if "://" in value:
        try:
            return urlsplit(value).hostname or value
        except ValueError:
            return value
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value  # no port, or a bare IPv6 address


@dataclass(frozen=True, slots=True)
class _Rule:
    """A rule compiled: equality checks, regexes, and the node or its template."""

    equal: tuple[tuple[str, str], ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    node: str | None
    """The node, when ``node`` has no placeholder."""
    template: tuple[str | tuple[str], ...]
    source: str | None


def _compile(rule: NodeMapping) -> _Rule:
    problems = rule_problems(rule)
    if problems:
        raise ValueError("; ".join(message for _, message in problems))
    equal = tuple((k, v) for k, v in rule.match if not v.startswith(REGEX_PREFIX))
    patterns = tuple(
        (k, re.compile(v[len(REGEX_PREFIX) :])) for k, v in rule.match if v.startswith(REGEX_PREFIX)
    )
    template = template_parts(rule.node)
    static = all(isinstance(p, str) for p in template)
    return _Rule(equal, patterns, rule.node if static else None, template, rule.source)


class NodeMapper:
    """Maps events to catalog nodes with the rules, then the default labels.

    ``nodes`` is every known node id (services and components). Raises ValueError when a rule
    has an invalid regex or template (the configuration check reports them, located, first).
    """

    __slots__ = ("_defaults", "_nodes", "_rules")

    def __init__(self, rules: Sequence[NodeMapping], nodes: Collection[str]) -> None:
        self._nodes = frozenset(nodes)
        compiled = [_compile(rule) for rule in rules]
        self._rules = tuple(
            r for r in compiled if r.node is None or r.node in self._nodes
        )  # a fixed node that is not known can never win
        self._defaults = tuple((name, name in HOST_PORT_LABELS) for name in DEFAULT_LABELS)

    def map(self, event: Event) -> str | None:
        """The node ``event`` concerns, or None when nothing maps it."""
        labels = dict(event.labels)
        nodes = self._nodes
        for rule in self._rules:
            if rule.source is not None and rule.source != event.source:
                continue
            node = self._apply(rule, labels)
            if node is not None and node in nodes:
                return node
        for name, has_port in self._defaults:
            value = labels.get(name)
            if value is None:
                continue
            if has_port:
                host = host_part(value)
                if host in nodes:
                    return host
            if value in nodes:
                return value
        return None

    @staticmethod
    def _apply(rule: _Rule, labels: dict[str, str]) -> str | None:
        """The node ``rule`` yields for ``labels``, or None when it does not match."""
        for name, wanted in rule.equal:
            if labels.get(name) != wanted:
                return None
        groups: dict[str, str] = {}
        for name, pattern in rule.patterns:
            value = labels.get(name)
            if value is None:
                return None
            m = pattern.fullmatch(value)
            if m is None:
                return None
            if pattern.groupindex:
                groups.update((k, v) for k, v in m.groupdict().items() if v is not None)
        if rule.node is not None:
            return rule.node
        out = []
        for part in rule.template:
            if isinstance(part, str):
                out.append(part)
                continue
            filled = groups.get(part[0])
            if filled is None:
                filled = labels.get(part[0])
                if filled is None:
                    return None
            out.append(filled)
        return "".join(out)

    def map_all(self, events: Iterable[Event]) -> list[Event]:
        """``events`` with ``node`` set where a node was found; an event that already names a
        node is kept as it is."""
        out = []
        for event in events:
            if event.node is None:
                node = self.map(event)
                if node is not None:
                    event = with_node(event, node)
            out.append(event)
        return out


_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))


def with_node(event: Event, node: str) -> Event:
    """A copy of ``event`` naming ``node``, without validating it again.

    ``event`` was validated when it was made and a node id is plain text, so the copy is as
    valid as the original; ``dataclasses.replace`` would run the whole validation again.
    """
    values = {name: getattr(event, name) for name in _EVENT_FIELDS}
    values["node"] = node
    return trusted(Event, **values)
