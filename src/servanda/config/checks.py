"""Checks that span records: unique ids, references, dependency cycles, agreement inheritance,
event mapping rules, measurement series, and where subscriptions attach their customers
(:mod:`servanda.config.access`).

Each check returns located problems; none of them stops at the first one.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

from servanda.agreements.effective import AmbiguousAgreement, effective_agreement
from servanda.agreements.metrics import Metric
from servanda.agreements.model import Actor, Agreement
from servanda.catalog.model import PartyRole
from servanda.config.access import check_access
from servanda.config.billing_checks import check_billing
from servanda.config.located import located as _at
from servanda.config.located import origins as _origins
from servanda.config.notification_checks import check_notifications
from servanda.config.reader import Origin, ReadResult
from servanda.core.durations import format_duration
from servanda.core.problems import Problem
from servanda.declared.bundle import KINDS
from servanda.events.mapping import rule_problems, template_parts
from servanda.measure.inputs import SeriesKind
from servanda.measure.series_choice import SERIES_KINDS, fitting_kinds, series_candidates


def _member_field(origin: Origin | None, r: int, m: int) -> tuple[str | int, ...]:
    """The field of member ``m`` of requirement ``r`` as the file writes it: a bare id, an
    ``any_of``/``all_of`` list, ``k_of_n: {of: …}`` or the record form ``nodes: […]``."""
    written: Any = origin.doc.data if origin is not None else None
    for part in (*(origin.path if origin is not None else ()), "depends_on", r):
        try:
            written = written[part]
        except (KeyError, IndexError, TypeError):
            return ("depends_on", r, m)
    if not isinstance(written, dict):
        return ("depends_on", r)  # a bare id is the requirement and its only member
    for key in ("nodes", "any_of", "all_of"):
        if key in written:
            return ("depends_on", r, key, m)
    if "k_of_n" in written:
        return ("depends_on", r, "k_of_n", "of", m)
    return ("depends_on", r, m)


def check_unique(result: ReadResult) -> list[Problem]:
    """Every declared kind's keys are unique (:data:`~servanda.declared.bundle.KINDS`): ids of
    parties, calendars, series …; services and components together (one node namespace);
    agreement versions by (id, effective_from); subscriptions by customer, service and start."""
    b = result.bundle
    problems: list[Problem] = []
    spaces: dict[str, list[tuple[str, Any]]] = {}
    nouns: dict[str, str] = {}
    for kind in KINDS:
        if kind.key is None:
            continue
        space = kind.namespace or kind.section
        nouns.setdefault(space, kind.namespace or kind.noun)
        spaces.setdefault(space, []).extend(
            (kind.section, kind.key(rec)) for rec in getattr(b, kind.section)
        )
    for space, keyed in spaces.items():
        first: dict[object, Origin | None] = {}
        counters: dict[str, int] = {}
        for section, key in keyed:
            index = counters.get(section, 0)
            counters[section] = index + 1
            origin = result.origin(section, index)
            if key in first:
                before = first[key]
                where = f" (first declared at {before.location})" if before else ""
                shown = key if not isinstance(key, tuple) else " ".join(str(k) for k in key if k)
                problems.append(_at(origin, ("id",), f"duplicate {nouns[space]} {shown}{where}"))
            else:
                first[key] = origin
    return problems


def check_references(result: ReadResult) -> list[Problem]:
    """Every id a record names exists and plays the expected role."""
    b = result.bundle
    problems: list[Problem] = []
    parties = b.party_by_id
    nodes = {**b.service_by_id, **b.component_by_id}
    calendars = b.calendar_by_id

    def party(
        origin: Origin | None,
        field: tuple[str | int, ...],
        pid: str,
        role: PartyRole,
    ) -> None:
        if pid not in parties:
            problems.append(_at(origin, field, f"unknown party {pid!r}"))
        elif role not in parties[pid].roles:
            problems.append(_at(origin, field, f"party {pid!r} is not a {role.value}"))

    def calendar(origin: Origin | None, field: tuple[str | int, ...], cid: str | None) -> None:
        if cid is not None and cid not in calendars:
            problems.append(_at(origin, field, f"unknown calendar {cid!r}"))

    for i, origin in _origins(result, "services", len(b.services)):
        s = b.services[i]
        party(origin, ("provider",), s.provider, PartyRole.PROVIDER)
        calendar(origin, ("calendar",), s.calendar)
    for section, records in (("services", b.services), ("components", b.components)):
        for i, origin in _origins(result, section, len(records)):
            node = records[i]
            for r, req in enumerate(node.depends_on):
                for m, member in enumerate(req.nodes):
                    if member not in nodes:
                        problems.append(
                            _at(
                                origin,
                                _member_field(origin, r, m),
                                f"unknown service or component {member!r}",
                            )
                        )
                    elif member == node.id:
                        problems.append(
                            _at(
                                origin,
                                _member_field(origin, r, m),
                                f"{node.id} cannot depend on itself",
                            )
                        )
    for i, origin in _origins(result, "components", len(b.components)):
        c = b.components[i]
        calendar(origin, ("calendar",), c.calendar)
        if c.owner is not None and c.owner not in parties:
            problems.append(_at(origin, ("owner",), f"unknown party {c.owner!r}"))
    for i, origin in _origins(result, "calendars", len(b.calendars)):
        for w, window in enumerate(b.calendars[i].maintenance):
            for n, node_id in enumerate(window.nodes or ()):
                if node_id not in nodes:
                    problems.append(
                        _at(
                            origin,
                            ("maintenance", w, "nodes", n),
                            f"unknown service or component {node_id!r}",
                        )
                    )
    for i, origin in _origins(result, "subscriptions", len(b.subscriptions)):
        sub = b.subscriptions[i]
        party(origin, ("customer",), sub.customer, PartyRole.CUSTOMER)
        if sub.service not in b.service_by_id:
            problems.append(_at(origin, ("service",), f"unknown service {sub.service!r}"))
    subscribed = {(s.customer, s.service) for s in b.subscriptions}
    actors = {a.value for a in Actor}
    for i, origin in _origins(result, "agreements", len(b.agreements)):
        a = b.agreements[i]
        party(origin, ("provider",), a.provider, PartyRole.PROVIDER)
        if a.customer is not None:
            party(origin, ("customer",), a.customer, PartyRole.CUSTOMER)
        if a.service is not None:
            svc = b.service_by_id.get(a.service)
            if svc is None:
                problems.append(_at(origin, ("service",), f"unknown service {a.service!r}"))
            elif svc.provider != a.provider:
                problems.append(
                    _at(
                        origin,
                        ("service",),
                        f"service {a.service!r} is provided by {svc.provider!r}, "
                        f"not {a.provider!r}",
                    )
                )
            elif a.customer and (a.customer, a.service) not in subscribed:
                problems.append(
                    _at(
                        origin,
                        ("service",),
                        f"customer {a.customer!r} has no subscription to {a.service!r}",
                    )
                )
        calendar(origin, ("calendar",), a.calendar)
        for j, o in enumerate(a.objectives):
            calendar(origin, ("objectives", j, "calendar"), o.calendar)
        for name in ("fault_reporting", "validates_correction", "pays_credits"):
            who = getattr(a.responsibilities, name)
            if who is not None and who not in actors and who not in parties:
                problems.append(
                    _at(
                        origin,
                        ("responsibilities", name),
                        f"{who!r} is neither provider, customer, both nor a party id",
                    )
                )
    return problems


def check_versions(result: ReadResult) -> list[Problem]:
    """All versions of one agreement keep its level and scope."""
    problems: list[Problem] = []
    first: dict[str, Agreement] = {}
    for i, origin in _origins(result, "agreements", len(result.bundle.agreements)):
        a = result.bundle.agreements[i]
        seen = first.setdefault(a.id, a)
        scope = (a.level, a.provider, a.customer, a.service)
        if scope != (seen.level, seen.provider, seen.customer, seen.service):
            problems.append(
                _at(
                    origin,
                    ("id",),
                    f"version from {a.effective_from} of agreement "
                    f"{a.id!r} changes its level or scope; give it a new id",
                )
            )
    return problems


def check_cycles(result: ReadResult) -> list[Problem]:
    """The dependency graph has no cycle; each cycle is named."""
    b = result.bundle
    index = {s.id: ("services", i) for i, s in enumerate(b.services)}
    index.update({c.id: ("components", i) for i, c in enumerate(b.components)})
    problems = []
    for cycle in b.graph.cycles():
        section, i = index.get(cycle[0], ("services", -1))
        origin = result.origin(section, i)
        problems.append(_at(origin, ("depends_on",), "dependency cycle: " + " → ".join(cycle)))
    return problems


def check_inheritance(result: ReadResult) -> list[Problem]:
    """For each subscription, on each version date: one agreement per level, no silent loosening,
    and a credit schedule that names an existing objective."""
    b = result.bundle
    problems: list[Problem] = []
    where = {a.key: result.origin("agreements", i) for i, a in enumerate(b.agreements)}
    days = sorted({a.effective_from for a in b.agreements})
    reported: set[tuple[object, ...]] = set()

    def once(key: tuple[object, ...], problem: Problem) -> None:
        if key not in reported:
            reported.add(key)
            problems.append(problem)

    for sub in b.subscriptions:
        svc = b.service_by_id.get(sub.service)
        if svc is None:
            continue
        for day in days:
            try:
                eff = effective_agreement(b.agreements, svc.provider, sub.customer, svc.id, day)
            except AmbiguousAgreement as exc:
                last = exc.agreements[-1]
                once(
                    ("ambiguous", *sorted(a.id for a in exc.agreements)),
                    _at(where.get(last.key), ("effective_from",), str(exc)),
                )
                continue
            for o in eff.loosened():
                old = o.replaces
                assert o.source is not None
                assert old is not None
                origin = where.get((o.source.agreement, o.source.effective_from))
                agreement = next(a for a in eff.chain if a.id == o.source.agreement)
                j = next(k for k, x in enumerate(agreement.objectives) if x.id == o.value.id)
                msg = (
                    f"objective {o.value.id!r} loosens the {old.level} target "
                    f"{old.value.cmp.value} {old.value.target} to {o.value.cmp.value} "
                    f"{o.value.target}; write 'override: true' if that is intended"
                )
                once(("loose", o.source, o.value.id), _at(origin, ("objectives", j, "target"), msg))
            for sev in eff.loosened_severities():
                old_sev = sev.replaces
                assert sev.source is not None
                assert old_sev is not None
                origin = where.get((sev.source.agreement, sev.source.effective_from))
                agreement = next(a for a in eff.chain if a.id == sev.source.agreement)
                j = next(
                    k
                    for k, x in enumerate(agreement.responsibilities.severities)
                    if x.severity == sev.value.severity
                )
                msg = (
                    f"severity {sev.value.severity!r} loosens the {old_sev.level} targets "
                    f"(response {format_duration(old_sev.value.response)}, resolution "
                    f"{format_duration(old_sev.value.resolution)}) to response "
                    f"{format_duration(sev.value.response)}, resolution "
                    f"{format_duration(sev.value.resolution)}; write 'override: true' if that "
                    "is intended"
                )
                once(
                    ("loose-severity", sev.source, sev.value.severity),
                    _at(origin, ("responsibilities", "severities", j), msg),
                )
            if eff.credits is not None and eff.objective(eff.credits.value.objective) is None:
                src = eff.credits.source
                assert src is not None
                origin = where.get((src.agreement, src.effective_from))
                msg = (
                    f"credit schedule refers to objective {eff.credits.value.objective!r}, "
                    f"which the effective agreement of {sub.customer}/{svc.id} does not have"
                )
                once(
                    ("credits", src, sub.customer, svc.id),
                    _at(origin, ("credits", "objective"), msg),
                )
    return problems


def check_mappings(result: ReadResult) -> list[Problem]:
    """Mapping rules compile (regexes, ``{placeholder}`` templates), and a rule naming a fixed
    node names a known service or component."""
    b = result.bundle
    nodes = b.service_by_id.keys() | b.component_by_id.keys()
    problems: list[Problem] = []
    for i, origin in _origins(result, "mappings", len(b.mappings)):
        rule = b.mappings[i]
        found = rule_problems(rule)
        problems.extend(_at(origin, field, message) for field, message in found)
        if any(field == ("node",) for field, _ in found):
            continue
        fixed = all(isinstance(part, str) for part in template_parts(rule.node))
        if fixed and rule.node not in nodes:
            problems.append(_at(origin, ("node",), f"unknown service or component {rule.node!r}"))
    return problems


def _declared(ids: list[str]) -> str:
    if not ids:
        return "no series is declared (section 'series')"
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    return f"declared: {shown}"


def check_series(result: ReadResult) -> list[Problem]:
    """Measurement series are about a known service or component and, when they name one, a
    known customer that takes that service (or a service depending on that component); every
    series an objective names is declared, of a kind that fits the metric, and about the
    agreement's customer and service; and no objective's default series is ambiguous (see
    :mod:`servanda.measure.series_choice`)."""
    b = result.bundle
    problems: list[Problem] = []
    nodes = b.service_by_id.keys() | b.component_by_id.keys()
    subscribed: dict[str, set[str]] = {}
    for sub in b.subscriptions:
        subscribed.setdefault(sub.customer, set()).add(sub.service)
    dependents = functools.cache(b.graph.downstream)
    needed = functools.cache(b.graph.upstream)
    for i, origin in _origins(result, "series", len(b.series)):
        s = b.series[i]
        if s.node not in nodes:
            problems.append(_at(origin, ("node",), f"unknown service or component {s.node!r}"))
        if s.customer is None:
            continue
        party = b.party_by_id.get(s.customer)
        if party is None:
            problems.append(_at(origin, ("customer",), f"unknown party {s.customer!r}"))
        elif PartyRole.CUSTOMER not in party.roles:
            problems.append(_at(origin, ("customer",), f"party {s.customer!r} is not a customer"))
        elif s.node in b.service_by_id:
            if s.node not in subscribed.get(s.customer, set()):
                problems.append(
                    _at(
                        origin,
                        ("customer",),
                        f"customer {s.customer!r} has no subscription to {s.node!r}",
                    )
                )
        elif s.node in b.component_by_id and not (
            dependents(s.node) & subscribed.get(s.customer, set())
        ):
            problems.append(
                _at(
                    origin,
                    ("customer",),
                    f"customer {s.customer!r} takes no service that depends on {s.node!r}",
                )
            )
    declared = sorted(b.series_by_id)
    for i, origin in _origins(result, "agreements", len(b.agreements)):
        a = b.agreements[i]
        for j, o in enumerate(a.objectives):
            if o.series is None:
                continue
            field = ("objectives", j, "series")
            kinds = fitting_kinds(o.metric)
            if not kinds:
                problems.append(
                    _at(
                        origin,
                        field,
                        f"{o.metric.value} is not computed from a measurement series; "
                        "remove 'series'",
                    )
                )
                continue
            named = b.series_by_id.get(o.series)
            if named is None:
                problems.append(
                    _at(origin, field, f"unknown series {o.series!r}; {_declared(declared)}")
                )
                continue
            s = named
            if s.kind not in kinds:
                wanted = " or ".join(k.value for k in kinds)
                problems.append(
                    _at(
                        origin,
                        field,
                        f"series {s.id!r} measures {s.kind.value}; {o.metric.value} is "
                        f"computed from a {wanted} series",
                    )
                )
            if a.customer is not None and s.customer is not None and s.customer != a.customer:
                problems.append(
                    _at(
                        origin,
                        field,
                        f"series {s.id!r} concerns customer {s.customer!r}, not {a.customer!r}",
                    )
                )
            if (
                a.service is not None
                and s.node in nodes
                and s.node != a.service
                and s.node not in needed(a.service)
            ):
                problems.append(
                    _at(
                        origin,
                        field,
                        f"series {s.id!r} is about {s.node!r}, which {a.service!r} does not "
                        "depend on",
                    )
                )
    problems += _ambiguous_defaults(result)
    return problems


def _ambiguous_defaults(result: ReadResult) -> list[Problem]:
    """An objective without ``series`` whose default series is ambiguous, once per objective
    version and subscription, at the objective."""
    b = result.bundle
    # Only a service with two series of one kind for one customer (or for none) can be ambiguous.
    declared = Counter((s.node, s.customer, s.kind) for s in b.series)
    crowded = {node for (node, _, _), count in declared.items() if count > 1}
    if not crowded:
        return []
    where = {a.key: result.origin("agreements", i) for i, a in enumerate(b.agreements)}
    days = sorted({a.effective_from for a in b.agreements})
    problems: list[Problem] = []
    reported: set[tuple[object, ...]] = set()
    for sub in b.subscriptions:
        svc = b.service_by_id.get(sub.service)
        if svc is None or svc.id not in crowded:
            continue
        for day in days:
            try:
                eff = effective_agreement(b.agreements, svc.provider, sub.customer, svc.id, day)
            except AmbiguousAgreement:
                continue  # check_inheritance reports it
            for sourced in eff.objectives:
                o = sourced.value
                if o.series is not None or o.metric not in SERIES_KINDS:
                    continue
                found = series_candidates(b, o, sub.customer, svc.id)
                key = (sourced.source, o.id, sub.customer, svc.id)
                if len(found) < 2 or sourced.source is None or key in reported:
                    continue
                reported.add(key)
                src = sourced.source
                agreement = next(a for a in eff.chain if a.id == src.agreement)
                j = next(k for k, x in enumerate(agreement.objectives) if x.id == o.id)
                names = " or ".join(repr(s.id) for s in found)
                problems.append(
                    _at(
                        where.get((src.agreement, src.effective_from)),
                        ("objectives", j),
                        f"objective {o.id!r} of {sub.customer}/{svc.id} could read series "
                        f"{names}; name one with 'series:'",
                    )
                )
    return problems


CHECKS = (
    check_unique,
    check_references,
    check_versions,
    check_cycles,
    check_inheritance,
    check_mappings,
    check_series,
    check_access,
)


SLICED: tuple[Metric, ...] = (
    Metric.AVAILABILITY,
    Metric.WEIGHTED_AVAILABILITY,
    Metric.GOOD_RATIO,
    Metric.PACKET_LOSS,
)
"""The metrics time-sliced budgeting applies to: availability from outages or good/total
counts, and ratios of counts. The others are measured over the whole period."""


def check_budgeting(result: ReadResult) -> list[Problem]:
    """``budgeting: timeslices`` only on an objective that is measured slice by slice
    (:data:`SLICED`, not MEF 10.3 availability, which has its own intervals), and ``mef``
    parameters only on availability from a loss series: elsewhere they would be ignored, so
    they are refused at their place."""
    b = result.bundle
    problems: list[Problem] = []
    takes = ", ".join(m.value for m in SLICED)
    for i, origin in _origins(result, "agreements", len(b.agreements)):
        for j, o in enumerate(b.agreements[i].objectives):
            named = b.series_by_id.get(o.series) if o.series is not None else None
            if o.mef is not None and (named is None or named.kind is not SeriesKind.LOSS):
                problems.append(
                    _at(
                        origin,
                        ("objectives", j, "mef"),
                        "MEF 10.3 parameters apply to availability measured from a loss "
                        "series: name one with 'series:', or remove 'mef'",
                    )
                )
            if o.budgeting.sliced and (
                o.metric not in SLICED or (named is not None and named.kind is SeriesKind.LOSS)
            ):
                problems.append(
                    _at(
                        origin,
                        ("objectives", j, "budgeting"),
                        f"{o.metric.value} is measured over the whole period and takes no "
                        f"time-sliced budgeting (only {takes} do, and not from a loss series); "
                        f"remove 'budgeting: {o.budgeting.value}'",
                    )
                )
    return problems


def check_accounting(result: ReadResult) -> list[Problem]:
    """A tariff's calendar is declared; a rating profile names a declared tariff, a declared
    service, and a tariff version active when the profile begins."""
    b = result.bundle
    problems: list[Problem] = []
    calendars = b.calendar_by_id
    for i, origin in _origins(result, "tariffs", len(b.tariffs)):
        t = b.tariffs[i]
        if t.calendar is not None and t.calendar not in calendars:
            problems.append(_at(origin, ("calendar",), f"unknown calendar {t.calendar!r}"))
    tariffs = {t.id for t in b.tariffs}
    for i, origin in _origins(result, "rating_profiles", len(b.rating_profiles)):
        p = b.rating_profiles[i]
        if p.tariff not in tariffs:
            known = ", ".join(sorted(tariffs)) or "none declared (section 'tariffs')"
            problems.append(_at(origin, ("tariff",), f"unknown tariff {p.tariff!r}; {known}"))
            continue
        if p.service is not None and p.service not in b.service_by_id:
            problems.append(_at(origin, ("service",), f"unknown service {p.service!r}"))
        first = b.tariff_versions(p.tariff)[0].active_from
        if p.active_from is not None and p.active_from < first:
            problems.append(
                _at(
                    origin,
                    ("active_from",),
                    f"tariff {p.tariff!r} has no version before {first.isoformat()}",
                )
            )
    return problems


def check_all(result: ReadResult) -> list[Problem]:
    """Run every cross-record check. The inheritance check runs even when others found
    problems: it only needs the agreements that were read, and a silent loosening must not
    hide behind an unrelated typo."""
    problems = check_unique(result) + check_references(result) + check_versions(result)
    problems += check_cycles(result)
    problems += check_inheritance(result)
    problems += check_mappings(result)
    problems += check_series(result)
    problems += check_budgeting(result)
    problems += check_access(result)
    problems += check_accounting(result)
    problems += check_billing(result)
    problems += check_notifications(result)
    return problems
