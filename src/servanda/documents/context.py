"""The document's view-model: an effective agreement and its bundle turned into plain text parts.

Templates only lay out what is built here; every sentence and every number is decided in this
module and :mod:`~servanda.documents.wording`, from the same records the engine
evaluates. Each term carries a :class:`Note` saying where it came from when that is not the
level of the document itself, and what inherited term it tightens, restates or overrides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from servanda.agreements.effective import (
    EffectiveAgreement,
    Sourced,
    effective_agreement,
)
from servanda.agreements.metrics import METRICS, Metric, Unit, format_target
from servanda.agreements.model import (
    Actor,
    Agreement,
    ClaimMode,
    CreditSchedule,
    Level,
    Objective,
    PeriodKind,
    PolicyClause,
    SeverityTarget,
)
from servanda.calendars.describe import (
    describe_service_hours,
    describe_window,
    format_date,
    join_words,
)
from servanda.calendars.model import Calendar
from servanda.catalog.model import Service, Subscription
from servanda.declared.bundle import Bundle
from servanda.documents import wording as w
from servanda.documents.view import (
    AgreementDocument,
    ControlView,
    CreditsView,
    HoursView,
    Line,
    Note,
    ObjectiveView,
    PartView,
    PartyView,
    PolicyView,
    ResponsibilitiesView,
    ServiceSection,
    ServiceView,
    SeverityRow,
    TermsView,
    TierRow,
)

T = TypeVar("T")


# --- provenance -----------------------------------------------------------------------------


def _note(
    term: Sourced[T],
    own: Level,
    describe: Callable[[T], str],
    compare: Callable[[T, T], str] | None = None,
) -> Note | None:
    """The note of ``term`` in a document of level ``own``."""
    parts: list[str] = []
    kind = "inherited"
    level = term.level
    if term.source is None:
        return Note("default", "default")
    if level is not None and level is not own:
        parts.append(w.level_name(level))
    old = term.replaces
    if old is not None and old.source is not None:
        verb = compare(term.value, old.value) if compare else "replaces"
        kind = verb
        parts.append(f"{verb} the {w.level_name(old.source.level)} {describe(old.value)}")
    if not parts:
        return None
    return Note("; ".join(parts), kind)


def _compare_objectives(new: Objective, old: Objective) -> str:
    tighter = new.is_tighter_or_equal(old)
    looser = old.is_tighter_or_equal(new)
    if tighter and looser:
        return "restates"
    if tighter:
        return "tightens"
    return "overrides" if new.override else "loosens"


def _compare_severities(new: SeverityTarget, old: SeverityTarget) -> str:
    if (new.response, new.resolution) == (old.response, old.resolution):
        return "restates"
    if new.response <= old.response and new.resolution <= old.resolution:
        return "tightens"
    return "overrides"


def _severity_text(s: SeverityTarget) -> str:
    return f"{w.duration_short(s.response)} / {w.duration_short(s.resolution)}"


# --- parts ----------------------------------------------------------------------------------


def _party(bundle: Bundle, party_id: str, role: str) -> PartyView:
    party = bundle.party_by_id.get(party_id)
    if party is None:
        return PartyView(party_id, party_id, role, None)
    return PartyView(party.id, party.name, role, party.contact)


def _part(bundle: Bundle, agreement: Agreement, on: date) -> PartView:
    versions = bundle.versions(agreement.id)
    earlier = [v for v in versions if v.effective_from < agreement.effective_from]
    later = [v for v in versions if v.effective_from > on]
    notes: list[str] = []
    if earlier:
        dates = join_words([format_date(v.effective_from) for v in earlier])
        many = "versions" if len(earlier) > 1 else "version"
        notes.append(f"replaces the {many} of {dates}")
    if later:
        notes.append(f"a new version takes effect on {format_date(later[0].effective_from)}")
    ends = [d for d in (agreement.effective_to, *(v.effective_from for v in later)) if d]
    return PartView(
        level=w.level_name(agreement.level),
        agreement=agreement.id,
        title=agreement.title or "",
        effective_from=format_date(agreement.effective_from),
        last_day=format_date(min(ends) - timedelta(days=1)) if ends else "",
        history=w.capitalize("; ".join(notes)) if notes else None,
    )


def _subscription(bundle: Bundle, customer: str, service: str, on: date) -> Subscription | None:
    subs = [s for s in bundle.subscriptions_of(customer) if s.service == service]
    current = [
        s for s in subs if (s.start is None or s.start <= on) and (s.end is None or on < s.end)
    ]
    found = current or subs
    return found[0] if found else None


def _service_view(service: Service, sub: Subscription | None) -> ServiceView:
    facts: list[str] = []
    if sub is not None:
        if sub.reference:
            facts.append(f"Subscription reference: {sub.reference}")
        if sub.start:
            facts.append(f"Subscribed since: {format_date(sub.start)}")
        if sub.end:
            facts.append(f"Subscription ends: {format_date(sub.end)} (the day after the last)")
        if sub.monthly_charge is not None:
            facts.append(f"Monthly charge: {w.format_money(sub.monthly_charge, sub.currency)}")
    return ServiceView(service.id, service.name, service.description, tuple(facts))


# --- terms ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a terms section is written for."""

    eff: EffectiveAgreement
    bundle: Bundle
    own: Level
    subject: str
    customer_name: str
    provider_name: str
    subscription: Subscription | None

    @property
    def each_service(self) -> bool:
        """Whether the terms are those common to all services of a customer."""
        return self.own is Level.CUSTOMER

    def calendar(self, calendar_id: str | None) -> Calendar | None:
        return self.bundle.calendar_by_id.get(calendar_id) if calendar_id else None

    def who(self, actor: str) -> str:
        if actor == Actor.PROVIDER:
            return self.provider_name
        if actor == Actor.CUSTOMER:
            return self.customer_name
        if actor == Actor.BOTH:
            return f"both {self.provider_name} and {self.customer_name}"
        party = self.bundle.party_by_id.get(actor)
        return party.name if party else actor


