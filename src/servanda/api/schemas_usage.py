"""What the usage endpoints take and answer.

The body of ``POST /api/v1/usage`` is read by the route with the usage parser of
:mod:`servanda.ingest.usage_files` (every problem at the path of its field); the models here
document it. Amounts are exact decimal strings, timestamps RFC 3339.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from servanda.accounting.stored import Rejected
from servanda.accounting.usage import Category
from servanda.api.schemas import PublicModel
from servanda.services.usage import RetrySummary, UsageSummary

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UsageIn(BaseModel):
    """One use of a network or service, as metered."""

    model_config = STRICT

    source: str = Field(description="The collector; with `record_id`, the idempotency key.")
    record_id: str = Field(description="The collector's own id of the record.")
    account: str = Field(description="The account charged by default.")
    category: Category
    start: datetime = Field(description="When the use began, with its offset.")
    service: str | None = None
    subject: str | None = Field(None, description="Who used it (a calling number, a user).")
    destination: str | None = Field(None, description="Where to (a called number, a host).")
    duration: str | None = Field(None, description="Seconds (`95`, `95.5`) or `1m35s`.")
    volume_up: int | None = Field(None, ge=0, description="Octets sent.")
    volume_down: int | None = Field(None, ge=0, description="Octets received.")
    units: int | None = Field(None, ge=0, description="Messages, requests …")
    session_id: str | None = None
    multi_session_id: str | None = None
    corrects: str | None = Field(None, description="The stored version this one corrects.")
    attributes: dict[str, str] | None = None


class UsageBatch(BaseModel):
    """A batch of usage: checked all or nothing, stored once per key."""

    model_config = STRICT

    usage: list[UsageIn]


class UsageSummaryPublic(PublicModel):
    """What a batch did."""

    received: int
    stored: int = Field(description="New versions stored (corrections included).")
    unchanged: int = Field(description="The same record was stored already.")
    corrected: int = Field(description="Corrections of a stored version.")
    rejected: int = Field(description="Refused and quarantined (a conflict with a stored version).")
    rated: int
    not_rated: int = Field(description="Stored, but no tariff rates them: quarantined.")
    charged: dict[str, str] = Field(description="Charges less reversals, per currency.")
    reasons: list[str] = Field(description="Why records were refused or not rated (first 20).")

    @classmethod
    def of(cls, summary: UsageSummary) -> UsageSummaryPublic:
        """The public view."""
        return cls(**summary.as_dict())


class RejectedPublic(PublicModel):
    """One quarantined usage record."""

    id: int
    stage: str = Field(description="`mediation` (not stored) or `rating` (stored, not rated).")
    source: str | None
    record_id: str | None
    usage_id: int | None
    origin: str
    reason: str
    received_at: datetime
    resolved_at: datetime | None
    resolution: str | None

    @classmethod
    def of(cls, r: Rejected) -> RejectedPublic:
        """The public view."""
        return cls(
            id=r.id, stage=r.stage, source=r.source, record_id=r.record_id,
            usage_id=r.usage_id, origin=r.origin, reason=r.reason, received_at=r.received_at,
            resolved_at=r.resolved_at, resolution=r.resolution,
        )  # fmt: skip


class RetryPublic(PublicModel):
    """What a retry of the quarantine did."""

    tried: int
    resolved: int
    still_rejected: int
    reasons: list[str]

    @classmethod
    def of(cls, r: RetrySummary) -> RetryPublic:
        """The public view."""
        return cls(**r.as_dict())
