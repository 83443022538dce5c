"""API tokens as the rest of Servanda sees them: the record (never its secret) and the
plaintext format ``svd_<id>_<secret>`` (the id finds the token, the secret proves it).
Storing them is :mod:`servanda.storage.tokens`' job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servanda.core.access import Principal, Role

TOKEN_PREFIX = "svd"
"""First part of every token, so leaked tokens are easy to recognise and scan for."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token, without its secret."""

    id: str
    """Public part of the token, shown in listings and logs."""
    name: str
    """What the token is for, e.g. ``alertmanager on mon-1``."""
    role: Role
    """What it may do."""
    party_id: str | None
    """The party a customer token belongs to; None for the other roles."""
    created_at: datetime
    """When it was created (UTC)."""
    revoked_at: datetime | None = None
    """When it was revoked, if it was."""
    last_used_at: datetime | None = None
    """When it last authenticated a request."""
    expires_at: datetime | None = None
    """When it stops authenticating anything (None: never)."""

    @property
    def revoked(self) -> bool:
        """Whether the token was revoked."""
        return self.revoked_at is not None

    def principal(self) -> Principal:
        """Who a request carrying this token acts as."""
        return Principal(role=self.role, party=self.party_id, token_id=self.id)


def parse_token(plaintext: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a plaintext token, or None when it is not shaped like one."""
    prefix, sep, rest = plaintext.strip().partition("_")
    token_id, sep2, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not sep or not sep2 or not token_id or not secret:
        return None
    return token_id, secret