def _calendar_label(cal: Calendar) -> str:
    return f"{cal.name} ({cal.id})" if cal.name else cal.id


def _hours(scope: _Scope) -> HoursView:
    eff = scope.eff
    cal = scope.calendar(eff.calendar.value) if eff.calendar else None
    note = None
    if eff.calendar is not None:
        note = _note(eff.calendar, scope.own, lambda c: f"calendar {c}")
    convention = eff.excluded_time.value
    convention_note = _note(eff.excluded_time, scope.own, lambda e: f"convention “{e.value}”")
    if convention_note is not None and convention_note.kind == "default":
        convention_note = None
    convention_line = Line(w.excluded_time_sentence(convention), convention_note)
    if cal is None:
        if eff.calendar is not None:
            hours = f"The calendar {eff.calendar.value} is not defined."
        elif scope.each_service:
            hours = (
                "No calendar is agreed for all services: the section of each service "
                "gives its service hours."
            )
        else:
            hours = "No calendar is agreed: the service is due at all times."
        return HoursView(
            None,
            hours,
            None,
            (),
            (),
            convention_line,
            w.excluded_time_formula(convention),
            w.excluded_time_legend(convention),
            note,
        )
    maintenance = tuple(
        Line(
            w.capitalize(describe_window(m, cal.timezone)) + ".",
            details=(
                (f"Applies only to {join_words([scope.bundle.node_label(n) for n in m.nodes])}.",)
                if m.nodes
                else ()
            ),
        )
        for m in cal.maintenance
    )
    critical = tuple(
        Line(
            w.capitalize(describe_window(c, cal.timezone)) + ".",
            details=(f"Downtime during {c.title} counts {w.times_words(c.weight)}.",),
        )
        for c in cal.critical
    )
    return HoursView(
        calendar=_calendar_label(cal),
        hours=w.capitalize(describe_service_hours(cal)) + ".",
        timezone=cal.timezone,
        maintenance=maintenance,
        critical=critical,
        convention=convention_line,
        formula=w.excluded_time_formula(convention),
        formula_legend=w.excluded_time_legend(convention),
        note=note,
    )


