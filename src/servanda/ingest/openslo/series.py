"""The measurement series the imported objectives read, declared from their OpenSLO SLIs.

Every imported objective names a series: the name of its SLI. So that the configuration it
goes into checks, the import declares each of them (see :mod:`servanda.measure.series_choice`):

* ``id`` — the name the objective uses;
* ``kind`` — the first kind that fits the objective's metric
  (:func:`servanda.measure.series_choice.fitting_kinds`): ``good_total`` for a ratio of good
  to total events (``good_ratio``, or ``availability`` counted over events) and for a
  threshold metric imported as ``good_ratio``; ``latency`` for a threshold metric imported
  as latency;
* ``node`` — the objective's service; ``customer`` — the agreement's customer (none in the
  objectives-only shape: the series is then shared by every customer of the service);
* ``description`` — the OpenSLO SLI it came from.

One SLI read by several objectives of one service, for one kind, is one series. A series is
about one service and of one kind, so an SLI read by objectives of two services, or by a
latency and a good-ratio objective, becomes several series: the later ones are named
``<sli>-<service>`` or ``<sli>-<kind>``, with a warning. An SLI name that is no Servanda id is
turned into one, with a warning. An objective whose metric is computed from no series gets none
declared, with a warning.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

from servanda.catalog.model import ID_PATTERN
from servanda.ingest.openslo.objects import Findings
from servanda.ingest.openslo.slos import Imported
from servanda.ingest.openslo.tables import slug
from servanda.measure.inputs import Series, SeriesKind
from servanda.measure.series_choice import fitting_kinds

MAX_ID = 200
"""The longest id the configuration accepts."""


@dataclasses.dataclass
class _Taken:
    """The series declared so far, by id."""

    series: dict[str, Series] = dataclasses.field(default_factory=dict)
    by_use: dict[tuple[str, str, SeriesKind], Series] = dataclasses.field(default_factory=dict)
    """(SLI name, service, kind) → the series declared for it."""
    valid: dict[str, str] = dataclasses.field(default_factory=dict)
    """SLI name → the id made from it."""


def declare_series(
    groups: dict[str, list[Imported]], customer: str | None, found: Findings
) -> tuple[dict[str, list[Imported]], dict[str, tuple[Series, ...]]]:
    """The series each service's objectives read, and the objectives renamed to them.

    ``groups`` holds the imported objectives per service; ``customer`` is the agreement's
    customer, or None when only objectives are emitted. Returns the groups, with an objective's
    ``series`` changed where its name had to change (each change warned in ``found``), and the
    series declared for each service, in the order the objectives first name them.
    """
    taken = _Taken()
    out: dict[str, list[Imported]] = {}
    declared: dict[str, tuple[Series, ...]] = {}
    for service, group in groups.items():
        mine: list[Series] = []
        out[service] = []
        for imp in group:
            series = _declare(imp, service, customer, taken, found)
            if series is not None and series.id != imp.objective.series:
                objective = dataclasses.replace(imp.objective, series=series.id)
                imp = dataclasses.replace(imp, objective=objective)
            if series is not None and series not in mine:
                mine.append(series)
            out[service].append(imp)
        declared[service] = tuple(mine)
    return out, declared


def _declare(
    imp: Imported, service: str, customer: str | None, taken: _Taken, found: Findings
) -> Series | None:
    """The series ``imp``'s objective reads, declared in ``taken`` unless it already is."""
    objective = imp.objective
    name = objective.series
    if name is None:
        return None
    kinds = fitting_kinds(objective.metric)
    if not kinds:
        found.warn(
            imp.slo,
            imp.path,
            f"{objective.metric.value} is not computed from a measurement series, so the kind "
            f"of series {name!r} cannot be told: it is not declared",
        )
        return None
    kind = kinds[0]
    known = taken.by_use.get((name, service, kind))
    if known is not None:
        return known
    base = _valid_id(imp, name, taken, found)
    first = taken.series.get(base)
    parts = (service, _kind_part(kind))
    if first is not None and first.node == service:
        parts = parts[::-1]
    candidates = (base, *(_suffixed(base, part) for part in parts))
    numbered = (_suffixed(base, str(n)) for n in itertools.count(2))
    fresh = next(c for c in itertools.chain(candidates, numbered) if c not in taken.series)
    series = Series(
        id=fresh, kind=kind, node=service, customer=customer, description=_describe(imp)
    )
    taken.series[fresh] = series
    taken.by_use[(name, service, kind)] = series
    if first is not None:
        found.warn(
            imp.slo,
            imp.path,
            f"series {base!r} is already declared, about {first.node!r} and of kind "
            f"{first.kind.value}; this objective, on {service!r} and read from a "
            f"{kind.value} series, reads series {fresh!r}",
        )
    return series


def _valid_id(imp: Imported, name: str, taken: _Taken, found: Findings) -> str:
    """``name`` when it is a Servanda id; else one made from it (warned once per name)."""
    if name in taken.valid:
        return taken.valid[name]
    fixed = name
    if not re.match(ID_PATTERN, name) or len(name) > MAX_ID:
        fixed = slug(name)[:MAX_ID].rstrip("-._:") or "series"
        found.warn(
            imp.slo,
            imp.path,
            f"series {name!r} (after the OpenSLO SLI) is no Servanda id; declared and read as "
            f"{fixed!r}",
        )
    taken.valid[name] = fixed
    return fixed


def _suffixed(base: str, suffix: str) -> str:
    """``base-suffix``, cut to the longest id."""
    tail = f"-{suffix}"
    return base[: MAX_ID - len(tail)] + tail


def _kind_part(kind: SeriesKind) -> str:
    """``good-total``: a kind as a part of an id."""
    return kind.value.replace("_", "-")


def _describe(imp: Imported) -> str:
    """``From OpenSLO SLI 'http-ok' (HTTP requests): Requests answered 2xx.``"""
    indicator = imp.indicator
    out = f"From {indicator.origin or f'OpenSLO SLI {indicator.name!r}'}"
    if indicator.display_name != indicator.name:
        out += f" ({indicator.display_name})"
    if indicator.description:
        out += f": {indicator.description}"
    return out if out.endswith((".", "!", "?")) else out + "."
