"""The records of an agreement document's view-model: sentences, notes and table rows.

Built by :mod:`~servanda.documents.context`, laid out by the templates. Every field is
final text (or a tuple of them); templates never compute wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from servanda.calendars.describe import join_words


@dataclass(frozen=True, slots=True)
class Note:
    """Where a term came from, e.g. ``corporate`` or ``tightens the corporate 99.5 %``."""

    text: str
    kind: str
    """``inherited``, ``tightens``, ``restates``, ``overrides``, ``loosens``, ``replaces``
    or ``default``: a hint for styling."""


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence of the document with its provenance note and explanatory sentences."""

    text: str
    note: Note | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PartyView:
    """A party to the agreement."""

    id: str
    name: str
    role: str
    contact: str | None


@dataclass(frozen=True, slots=True)
class ServiceView:
    """The service an agreement covers, and the customer's subscription to it."""

    id: str
    name: str
    description: str | None
    subscription: tuple[str, ...]
    """Facts of the subscription: reference, start, monthly charge."""


@dataclass(frozen=True, slots=True)
class PartView:
    """One agreement version merged into the document."""

    level: str
    agreement: str
    title: str
    effective_from: str
    last_day: str
    """The last day this version applies (before its end or the next version), or ``""``."""
    history: str | None
    """Which versions came before or come after, in words."""


@dataclass(frozen=True, slots=True)
class HoursView:
    """Service hours, holidays, maintenance and critical windows, maintenance convention."""

    calendar: str | None
    """The calendar's name (and id), or None when no calendar is agreed."""
    hours: str
    """The service hours in words, holidays included."""
    timezone: str | None
    maintenance: tuple[Line, ...]
    critical: tuple[Line, ...]
    convention: Line
    formula: str
    formula_legend: str
    note: Note | None


@dataclass(frozen=True, slots=True)
class ObjectiveView:
    """One service level objective as a sentence."""

    id: str
    metric: str
    sentence: str
    details: tuple[str, ...]
    note: Note | None


@dataclass(frozen=True, slots=True)
class SeverityRow:
    """Response and resolution targets of one severity."""

    severity: str
    meaning: str
    response: str
    resolution: str
    note: Note | None


@dataclass(frozen=True, slots=True)
class ResponsibilitiesView:
    """Who reports, validates and pays; targets per severity."""

    roles: tuple[Line, ...]
    severities: tuple[SeverityRow, ...]

    @property
    def severity_notes(self) -> bool:
        """Whether any severity row has a note (the table then shows a column for them)."""
        return any(r.note for r in self.severities)


@dataclass(frozen=True, slots=True)
class TierRow:
    """One service-credit tier."""

    threshold: str
    credit: str
    amount: str | None


@dataclass(frozen=True, slots=True)
class CreditsView:
    """The service-credit schedule in words and as a table."""

    intro: str
    threshold_header: str
    tiers: tuple[TierRow, ...]
    terms: tuple[str, ...]
    """Cap, claim, payer and amount basis sentences."""
    note: Note | None

    @property
    def amounts(self) -> bool:
        """Whether the tier table shows amounts."""
        return any(t.amount for t in self.tiers)


@dataclass(frozen=True, slots=True)
class ControlView:
    """A measurable control of a policy clause."""

    id: str
    text: str
    evidence: str
    frequency: str


@dataclass(frozen=True, slots=True)
class PolicyView:
    """A policy clause with its controls."""

    id: str
    title: str
    text: str
    controls: tuple[ControlView, ...]
    note: Note | None


@dataclass(frozen=True, slots=True)
class TermsView:
    """The terms of an effective agreement, section by section (None: not shown)."""

    hours: HoursView | None
    objectives: tuple[ObjectiveView, ...]
    responsibilities: ResponsibilitiesView | None
    credits: CreditsView | None
    policies: tuple[PolicyView, ...]
    as_above: tuple[str, ...] = ()
    """Sections left out because they are the same as in the terms above."""

    @property
    def as_above_text(self) -> str:
        """``The service hours and policies are the same as above.``"""
        if not self.as_above:
            return ""
        return f"The {join_words(list(self.as_above))} are the same as above."


@dataclass(frozen=True, slots=True)
class ServiceSection:
    """In a customer-level document, one subscribed service and what applies to it."""

    service: ServiceView
    parts: tuple[PartView, ...]
    terms: TermsView


@dataclass(frozen=True, slots=True)
class AgreementDocument:
    """Everything a template needs to lay out one agreement document."""

    title: str
    provider: PartyView
    customer: PartyView
    on: str
    """The day the document describes, in words."""
    on_iso: str
    """The same day as ``YYYY-MM-DD``."""
    service: ServiceView | None
    """The service, for a service-level document."""
    parts: tuple[PartView, ...]
    intro: tuple[Line, ...]
    legend: str
    terms: TermsView
    services: tuple[ServiceSection, ...]
    """For a customer-level document: a section per subscribed service."""

    @property
    def service_level(self) -> bool:
        """Whether the document covers one service."""
        return self.service is not None
