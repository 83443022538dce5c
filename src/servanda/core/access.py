"""Who may do what: roles, the principal of a request, and the permission checks.

Roles: ``admin`` (everything), ``operator`` (reads everything; runs events and incidents),
``billing`` (reads everything; runs rating, billing and credits), ``customer`` (reads only its own
party's data, read-only), ``ingest`` (writes events and usage, reads nothing). The command line
acts as the local administrator; the API acts as the holder of a bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from servanda.core.problems import Forbidden


class Role(StrEnum):
    """What a token may do."""

    ADMIN = "admin"
    OPERATOR = "operator"
    BILLING = "billing"
    CUSTOMER = "customer"
    INGEST = "ingest"


class Action(StrEnum):
    """Things a principal may be allowed to do."""

    READ = "read"
    """Read catalog, agreements and results (customers: only their own)."""
    WRITE_CONFIG = "write_config"
    """Load configuration."""
    MANAGE_TOKENS = "manage_tokens"
    """Create, list and revoke tokens."""
    INGEST_EVENTS = "ingest_events"
    """Send monitoring events."""
    INGEST_USAGE = "ingest_usage"
    """Send usage records and measurements."""
    MANAGE_INCIDENTS = "manage_incidents"
    """Acknowledge, correct, validate and close incidents."""
    RECORD_FEEDBACK = "record_feedback"
    """Record customer feedback (customers: their own) and review notes."""
    ATTEST = "attest"
    """Attest that policy controls were met."""
    CLOSE_PERIODS = "close_periods"
    """Close a reporting period (its results and credits become final) and reopen one."""
    READ_AUDIT = "read_audit"
    """Read the audit log of writes (administrators)."""
    BILL = "bill"
    """Run billing; issue, pay and void invoices; settle between parties."""


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: frozenset(
        {
            Action.READ,
            Action.INGEST_EVENTS,
            Action.MANAGE_INCIDENTS,
            Action.RECORD_FEEDBACK,
            Action.ATTEST,
            Action.CLOSE_PERIODS,
        }
    ),
    Role.BILLING: frozenset({Action.READ, Action.INGEST_USAGE, Action.CLOSE_PERIODS, Action.BILL}),
    Role.CUSTOMER: frozenset({Action.READ, Action.RECORD_FEEDBACK}),
    Role.INGEST: frozenset({Action.INGEST_EVENTS, Action.INGEST_USAGE}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking."""

    role: Role
    party: str | None = None
    """The customer party a customer principal is bound to."""
    token_id: str | None = None
    """The token used, for audit trails."""

    def __post_init__(self) -> None:
        if self.role is Role.CUSTOMER and not self.party:
            raise ValueError("a customer principal is bound to a party")

    @property
    def scope(self) -> str | None:
        """The party whose data alone this principal may read, or None for all."""
        return self.party if self.role is Role.CUSTOMER else None

    def can(self, action: Action) -> bool:
        """Whether the role allows ``action``."""
        return action in PERMISSIONS[self.role]

    def require(self, action: Action) -> None:
        """Raise :class:`Forbidden` unless the role allows ``action``."""
        if not self.can(action):
            raise Forbidden(f"role {self.role} may not {action.value.replace('_', ' ')}")

    def require_party(self, party: str) -> None:
        """Raise :class:`Forbidden` when a customer principal asks for another party's data."""
        if self.scope is not None and self.scope != party:
            raise Forbidden("a customer token reads only its own party's data")


LOCAL_ADMIN = Principal(Role.ADMIN)
"""The command line's principal: whoever can open the database administers it."""
