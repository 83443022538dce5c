"""What the API answers: public schemas, separate from domain records and storage tables.

Each ``XPublic`` lists the fields the API promises; :meth:`PublicModel.of` maps a domain record
to it through the record's JSON form (:func:`servanda.core.records.to_jsonable`), so a field
added to a domain record appears in the API only once it is added here. Decimals (targets,
credits, thresholds) are exact and serialised as strings (``"99.95"``, never ``99.95000001``);
durations are strings such as ``"4h"`` or ``"1h30m"``; days are ``YYYY-MM-DD``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from servanda.agreements.effective import EffectiveAgreement
from servanda.agreements.metrics import METRICS, Metric, Unit
from servanda.agreements.model import (
    Agreement,
    Budgeting,
    ClaimMode,
    Comparator,
    ExcludedTime,
    Level,
    PeriodKind,
)
from servanda.catalog.model import PartyRole, RequirementMode
from servanda.core.access import Action, Principal, Role
from servanda.core.records import to_jsonable
from servanda.core.tokens import ApiToken
from servanda.services.agreements import effective_view

T = TypeVar("T")

DURATION_EXAMPLES = "A duration such as `90s`, `30m`, `4h`, `1h30m` or `7d`."


class PublicModel(BaseModel):
    """Base of the API's answers: immutable; fields not declared here are dropped."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def of(cls, record: Any) -> Self:
        """The public view of a domain record."""
        return cls.model_validate(to_jsonable(record))


# --- Catalog ---------------------------------------------------------------------------------


class RequirementPublic(PublicModel):
    """One group of dependencies: all of, any of, or k of the nodes."""

    mode: RequirementMode
    nodes: list[str]
    k: int | None = None


class PartyPublic(PublicModel):
    """An organisation: the provider, a customer, a content provider or a carrier."""

    id: str
    name: str
    roles: list[PartyRole]
    contact: str | None = None
    description: str | None = None


class ServicePublic(PublicModel):
    """A service a provider offers (customers do not see what it depends on)."""

    id: str
    name: str
    provider: str
    calendar: str | None = None
    description: str | None = None
    depends_on: list[RequirementPublic] = []


class ComponentPublic(PublicModel):
    """A building block services depend on."""

    id: str
    name: str | None = None
    kind: str | None = None
    depends_on: list[RequirementPublic] = []
    calendar: str | None = None
    owner: str | None = None
    site: str | None = None
    description: str | None = None


# --- Agreements ------------------------------------------------------------------------------


class PeriodPublic(PublicModel):
    """The period an objective is evaluated over."""

    kind: PeriodKind
    length: str | None = Field(
        default=None, description="For rolling periods. " + DURATION_EXAMPLES
    )


class ObjectivePublic(PublicModel):
    """A service level objective."""

    id: str
    metric: Metric
    target: Decimal = Field(description="In the metric's canonical unit (see `unit`).")
    comparator: Comparator
    period: PeriodPublic
    budgeting: Budgeting
    percentile: Decimal | None = None
    timeslice: str | None = Field(default=None, description=DURATION_EXAMPLES)
    timeslice_target: Decimal | None = None
    series: str | None = None
    severity: str | None = None
    calendar: str | None = None
    description: str | None = None
    override: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unit(self) -> Unit:
        """The unit of ``target``."""
        return METRICS[self.metric].unit


class SeverityTargetPublic(PublicModel):
    """Response and resolution targets for incidents of one severity."""

    severity: str
    response: str = Field(description=DURATION_EXAMPLES)
    resolution: str = Field(description=DURATION_EXAMPLES)
    description: str | None = None


class ResponsibilitiesPublic(PublicModel):
    """Who reports faults, validates corrections and pays credits (None: inherited)."""

    fault_reporting: str | None = None
    validates_correction: str | None = None
    pays_credits: str | None = None
    severities: list[SeverityTargetPublic] = []


class CreditTierPublic(PublicModel):
    """Below ``below``, ``credit`` percent of the period's charge is credited."""

    below: Decimal
    credit: Decimal


class CreditSchedulePublic(PublicModel):
    """Service credits owed when an objective is missed."""

    tiers: list[CreditTierPublic]
    objective: str
    cap: Decimal
    claim: ClaimMode
    claim_within: str | None = Field(default=None, description=DURATION_EXAMPLES)
    minimum_amount: Decimal = Field(
        default=Decimal(0), description="Credits under this amount are not granted."
    )


class ControlPublic(PublicModel):
    """A measurable control of a policy clause."""

    id: str
    text: str
    evidence: str | None = None
    frequency: PeriodPublic


class PolicyClausePublic(PublicModel):
    """A clause of corporate policy."""

    id: str
    title: str
    text: str
    controls: list[ControlPublic] = []


class AgreementSummaryPublic(PublicModel):
    """One version of an agreement, without its terms."""

    id: str
    level: Level
    provider: str
    customer: str | None = None
    service: str | None = None
    title: str | None = None
    effective_from: date
    effective_to: date | None = None


