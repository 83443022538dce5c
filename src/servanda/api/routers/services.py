"""``/api/v1/services``: what providers offer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servanda.api.deps import VisibleBundleDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import ServicePublic
from servanda.services import catalog

router = APIRouter(prefix="/services", tags=["services"], responses=ERROR_RESPONSES)


@router.get("", summary="List services", response_model=list[ServicePublic])
def list_services(
    bundle: VisibleBundleDep,
    provider: Annotated[str | None, Query(description="Only services of this provider.")] = None,
) -> list[ServicePublic]:
    """Services by id; a customer token sees the services it takes, without their wiring."""
    return [ServicePublic.of(s) for s in catalog.list_services(bundle, provider)]


@router.get(
    "/{service_id}",
    summary="Get a service",
    response_model=ServicePublic,
    responses={404: {"description": "No such service (or not visible to this token)."}},
)
def get_service(service_id: str, bundle: VisibleBundleDep) -> ServicePublic:
    """One service."""
    return ServicePublic.of(catalog.get_service(bundle, service_id))