def _objectives(scope: _Scope) -> tuple[ObjectiveView, ...]:
    out = []
    order = list(Metric)
    for term in sorted(scope.eff.objectives, key=lambda t: order.index(t.value.metric)):
        o = term.value
        cal_id = scope.eff.calendar_of(o)
        cal = scope.calendar(cal_id)
        hours = describe_service_hours(cal) if cal else None
        details = [d for d in (w.mef_sentence(o), w.budgeting_sentence(o), o.description) if d]
        if o.calendar and cal:
            details.insert(0, f"Measured against the calendar {_calendar_label(cal)}.")
        out.append(
            ObjectiveView(
                id=o.id,
                metric=METRICS[o.metric].noun,
                sentence=w.objective_sentence(
                    o,
                    scope.subject,
                    cal,
                    hours,
                    "its service hours" if scope.each_service else "the time",
                ),
                details=tuple(details),
                note=_note(term, scope.own, w.target_text, _compare_objectives),
            )
        )
    return tuple(out)


def _responsibilities(scope: _Scope) -> ResponsibilitiesView | None:
    eff = scope.eff
    roles: list[Line] = []
    for term, sentence in (
        (eff.fault_reporting, "Faults are reported by {}."),
        (
            eff.validates_correction,
            "A correction is validated by {} before the incident is closed.",
        ),
        (eff.pays_credits, "Service credits are paid by {}."),
    ):
        if term is not None:
            roles.append(
                Line(
                    sentence.format(scope.who(term.value)),
                    _note(term, scope.own, lambda v: f"“{scope.who(v)}”"),
                )
            )
    rows = tuple(
        SeverityRow(
            severity=s.value.severity,
            meaning=s.value.description or "",
            response=w.duration_short(s.value.response),
            resolution=w.duration_short(s.value.resolution),
            note=_note(s, scope.own, _severity_text, _compare_severities),
        )
        for s in eff.severities
    )
    if not roles and not rows:
        return None
    return ResponsibilitiesView(tuple(roles), rows)


