"""API tokens: created (shown once), listed, revoked, and turned into principals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from servanda.core.access import Action, Principal, Role
from servanda.core.problems import InvalidInput, NotFound, Problem
from servanda.storage.tokens import ApiToken, TokenRepository


def create_token(
    session: Session,
    principal: Principal,
    role: Role | str,
    party: str | None,
    name: str,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new token and its plaintext (shown once; only its hash is stored).

    Raises :class:`InvalidInput` for a customer token without a party, another role with one, or
    an unknown party.
    """
    principal.require(Action.MANAGE_TOKENS)
    try:
        return TokenRepository(session).create(role, party, name or f"{role} token", now)
    except ValueError as exc:
        raise InvalidInput([Problem(str(exc), path=("party",))]) from exc


def list_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    """Every token, oldest first, revoked ones included; never their secrets."""
    principal.require(Action.MANAGE_TOKENS)
    return TokenRepository(session).list()


def revoke_token(session: Session, principal: Principal, token_id: str, now: datetime) -> ApiToken:
    """Revoke a token at once (revoking again keeps the first time); :class:`NotFound` if none."""
    principal.require(Action.MANAGE_TOKENS)
    tokens = TokenRepository(session)
    tokens.revoke(token_id, now)
    token = tokens.get(token_id)
    if token is None:
        raise NotFound(f"no token {token_id!r}")
    return token


def authenticate(session: Session, plaintext: str, now: datetime) -> Principal | None:
    """The principal a token proves, or None (unknown, wrong secret, revoked)."""
    token = TokenRepository(session).authenticate(plaintext, now)
    return token.principal() if token is not None else None
