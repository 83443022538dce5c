"""``/api/v1/components``: the building blocks services depend on.

Customers do not see the provider's wiring: for a customer token the list is empty (200 with
``[]``, as :func:`servanda.services.catalog.list_components` answers), not 403.
"""

from __future__ import annotations

from fastapi import APIRouter

from servanda.api.deps import VisibleBundleDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import ComponentPublic
from servanda.services import catalog

router = APIRouter(prefix="/components", tags=["components"], responses=ERROR_RESPONSES)


@router.get("", summary="List components", response_model=list[ComponentPublic])
def list_components(bundle: VisibleBundleDep) -> list[ComponentPublic]:
    """Components by id; empty for customer tokens."""
    return [ComponentPublic.of(c) for c in catalog.list_components(bundle)]