def _credits(scope: _Scope) -> CreditsView | None:
    term = scope.eff.credits
    if term is None:
        return None
    schedule: CreditSchedule = term.value
    objective = scope.eff.objective(schedule.objective)
    unit = objective.unit if objective else Unit.PERCENT
    monthly = objective is None or objective.period.kind is PeriodKind.MONTH
    charge_words = w.period_charge(objective.period.kind if objective else PeriodKind.MONTH)
    who = scope.customer_name
    if objective is not None:
        noun = METRICS[objective.metric].noun
        named = (
            "" if objective.id == objective.metric.value.replace("_", "-") else (f" {objective.id}")
        )
        intro = (
            f"Service credits depend on the {noun} measured "
            f"{objective.period.describe()} (objective{named}: "
            f"{w.bound_text(objective)}). When it falls below a threshold of the table, "
            f"{who} is credited that share of {charge_words}."
        )
        in_the = w.period_noun(objective.period.kind)
    else:
        noun = schedule.objective
        intro = (
            f"Service credits depend on the measured value of objective "
            f"{schedule.objective}. When it falls below a threshold of the table, "
            f"{who} is credited that share of {charge_words}."
        )
        in_the = "period"
    sub = scope.subscription
    charge = sub.monthly_charge if sub is not None and monthly else None
    tiers = []
    for tier in sorted(schedule.tiers, key=lambda t: t.below, reverse=True):
        credit = min(tier.credit, schedule.cap)
        text = f"{w.plain_number(tier.credit)} % of {charge_words}"
        if credit < tier.credit:
            text += f" (capped at {w.plain_number(schedule.cap)} %)"
        amount = None
        if charge is not None and sub is not None:
            amount = w.format_money(share(charge, credit), sub.currency)
        tiers.append(TierRow(f"below {format_target(tier.below, unit)}", text, amount))
    terms: list[str] = []
    if schedule.cap < 100:
        cap = (
            f"Credits for one period never exceed {w.plain_number(schedule.cap)} % of "
            f"{charge_words}"
        )
        if charge is not None and sub is not None:
            cap += f" ({w.format_money(share(charge, schedule.cap), sub.currency)})"
        terms.append(cap + ".")
    else:
        terms.append(f"Credits for one period never exceed {charge_words}.")
    if schedule.minimum_amount > 0:
        least = (
            w.format_money(schedule.minimum_amount, sub.currency)
            if sub is not None
            else w.plain_number(schedule.minimum_amount)
        )
        terms.append(f"A credit under {least} is not granted.")
    if schedule.claim is ClaimMode.AUTOMATIC:
        terms.append("Credits are granted automatically; nothing needs to be claimed.")
    elif schedule.claim_within is not None:
        terms.append(
            f"Credits are granted on claim: {scope.customer_name} claims them within "
            f"{w.duration_words(schedule.claim_within)} after the end of the period."
        )
    else:
        terms.append(
            f"Credits are granted on claim: {scope.customer_name} claims them; no deadline is set."
        )
    if scope.eff.pays_credits is not None:
        terms.append(f"They are paid by {scope.who(scope.eff.pays_credits.value)}.")
    if sub is not None and sub.monthly_charge is not None:
        money = w.format_money(sub.monthly_charge, sub.currency)
        if charge is not None:
            terms.append(
                f"The monthly charge of {scope.subject} is {money}; the amounts in the "
                "table are exact, before any rounding on the invoice."
            )
        else:
            terms.append(
                f"The monthly charge of {scope.subject} is {money}; credits are a share "
                f"of the charge for the objective's period."
            )
    return CreditsView(
        intro=intro,
        threshold_header=f"{w.capitalize(noun)} in the {in_the}",
        tiers=tuple(tiers),
        terms=tuple(terms),
        note=_note(term, scope.own, lambda s: "schedule"),
    )


def _policies(scope: _Scope) -> tuple[PolicyView, ...]:
    return tuple(_policy(p, scope.own) for p in scope.eff.policies)


def _policy(term: Sourced[PolicyClause], own: Level) -> PolicyView:
    p = term.value
    controls = tuple(
        ControlView(c.id, c.text, c.evidence or "", w.capitalize(c.frequency.describe()))
        for c in p.controls
    )
    return PolicyView(
        p.id, p.title, p.text, controls, _note(term, own, lambda old: f"clause “{old.title}”")
    )


def _terms(scope: _Scope) -> TermsView:
    return TermsView(
        hours=_hours(scope),
        objectives=_objectives(scope),
        responsibilities=_responsibilities(scope),
        credits=_credits(scope),
        policies=_policies(scope),
    )


def _service_terms(scope: _Scope, common: EffectiveAgreement) -> TermsView:
    """A service's terms in a customer document: objectives in full (they are the promise),
    credits when the subscription gives amounts, other sections only when they differ."""
    eff = scope.eff
    same: list[str] = []

    def differs(name: str, mine: object, theirs: object) -> bool:
        if mine == theirs:
            same.append(name)
            return False
        return True

    hours = (
        _hours(scope)
        if differs(
            "service hours",
            (eff.calendar, eff.excluded_time),
            (common.calendar, common.excluded_time),
        )
        else None
    )
    resp = (
        _responsibilities(scope)
        if differs(
            "responsibilities",
            (eff.fault_reporting, eff.validates_correction, eff.pays_credits, eff.severities),
            (
                common.fault_reporting,
                common.validates_correction,
                common.pays_credits,
                common.severities,
            ),
        )
        else None
    )
    has_amounts = scope.subscription is not None and scope.subscription.monthly_charge is not None
    credits = None
    if has_amounts or differs("service credits", eff.credits, common.credits):
        credits = _credits(scope)
    policies = _policies(scope) if differs("policies", eff.policies, common.policies) else ()
    return TermsView(hours, _objectives(scope), resp, credits, policies, tuple(same))


