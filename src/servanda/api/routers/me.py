"""``GET /api/v1/me``: the role and party of the token in use."""

from __future__ import annotations

from fastapi import APIRouter

from servanda.api.deps import PrincipalDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import MePublic

router = APIRouter(prefix="/me", tags=["me"], responses=ERROR_RESPONSES)


@router.get("", summary="Who am I", response_model=MePublic)
def me(principal: PrincipalDep) -> MePublic:
    """The token's role, its party (customer tokens) and what the role allows."""
    return MePublic.of_principal(principal)
