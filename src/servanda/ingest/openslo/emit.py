"""Imported objectives as YAML-ready data in Servanda's configuration format.

With a provider and a customer the result is a configuration file of its own::

    agreements:
      - id: acme-web-shop-openslo
        level: service
        provider: netco
        customer: acme
        service: web-shop
        effective_from: 2022-01-01
        title: web-shop service levels (imported from OpenSLO)
        objectives:
          - id: search-slo
            metric: latency
            percentile: 99
            comparator: "<"
            target: 500ms
            period: rolling 14d
            budgeting: events
            series: search-latency
            description: ...
    series:
      - id: search-latency
        kind: latency
        node: web-shop
        customer: acme
        description: From OpenSLO SLI 'search-latency' inline in SLO 'search-slo' (...).

Without them there is no agreement to put the objectives in, so the result is a fragment,
*not* a configuration file (its one key is no configuration section, and the configuration
reader rejects it as such): one entry per service, whose ``objectives`` can be pasted under an
agreement's ``objectives``, and whose ``series`` (shared by every customer of the service:
no ``customer``) under the configuration's ``series``::

    openslo_objectives:
      - service: web-shop
        title: web-shop
        objectives: [ ... same shape as above ... ]
        series: [ ... same shape as above, without customer ... ]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from servanda.agreements.metrics import METRICS, Unit
from servanda.agreements.model import Objective, Period, PeriodKind
from servanda.core.durations import format_duration
from servanda.ingest.openslo.tables import plain
from servanda.measure.inputs import Series

FRAGMENT_KEY = "openslo_objectives"
"""The one key of the objectives-only shape."""


def period_yaml(period: Period) -> str:
    """``month``, ``week`` … or ``rolling 14d``."""
    if period.kind is PeriodKind.ROLLING:
        assert period.length is not None
        return f"rolling {format_duration(period.length)}"
    return period.kind.value


def target_yaml(value: Decimal, unit: Unit) -> str:
    """A target with its unit, as the configuration reader parses it: ``99.5%``, ``500ms``."""
    suffix = {Unit.PERCENT: "%", Unit.MILLISECONDS: "ms", Unit.SECONDS: "s"}.get(unit, "")
    return plain(value) + suffix


def _number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else plain(value)


def objective_yaml(objective: Objective) -> dict[str, Any]:
    """One objective in configuration form, leaving out what is at its default."""
    info = METRICS[objective.metric]
    out: dict[str, Any] = {"id": objective.id, "metric": objective.metric.value}
    if objective.percentile is not None:
        out["percentile"] = _number(objective.percentile)
    default = ">=" if info.better == "higher" else "<="
    if objective.comparator is not None and objective.comparator.value != default:
        out["comparator"] = objective.comparator.value
    out["target"] = target_yaml(objective.target, info.unit)
    out["period"] = period_yaml(objective.period)
    out["budgeting"] = objective.budgeting.value
    if objective.timeslice is not None:
        out["timeslice"] = format_duration(objective.timeslice)
    if objective.timeslice_target is not None:
        out["timeslice_target"] = target_yaml(objective.timeslice_target, info.unit)
    if objective.series is not None:
        out["series"] = objective.series
    if objective.description is not None:
        out["description"] = objective.description
    return out


def series_yaml(series: Series) -> dict[str, Any]:
    """One series in configuration form, leaving out what it does not state."""
    out: dict[str, Any] = {"id": series.id, "kind": series.kind.value, "node": series.node}
    if series.customer is not None:
        out["customer"] = series.customer
    if series.interval is not None:
        out["interval"] = format_duration(series.interval)
    if series.description is not None:
        out["description"] = series.description
    return out


def agreement_yaml(
    *,
    provider: str,
    customer: str,
    service: str,
    effective_from: date,
    title: str,
    description: str | None,
    objectives: tuple[Objective, ...],
) -> dict[str, Any]:
    """A service-level agreement holding ``objectives``."""
    out: dict[str, Any] = {
        "id": f"{customer}-{service}-openslo",
        "level": "service",
        "provider": provider,
        "customer": customer,
        "service": service,
        "effective_from": effective_from,
        "title": title,
    }
    if description:
        out["description"] = description
    out["objectives"] = [objective_yaml(o) for o in objectives]
    return out


def fragment_yaml(
    service: str,
    title: str,
    objectives: tuple[Objective, ...],
    series: tuple[Series, ...] = (),
) -> dict[str, Any]:
    """One entry of the objectives-only shape; ``series`` only when there are some."""
    out: dict[str, Any] = {
        "service": service,
        "title": title,
        "objectives": [objective_yaml(o) for o in objectives],
    }
    if series:
        out["series"] = [series_yaml(s) for s in series]
    return out


HEADER_AGREEMENTS = (
    "# Service level agreements imported from OpenSLO by `servanda import openslo`.\n"
    "# Review the warnings printed by the import before loading this file.\n"
)
HEADER_FRAGMENT = (
    "# Service level objectives imported from OpenSLO by `servanda import openslo`.\n"
    f"# Not a configuration file: '{FRAGMENT_KEY}' is no configuration section. Paste each\n"
    "# service's objectives under an agreement's `objectives:` and its series under `series:`\n"
    "# (or import again with --provider and --customer to get whole agreements).\n"
)


def render_yaml(config: dict[str, Any]) -> str:
    """``config`` as YAML text with a comment saying what it is."""
    header = HEADER_FRAGMENT if FRAGMENT_KEY in config else HEADER_AGREEMENTS
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)
    return header + body