# --- document -------------------------------------------------------------------------------


def _title(eff: EffectiveAgreement, scope_name: str) -> str:
    for agreement in reversed(eff.chain):
        if agreement.title and agreement.level is not Level.CORPORATE:
            return agreement.title
    return f"Service level agreement: {scope_name}"


def _intro(eff: EffectiveAgreement, own: Level) -> tuple[Line, ...]:
    out = []
    for a in eff.chain:
        if a.description:
            note = None if a.level is own else Note(w.level_name(a.level), "inherited")
            out.append(Line(a.description, note))
    return tuple(out)


def _legend(provider: str, customer: str, service: str | None) -> str:
    corporate = f"Terms marked “corporate” apply to every customer of {provider}"
    tail = " A note also says when a term tightens, restates or overrides the one it inherits."
    if service is not None:
        return (
            f"{corporate}; terms marked “customer” apply to all services of {customer}; "
            f"unmarked terms are specific to {service} for {customer}.{tail}"
        )
    return (
        f"{corporate}. Unmarked terms of the first part are agreed with {customer} for all "
        "its services; in the section of a service, terms marked “customer” come from that "
        f"agreement and unmarked ones are specific to the service.{tail}"
    )


def build_document(eff: EffectiveAgreement, bundle: Bundle) -> AgreementDocument:
    """The view-model of the document for ``eff``.

    For a customer-level agreement (``eff.service`` is None) the document also has a section per
    service of the same provider the customer subscribes to on ``eff.on``; their effective
    agreements are computed from ``bundle`` (an :class:`AmbiguousAgreement` propagates).
    """
    provider = _party(bundle, eff.provider, "provider")
    customer = _party(bundle, eff.customer, "customer")
    service = bundle.service_by_id.get(eff.service) if eff.service else None
    own = Level.SERVICE if eff.service else Level.CUSTOMER
    sub = _subscription(bundle, eff.customer, eff.service, eff.on) if eff.service else None
    subject = service.name if service else (eff.service or "Each service")
    scope = _Scope(eff, bundle, own, subject, customer.name, provider.name, sub)
    sections: list[ServiceSection] = []
    if eff.service is None:
        sections = _service_sections(eff, bundle, provider.name, customer.name)
    return AgreementDocument(
        title=_title(eff, service.name if service else customer.name),
        provider=provider,
        customer=customer,
        on=format_date(eff.on),
        on_iso=eff.on.isoformat(),
        service=_service_view(service, sub) if service else None,
        parts=tuple(_part(bundle, a, eff.on) for a in eff.chain),
        intro=_intro(eff, own),
        legend=_legend(provider.name, customer.name, service.name if service else None),
        terms=_terms(scope),
        services=tuple(sections),
    )


def _service_sections(
    common: EffectiveAgreement, bundle: Bundle, provider_name: str, customer_name: str
) -> list[ServiceSection]:
    out = []
    seen: set[str] = set()
    for sub in _current_subscriptions(bundle.subscriptions_of(common.customer), common.on):
        service = bundle.service_by_id.get(sub.service)
        if service is None or service.provider != common.provider or service.id in seen:
            continue
        seen.add(service.id)
        eff = effective_agreement(
            bundle.agreements, common.provider, common.customer, service.id, common.on
        )
        scope = _Scope(eff, bundle, Level.SERVICE, service.name, customer_name, provider_name, sub)
        parts = tuple(_part(bundle, a, eff.on) for a in eff.chain if a.level is Level.SERVICE)
        out.append(
            ServiceSection(_service_view(service, sub), parts, _service_terms(scope, common))
        )
    return out


def _current_subscriptions(subs: Sequence[Subscription], on: date) -> list[Subscription]:
    return [s for s in subs if (s.start is None or s.start <= on) and (s.end is None or on < s.end)]


def share(charge: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``charge``, exact (no rounding)."""
    return charge * percent / 100
