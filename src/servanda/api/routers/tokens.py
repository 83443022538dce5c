"""``/api/v1/tokens``: create, list and revoke API tokens (admin only).

The plaintext of a token is in the answer to its creation and nowhere else: only its hash is
stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from servanda.api.deps import ClockDep, EngineDep, PrincipalDep, require
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import TokenCreate, TokenCreated, TokenPublic
from servanda.core.access import Action
from servanda.core.durations import parse_duration
from servanda.core.problems import InvalidInput, Problem
from servanda.services import tokens

router = APIRouter(
    prefix="/tokens",
    tags=["tokens"],
    dependencies=[Depends(require(Action.MANAGE_TOKENS))],
    responses=ERROR_RESPONSES,
)


@router.post(
    "",
    summary="Create a token",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses={422: {"description": "Bad role/party combination or unknown party."}},
)
def create_token(
    body: TokenCreate, engine: EngineDep, clock: ClockDep, principal: PrincipalDep
) -> TokenCreated:
    """A new token; its plaintext is in this answer only. Customer tokens name their party;
    `expires_in` (e.g. `90d`) makes it stop working after that long."""
    expires_in = None
    if body.expires_in is not None:
        try:
            expires_in = parse_duration(body.expires_in)
        except ValueError as exc:
            raise InvalidInput([Problem(str(exc), path=("body", "expires_in"))]) from None
    token, plaintext = tokens.create_token(
        engine, principal, body.role, body.party, body.name or "", clock.now(), expires_in
    )
    return TokenCreated.of_created(token, plaintext)


@router.get("", summary="List tokens", response_model=list[TokenPublic])
def list_tokens(engine: EngineDep, principal: PrincipalDep) -> list[TokenPublic]:
    """Every token, oldest first, revoked ones included; never their secrets."""
    return [TokenPublic.of_token(t) for t in tokens.list_tokens(engine, principal)]


@router.delete(
    "/{token_id}",
    summary="Revoke a token",
    response_model=TokenPublic,
    responses={
        404: {"description": "No such token."},
        409: {"description": "The token making the request cannot revoke itself."},
    },
)
def revoke_token(
    token_id: str, engine: EngineDep, clock: ClockDep, principal: PrincipalDep
) -> TokenPublic:
    """Revoke a token at once; revoking it again keeps the first revocation time. The token
    making the request cannot revoke itself (409): use another administrator token."""
    return TokenPublic.of_token(tokens.revoke_token(engine, principal, token_id, clock.now()))
