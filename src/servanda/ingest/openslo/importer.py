"""The import: read every object, convert the SLOs, group per service, shape the result."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from servanda.agreements.model import Agreement, Objective
from servanda.catalog.model import ID_PATTERN
from servanda.core.problems import Location, Problem, Severity
from servanda.core.records import from_jsonable
from servanda.ingest.openslo.emit import (
    FRAGMENT_KEY,
    agreement_yaml,
    fragment_yaml,
    render_yaml,
    series_yaml,
)
from servanda.ingest.openslo.indicators import Indicators
from servanda.ingest.openslo.objects import (
    Findings,
    OsloObject,
    index_by_name,
    read_objects,
)
from servanda.ingest.openslo.others import report_metadata, report_other
from servanda.ingest.openslo.series import declare_series
from servanda.ingest.openslo.slos import Imported, convert_slo
from servanda.ingest.openslo.tables import slug
from servanda.measure.inputs import Series

ARGUMENTS = Location("<arguments>")
"""Where problems about the import's own arguments are located."""


@dataclass
class OpenSloImport:
    """What :func:`import_openslo` produced, and everything it has to say about it."""

    objectives: dict[str, tuple[Objective, ...]] = field(default_factory=dict)
    """Objectives per service (the OpenSLO service name, or the service given)."""
    agreements: tuple[Agreement, ...] = ()
    """One service-level agreement per service, when provider and customer were given."""
    series: tuple[Series, ...] = ()
    """The measurement series the objectives name, declared from their SLIs (see
    :mod:`servanda.ingest.openslo.series`): for the customer when one was given with a
    provider, else for every customer of the service."""
    config: dict[str, Any] = field(default_factory=dict)
    """YAML-ready data: ``{"agreements": [...], "series": [...]}`` with provider and customer,
    else ``{"openslo_objectives": [...]}``, each entry with its series (see
    :mod:`servanda.ingest.openslo.emit`)."""
    warnings: list[Problem] = field(default_factory=list)
    """Liberties taken, each located (severity warning)."""
    unmapped: list[Problem] = field(default_factory=list)
    """What has no Servanda equivalent and is not in the result, each located (severity
    warning)."""
    errors: list[Problem] = field(default_factory=list)
    """Malformed input, each located; what it concerns is left out of the result."""
    sources: dict[tuple[str, str], Location] = field(default_factory=dict)
    """(service, objective id) → where its OpenSLO objective is written."""

    @property
    def ok(self) -> bool:
        """True when there were no errors."""
        return not self.errors

    @property
    def problems(self) -> list[Problem]:
        """Errors, then warnings, then what was not imported."""
        return [*self.errors, *self.warnings, *self.unmapped]

    def yaml(self) -> str:
        """:attr:`config` as YAML text, with a comment saying what it is."""
        return render_yaml(self.config)


def import_openslo(
    texts: Iterable[tuple[str, str]],
    *,
    provider: str | None = None,
    customer: str | None = None,
    service: str | None = None,
    effective_from: date | None = None,
) -> OpenSloImport:
    """Turn OpenSLO v1 files (``(filename, text)`` pairs) into Servanda objectives.

    ``SLO`` objects become objectives, using the ``SLI`` and ``Service`` objects found in the
    same files. With ``provider`` and ``customer`` the objectives are wrapped into one
    service-level agreement per service; ``service`` puts every SLO under that one service.
    ``effective_from`` defaults to the earliest calendar ``startTime`` of a service's SLOs,
    else to today (with a warning either way).
    """
    pairs = list(texts)
    found = Findings()
    objects = read_objects(pairs, found)
    for obj in objects:
        if obj.kind in ("SLO", "SLI", "Service") and not obj.name:
            found.error(obj, ("metadata", "name"), f"a {obj.kind} needs metadata.name")
    slis = index_by_name(objects, "SLI", found)
    services = index_by_name(objects, "Service", found)
    indicators = Indicators(slis, found)
    imported: list[Imported] = []
    for obj in objects:
        if obj.kind in ("SLO", "SLI", "Service"):
            report_metadata(obj, found)
        if obj.kind == "SLO" and obj.name:
            imported.extend(convert_slo(obj, indicators, found, service))
        elif obj.kind not in ("SLI", "Service"):
            report_other(obj, found)
    referenced = {i.service for i in imported}
    for name, sli in slis.items():
        if name not in indicators.used:
            found.unmap(sli, (), f"{sli.label} is used by no SLO in the input; nothing imported")
    for name, svc in services.items():
        if name not in referenced:
            found.unmap(svc, (), f"{svc.label} has no SLO in the input; nothing imported")
    if not any(obj.kind == "SLO" for obj in objects):
        files = ", ".join(name for name, _ in pairs)
        found.warnings.append(
            Problem(
                f"no SLO object in {files or 'the input'}: no objectives imported",
                Location(pairs[0][0]) if pairs else ARGUMENTS,
                severity=Severity.WARNING,
            )
        )
    result = OpenSloImport()
    groups = _group(imported, service, found, result)
    _shape(
        result,
        groups,
        services,
        found,
        provider=provider,
        customer=customer,
        effective_from=effective_from,
    )
    result.warnings, result.unmapped = found.warnings, found.unmapped
    result.errors = found.errors + result.errors
    return result


