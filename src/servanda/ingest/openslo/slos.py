"""One OpenSLO ``SLO`` becomes one Servanda objective per entry of its ``objectives``.

The SLO gives what its objectives share: the service, the period (``timeWindow``), the
budgeting, the indicator (unless an objective brings its own: a composite SLO, whose weighting
is not imported). Each objective is then mapped by :mod:`servanda.ingest.openslo.objective`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from servanda.agreements.model import Objective
from servanda.config.yaml_source import Path
from servanda.ingest.openslo.indicators import Indicator, Indicators
from servanda.ingest.openslo.objective import Context, build_objective, text
from servanda.ingest.openslo.objects import Findings, OsloObject
from servanda.ingest.openslo.tables import slug
from servanda.ingest.openslo.windows import read_budgeting, read_window

SLO_FIELDS = {
    "description",
    "service",
    "indicator",
    "indicatorRef",
    "timeWindow",
    "timeWindows",
    "budgetingMethod",
    "objectives",
    "alertPolicies",
}


@dataclass(frozen=True)
class Imported:
    """One objective made from one OpenSLO objective."""

    service: str
    """The SLO's ``spec.service`` (or the service given to the import)."""
    objective: Objective
    slo: OsloObject
    path: Path
    """Where the OpenSLO objective sits in ``slo``."""
    start: date | None
    """The date the SLO's calendar starts counting, when it names one."""
    indicator: Indicator
    """What the objective measures: its series is declared from it."""


def convert_slo(
    slo: OsloObject, indicators: Indicators, found: Findings, service: str | None
) -> list[Imported]:
    """The objectives of ``slo``; what cannot be mapped is recorded in ``found``."""
    spec = slo.data.get("spec")
    if not isinstance(spec, dict):
        found.error(
            slo,
            ("spec",),
            f"{slo.label} needs a spec (service, indicator, "
            "timeWindow, budgetingMethod, objectives)",
        )
        return []
    for key in spec:
        if key not in SLO_FIELDS:
            found.unmap(
                slo, ("spec", key), f"field {key!r} has no Servanda equivalent; not imported"
            )
    name = spec.get("service")
    if isinstance(name, str) and name.strip():
        owner = name.strip()
    elif service:
        found.warn(slo, ("spec",), f"{slo.label} names no service; imported for {service!r}")
        owner = service
    else:
        found.error(slo, ("spec", "service"), f"{slo.label} needs spec.service")
        return []
    window = read_window(slo, found)
    budgeting = read_budgeting(slo, found)
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        found.error(
            slo,
            ("spec", "objectives"),
            "objectives must be a list of at least one objective (target or targetPercent)",
        )
        return []
    _report_alert_policies(slo, spec.get("alertPolicies"), found)
    shared = _shared_indicator(slo, spec, objectives, indicators, found)
    if window is None or budgeting is None or shared is False:
        return []
    words = " ".join(filter(None, (slo.name, slo.display_name, text(spec.get("description")))))
    ctx = Context(slo, window, budgeting[0], budgeting[1], words)
    ids = _ids(slo, objectives)
    out = []
    for i, item in enumerate(objectives):
        path: Path = ("spec", "objectives", i)
        if not isinstance(item, dict):
            found.error(slo, path, "an objective is a mapping with target or targetPercent")
            continue
        indicator = _objective_indicator(slo, path, item, shared, indicators, found)
        if indicator is None:
            continue
        objective = build_objective(ctx, path, item, ids[i], indicator, found)
        if objective is not None:
            out.append(Imported(owner, objective, slo, path, window.start, indicator))
    return out


def _ids(slo: OsloObject, objectives: list[Any]) -> list[str]:
    base = slug(slo.name) or "slo"
    if len(objectives) == 1:
        return [base]
    ids: list[str] = []
    for i, item in enumerate(objectives):
        shown = item.get("displayName") if isinstance(item, dict) else None
        part = slug(shown) if isinstance(shown, str) else ""
        candidate = f"{base}-{part or i + 1}"
        ids.append(candidate if candidate not in ids else f"{candidate}-{i + 1}")
    return ids


def _report_alert_policies(slo: OsloObject, policies: Any, found: Findings) -> None:
    if not isinstance(policies, list):
        return
    for i, policy in enumerate(policies):
        ref = policy.get("alertPolicyRef") if isinstance(policy, dict) else None
        meta = policy.get("metadata") if isinstance(policy, dict) else None
        named = ref or (meta.get("name") if isinstance(meta, dict) else None) or f"#{i + 1}"
        found.unmap(
            slo,
            ("spec", "alertPolicies", i),
            f"alert policy {named!r} of "
            f"{slo.label} is not imported: Servanda has no alert policies in agreements",
        )


def _shared_indicator(
    slo: OsloObject,
    spec: dict[str, Any],
    objectives: list[Any],
    indicators: Indicators,
    found: Findings,
) -> Indicator | bool | None:
    """The SLO-level indicator; None when there is none, False when it is broken."""
    own = [
        i
        for i, o in enumerate(objectives)
        if isinstance(o, dict) and ("indicator" in o or "indicatorRef" in o)
    ]
    if own:
        found.unmap(
            slo,
            ("spec", "objectives"),
            f"{slo.label} is a composite SLO: the "
            "weighted combination of its objectives (compositeWeight) is not imported; "
            "each objective is imported as an objective of its own",
        )
    if "indicator" in spec and "indicatorRef" in spec:
        found.warn(
            slo,
            ("spec", "indicatorRef"),
            "both indicator and indicatorRef given; the inline indicator is used",
        )
    if "indicator" in spec:
        shared = indicators.inline(slo, ("spec", "indicator"), spec["indicator"], slo.name)
    elif "indicatorRef" in spec:
        shared = indicators.by_ref(slo, ("spec", "indicatorRef"), spec["indicatorRef"])
    else:
        return None
    if shared is not None and own:
        found.warn(
            slo,
            ("spec", "objectives"),
            "objectives with their own indicator use it; the others use the SLO's",
        )
    return False if shared is None else shared


def _objective_indicator(
    slo: OsloObject,
    path: Path,
    item: dict[str, Any],
    shared: Indicator | bool | None,
    indicators: Indicators,
    found: Findings,
) -> Indicator | None:
    if "indicator" in item:
        return indicators.inline(slo, (*path, "indicator"), item["indicator"], slo.name)
    if "indicatorRef" in item:
        return indicators.by_ref(slo, (*path, "indicatorRef"), item["indicatorRef"])
    if "ratioMetrics" in item:
        return indicators.v1alpha_ratio(
            slo, (*path, "ratioMetrics"), item["ratioMetrics"], slo.name
        )
    if isinstance(shared, Indicator):
        return shared
    found.error(
        slo, path, f"{slo.label} has no indicator or indicatorRef, on the SLO or on this objective"
    )
    return None
