"""Which measurement series an objective reads.

An objective computed from measurements (latency, one-way delay, jitter, throughput, packet
loss, good ratio) reads one declared series. It may name it (``series: vpn-latency``); when it
does not, its **default series** for a customer and a service is found among the series
declared on that service whose kind fits the metric:

1. the series of that customer (``customer: bertin-associes``) come before the series shared by
   every customer of the service (no ``customer``);
2. within those, the kinds are tried in the order of :data:`SERIES_KINDS` (jitter reads a
   ``jitter`` series before a ``packets`` one);
3. the first step that finds exactly one series gives it; one that finds several gives none:
   the choice is ambiguous and the objective must name its series (the configuration check
   reports it).

A series declared on a component (``vpn-concentrator``) is never a default: an objective that
reads it names it. Availability is computed from outages, so it has no default series; it
reads a ``good_total`` series only when it names one (availability counted over events, as
an OpenSLO ratio imports).
"""

from __future__ import annotations

from servanda.agreements.metrics import Metric
from servanda.agreements.model import Objective
from servanda.measure.declarations import Declarations
from servanda.measure.inputs import Series, SeriesKind

SERIES_KINDS: dict[Metric, tuple[SeriesKind, ...]] = {
    Metric.LATENCY: (SeriesKind.LATENCY,),
    Metric.ONE_WAY_DELAY: (SeriesKind.ONE_WAY_DELAY, SeriesKind.PACKETS),
    Metric.JITTER: (SeriesKind.JITTER, SeriesKind.PACKETS),
    Metric.THROUGHPUT: (SeriesKind.THROUGHPUT,),
    Metric.PACKET_LOSS: (SeriesKind.LOSS, SeriesKind.PACKETS),
    Metric.GOOD_RATIO: (SeriesKind.GOOD_TOTAL, SeriesKind.LOSS),
}
"""The series kinds each measured metric can be computed from, preferred first."""

NAMED_SERIES_KINDS: dict[Metric, tuple[SeriesKind, ...]] = {
    **SERIES_KINDS,
    Metric.AVAILABILITY: (SeriesKind.GOOD_TOTAL, SeriesKind.LOSS),
}
"""The kinds a series an objective *names* may have: :data:`SERIES_KINDS`, good/total counts
for availability counted over events, and a loss series for availability by MEF 10.3."""


def fitting_kinds(metric: Metric) -> tuple[SeriesKind, ...]:
    """The kinds of series an objective of ``metric`` may name; () when it reads none."""
    return NAMED_SERIES_KINDS.get(metric, ())


def series_candidates(
    bundle: Declarations, objective: Objective, customer: str | None, service: str | None
) -> list[Series]:
    """The series the default rule (see the module) settles on for ``objective`` of
    ``customer`` on ``service``: one series, none, or several when the choice is ambiguous.

    An objective that names its series is not defaulted: the list holds that series when it is
    declared.
    """
    if objective.series is not None:
        named = bundle.series_by_id.get(objective.series)
        return [named] if named is not None else []
    kinds = SERIES_KINDS.get(objective.metric, ())
    if not kinds or service is None:
        return []
    on_service = [s for s in bundle.series if s.node == service and s.kind in kinds]
    tiers = (customer, None) if customer is not None else (None,)
    for who in tiers:
        tier = [s for s in on_service if s.customer == who]
        for kind in kinds:
            found = [s for s in tier if s.kind is kind]
            if found:
                return found
    return []


def series_for(
    bundle: Declarations, objective: Objective, customer: str | None, service: str | None
) -> Series | None:
    """The series ``objective`` reads for ``customer`` on ``service``: the one it names, or its
    default (see the module); None when it names an undeclared series, reads none, or the
    default is ambiguous."""
    found = series_candidates(bundle, objective, customer, service)
    return found[0] if len(found) == 1 else None
