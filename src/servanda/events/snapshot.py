"""A correlator's whole state as bytes, and back: what a restart loads before replaying the
journal entries that came after it.

Only the state that events built is kept; what the configuration gives (the graph, the
calendars, the settings and everything derived from them) is given again when loading, so a
snapshot stays small and is only loaded on the configuration it was taken on (the caller
checks the load run) and by the same correlator code (:data:`CODE`).
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path

from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Service
from servanda.events.correlate import CorrelationSettings, Correlator

_FROM_CONFIGURATION = frozenset(
    {
        "settings",
        "_graph",
        "_rule",
        "_maintenance",
        "_kind",
        "_order",
        "_dependents",
        "_needs",
        "_has_requirements",
        "_down_rank",
        "_downing",
    }
)
"""Attributes a :class:`Correlator` computes from its configuration when it is made."""

_CODE_FILES = ("working.py", "incidents.py", "flapping.py", "model.py", "watermark.py")
"""Modules besides the package :mod:`servanda.events.correlate` (every module of which counts,
by name and content) whose code a snapshot depends on (the event-time order's state is saved
with the correlator's: see :mod:`servanda.services.events`)."""


def _code_digest() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in sorted((here / "correlate").glob("*.py")):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    for name in (*_CODE_FILES, "../catalog/graph.py", "../catalog/model.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


CODE = _code_digest()
"""A digest of the code whose objects a snapshot holds."""


def dump(correlator: Correlator) -> bytes:
    """The correlator's event-built state, compressed."""
    state = {k: v for k, v in vars(correlator).items() if k not in _FROM_CONFIGURATION}
    return zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 1)


def load(
    data: bytes,
    graph: DependencyGraph,
    *,
    nodes: Iterable[Service | Component] = (),
    calendars: Iterable[Calendar] = (),
    settings: CorrelationSettings | None = None,
) -> Correlator:
    """A correlator on this configuration carrying on from ``data`` (made by :func:`dump`).

    ``data`` must come from this database's own snapshot table: it is unpickled.
    """
    correlator = Correlator(graph, nodes=nodes, calendars=calendars, settings=settings)
    vars(correlator).update(pickle.loads(zlib.decompress(data)))
    return correlator