def _group(
    imported: list[Imported], service: str | None, found: Findings, result: OpenSloImport
) -> dict[str, list[Imported]]:
    groups: dict[str, list[Imported]] = {}
    names_seen: set[str] = set()
    for imp in imported:
        key = service or imp.service
        if not re.match(ID_PATTERN, key):
            fixed = slug(key) or "service"
            found.warn(
                imp.slo,
                ("spec", "service"),
                f"service {key!r} is no Servanda id; imported as {fixed!r}",
            )
            key = fixed
        if service and imp.service not in names_seen and names_seen:
            found.warn(
                imp.slo,
                ("spec", "service"),
                f"SLOs of several OpenSLO services "
                f"({', '.join(sorted(names_seen | {imp.service}))}) all imported for "
                f"service {service!r}",
            )
        names_seen.add(imp.service)
        group = groups.setdefault(key, [])
        taken = {g.objective.id for g in group}
        if imp.objective.id in taken:
            n = 2
            while f"{imp.objective.id}-{n}" in taken:
                n += 1
            new = f"{imp.objective.id}-{n}"
            found.warn(
                imp.slo,
                ("metadata", "name"),
                f"objective id {imp.objective.id!r} is "
                f"already used in service {key!r} (two SLOs with one name?); this one "
                f"is {new!r}",
            )
            imp = dataclasses.replace(imp, objective=dataclasses.replace(imp.objective, id=new))
        group.append(imp)
        result.sources[(key, imp.objective.id)] = imp.slo.problem(imp.path, "").location
    return groups


def _effective_from(key: str, group: list[Imported], given: date | None, found: Findings) -> date:
    if given is not None:
        return given
    starts = [(imp.start, imp) for imp in group if imp.start is not None]
    if starts:
        start, imp = min(starts, key=lambda pair: pair[0])
        found.warn(
            imp.slo,
            ("spec", "timeWindow"),
            f"agreement for {key!r}: effective_from "
            f"set to {start}, the date of this SLO's calendar startTime",
        )
        return start
    today = datetime.now(UTC).date()
    found.warn(
        group[0].slo,
        (),
        f"agreement for {key!r}: no effective date given and no "
        f"calendar startTime; effective_from set to today, {today}",
    )
    return today


def _shape(
    result: OpenSloImport,
    groups: dict[str, list[Imported]],
    services: dict[str, OsloObject],
    found: Findings,
    *,
    provider: str | None,
    customer: str | None,
    effective_from: date | None,
) -> None:
    wrap = bool(provider and customer)
    if (provider or customer) and not wrap:
        found.warnings.append(
            Problem(
                "an agreement needs both a provider and a customer; only objectives are emitted",
                ARGUMENTS,
                severity=Severity.WARNING,
            )
        )
    groups, series = declare_series(groups, customer if wrap else None, found)
    result.series = tuple(s for declared in series.values() for s in declared)
    entries: list[dict[str, Any]] = []
    for key, group in groups.items():
        objectives = tuple(imp.objective for imp in group)
        result.objectives[key] = objectives
        names = {imp.service for imp in group}
        doc = services.get(key) or (services.get(next(iter(names))) if len(names) == 1 else None)
        shown = doc.display_name if doc else key
        if not wrap:
            entries.append(fragment_yaml(key, shown, objectives, series[key]))
            continue
        assert provider is not None
        assert customer is not None
        description = doc.spec.get("description") if doc else None
        entries.append(
            agreement_yaml(
                provider=provider,
                customer=customer,
                service=key,
                effective_from=_effective_from(key, group, effective_from, found),
                title=f"{shown} service levels (imported from OpenSLO)",
                description=description if isinstance(description, str) else None,
                objectives=objectives,
            )
        )
    if not wrap:
        result.config = {FRAGMENT_KEY: entries}
        return
    result.config = {"agreements": entries}
    if result.series:
        result.config["series"] = [series_yaml(s) for s in result.series]
    agreements = []
    for i, entry in enumerate(entries):
        try:
            agreements.append(from_jsonable(Agreement, entry))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
                result.errors.append(
                    Problem(
                        f"the agreement cannot be made: {err['msg']}",
                        ARGUMENTS,
                        ("agreements", i, *loc),
                    )
                )
    result.agreements = tuple(agreements)
