"""API tokens: created (shown once), listed, revoked, and turned into principals."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.core.access import Action, Principal, Role
from servanda.core.problems import InvalidInput, NotFound, Problem, ServandaError
from servanda.core.tokens import ApiToken
from servanda.storage.database import transaction
from servanda.storage.tokens import TokenRepository


def create_token(
    engine: Engine,
    principal: Principal,
    role: Role | str,
    party: str | None,
    name: str,
    now: datetime,
    expires_in: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its plaintext (shown once; only its hash is stored), valid for
    ``expires_in`` from ``now`` (None: until revoked).

    Raises :class:`InvalidInput` for a customer token without a party, another role with one,
    an unknown party, or a validity that is not positive.
    """
    with transaction(engine) as session:
        principal.require(Action.MANAGE_TOKENS)
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidInput(
                [Problem("a token must be valid for some time", path=("expires_in",))]
            )
        expires_at = None if expires_in is None else now + expires_in
        try:
            return TokenRepository(session).create(
                role, party, name or f"{role} token", now, expires_at
            )
        except OverflowError:
            raise InvalidInput([Problem("too far in the future", path=("expires_in",))]) from None
        except ValueError as exc:
            raise InvalidInput([Problem(str(exc), path=("party",))]) from exc


def list_tokens(engine: Engine, principal: Principal) -> list[ApiToken]:
    """Every token, oldest first, revoked ones included; never their secrets."""
    with transaction(engine) as session:
        principal.require(Action.MANAGE_TOKENS)
        return TokenRepository(session).list()


class OwnToken(ServandaError):
    """A token cannot revoke itself."""


def revoke_token(engine: Engine, principal: Principal, token_id: str, now: datetime) -> ApiToken:
    """Revoke a token at once (revoking again keeps the first time); :class:`NotFound` if none.

    The token making the request is not revoked by itself (:class:`OwnToken`, 409): an
    administrator would lock itself out in the middle of its own request. Another
    administrator's token, or ``servanda token revoke`` on the server, revokes it."""
    with transaction(engine) as session:
        principal.require(Action.MANAGE_TOKENS)
        if principal.token_id is not None and principal.token_id == token_id:
            raise OwnToken(
                f"token {token_id} is the one making this request: revoke it with another "
                "administrator token or with 'servanda token revoke' on the server"
            )
        tokens = TokenRepository(session)
        tokens.revoke(token_id, now)
        token = tokens.get(token_id)
        if token is None:
            raise NotFound(f"no token {token_id!r}")
        return token


def authenticate(engine: Engine, plaintext: str, now: datetime) -> Principal | None:
    """The principal a token proves, or None (unknown, wrong secret, revoked, expired).

    Checked outside any transaction, in autocommit: the look-up is one statement (and the rare
    last-use update another), so a request pays no BEGIN and COMMIT round trips for it and a
    long request never holds a lock on the token row."""
    with (
        engine.connect() as connection,
        Session(bind=connection.execution_options(isolation_level="AUTOCOMMIT")) as session,
    ):
        token = TokenRepository(session).authenticate(plaintext, now)
    return token.principal() if token is not None else None
