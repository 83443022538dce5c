"""``/api/v1/parties``: the provider, customers, content providers and carriers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servanda.api.deps import VisibleBundleDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import PartyPublic
from servanda.catalog.model import PartyRole
from servanda.services import catalog

router = APIRouter(prefix="/parties", tags=["parties"], responses=ERROR_RESPONSES)


@router.get("", summary="List parties", response_model=list[PartyPublic])
def list_parties(
    bundle: VisibleBundleDep,
    role: Annotated[PartyRole | None, Query(description="Only parties playing this role.")] = None,
) -> list[PartyPublic]:
    """Parties by id; a customer token sees itself and its providers."""
    return [PartyPublic.of(p) for p in catalog.list_parties(bundle, role)]


@router.get(
    "/{party_id}",
    summary="Get a party",
    response_model=PartyPublic,
    responses={404: {"description": "No such party (or not visible to this token)."}},
)
def get_party(party_id: str, bundle: VisibleBundleDep) -> PartyPublic:
    """One party."""
    return PartyPublic.of(catalog.get_party(bundle, party_id))