class AgreementVersionPublic(AgreementSummaryPublic):
    """One version of an agreement with the terms it states (not what it inherits)."""

    calendar: str | None = None
    excluded_time: ExcludedTime | None = None
    objectives: list[ObjectivePublic] = []
    responsibilities: ResponsibilitiesPublic
    credits: CreditSchedulePublic | None = None
    policies: list[PolicyClausePublic] = []
    description: str | None = None


class AgreementPublic(PublicModel):
    """An agreement and its history: every version, oldest first."""

    id: str
    level: Level
    provider: str
    customer: str | None = None
    service: str | None = None
    title: str | None = Field(default=None, description="The title of the latest version.")
    versions: list[AgreementVersionPublic]

    @classmethod
    def of_versions(cls, versions: Sequence[Agreement]) -> AgreementPublic:
        """The agreement whose versions (oldest first, at least one) are ``versions``."""
        latest = versions[-1]
        return cls(
            id=latest.id,
            level=latest.level,
            provider=latest.provider,
            customer=latest.customer,
            service=latest.service,
            title=latest.title,
            versions=[AgreementVersionPublic.of(v) for v in versions],
        )


# --- Effective agreements --------------------------------------------------------------------


class SourcePublic(PublicModel):
    """The agreement version a term comes from."""

    level: Level
    agreement: str
    effective_from: date


class SourcedTerm(PublicModel, Generic[T]):
    """A term, the agreement version it comes from, and the inherited term it replaced."""

    value: T
    source: SourcePublic | None = Field(description="None for a built-in default.")
    replaces: SourcedTerm[T] | None = None


class ChainLinkPublic(PublicModel):
    """One agreement version merged into the effective agreement."""

    id: str
    level: Level
    effective_from: date
    title: str | None = None


class EffectiveResponsibilitiesPublic(PublicModel):
    """Responsibilities in effect, each with its source."""

    fault_reporting: SourcedTerm[str] | None = None
    validates_correction: SourcedTerm[str] | None = None
    pays_credits: SourcedTerm[str] | None = None
    severities: list[SourcedTerm[SeverityTargetPublic]] = []


class EffectiveAgreementPublic(PublicModel):
    """The terms that apply to a customer (and service) on a day, each with its provenance."""

    provider: str
    customer: str
    service: str | None = None
    on: date
    agreements: list[ChainLinkPublic] = Field(description="The versions merged, widest first.")
    calendar: SourcedTerm[str] | None = None
    excluded_time: SourcedTerm[ExcludedTime]
    objectives: list[SourcedTerm[ObjectivePublic]] = []
    responsibilities: EffectiveResponsibilitiesPublic
    credits: SourcedTerm[CreditSchedulePublic] | None = None
    policies: list[SourcedTerm[PolicyClausePublic]] = []

    @classmethod
    def of_effective(cls, effective: EffectiveAgreement) -> EffectiveAgreementPublic:
        """The public view of an effective agreement."""
        return cls.model_validate(effective_view(effective))


# --- Tokens and the caller -------------------------------------------------------------------


class MePublic(PublicModel):
    """Who the token is."""

    role: Role
    party: str | None = Field(description="The party a customer token is bound to.")
    token_id: str | None = None
    permissions: list[Action]

    @classmethod
    def of_principal(cls, principal: Principal) -> MePublic:
        """The caller's identity and what its role allows."""
        return cls(
            role=principal.role,
            party=principal.party,
            token_id=principal.token_id,
            permissions=[a for a in Action if principal.can(a)],
        )


class TokenCreate(BaseModel):
    """A new token: its role, the party of a customer token, and what it is for."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    party: str | None = Field(default=None, description="Required for customer tokens only.")
    name: str = Field(default="", max_length=200, description="What the token is for.")
    expires_in: str | None = Field(
        default=None,
        max_length=40,
        description=f"How long it is valid. {DURATION_EXAMPLES} Without: until revoked.",
        examples=["90d"],
    )


class TokenPublic(PublicModel):
    """A token, without its secret."""

    id: str
    name: str
    role: Role
    party: str | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None

    @classmethod
    def of_token(cls, token: ApiToken) -> Self:
        """The public view of a stored token."""
        return cls(
            id=token.id,
            name=token.name,
            role=token.role,
            party=token.party_id,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            expires_at=token.expires_at,
        )


class TokenCreated(TokenPublic):
    """A token just created, with its plaintext: shown this once, never again."""

    token: str = Field(description="`svd_<id>_<secret>`: keep it now, it is not shown again.")

    @classmethod
    def of_created(cls, token: ApiToken, plaintext: str) -> TokenCreated:
        """The new token and its plaintext."""
        return cls(**TokenPublic.of_token(token).model_dump(), token=plaintext)


class HealthPublic(BaseModel):
    """Whether the API and its database answer."""

    status: Literal["ok", "unavailable"]
    version: str
