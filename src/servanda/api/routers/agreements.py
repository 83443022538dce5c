"""Agreements: stored versions (``/api/v1/agreements``) and what is in effect for a customer
(``/api/v1/customers/{customer}/…/agreement``), as data with provenance or as a document.

A customer token reads only its own party's agreements: another customer's answer 404, as
if they did not exist (the bundle it sees is scoped in :mod:`servanda.services.catalog`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from servanda.api.deps import DayDep, VisibleBundleDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import AgreementPublic, AgreementSummaryPublic, EffectiveAgreementPublic
from servanda.services import catalog
from servanda.services.agreements import effective_for, render

router = APIRouter(tags=["agreements"], responses=ERROR_RESPONSES)

DocumentFormat = Literal["md", "html"]

MEDIA_TYPES: dict[str, str] = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
"""Content type of each document format."""

NOT_VISIBLE: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown customer, service or agreement, or not visible to this token."},
    409: {"description": "Two agreements compete for one level on that day."},
}

DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_VISIBLE,
    200: {
        "description": "The agreement as a plain-language document.",
        "content": {
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
}

FormatQuery = Annotated[
    DocumentFormat, Query(alias="format", description="`md` (Markdown) or `html`.")
]


@router.get(
    "/agreements", summary="List agreement versions", response_model=list[AgreementSummaryPublic]
)
def list_agreements(
    bundle: VisibleBundleDep,
    customer: Annotated[
        str | None,
        Query(description="Only agreements that apply to this customer (with corporate ones)."),
    ] = None,
) -> list[AgreementSummaryPublic]:
    """Every stored version, by agreement id and then date."""
    return [AgreementSummaryPublic.of(a) for a in catalog.list_agreements(bundle, customer)]


@router.get(
    "/agreements/{agreement_id}",
    summary="Get an agreement and its history",
    response_model=AgreementPublic,
    responses=NOT_VISIBLE,
)
def get_agreement(agreement_id: str, bundle: VisibleBundleDep) -> AgreementPublic:
    """The agreement with every version, oldest first, each with the terms it states."""
    return AgreementPublic.of_versions(catalog.agreement_versions(bundle, agreement_id))


@router.get(
    "/customers/{customer}/agreement",
    summary="Effective customer agreement",
    response_model=EffectiveAgreementPublic,
    responses=NOT_VISIBLE,
)
def customer_agreement(
    customer: str, bundle: VisibleBundleDep, on: DayDep
) -> EffectiveAgreementPublic:
    """Corporate and customer terms in effect on `on` (today by default), each with the
    level it came from."""
    return EffectiveAgreementPublic.of_effective(effective_for(bundle, customer, None, on))


@router.get(
    "/customers/{customer}/agreement/document",
    summary="Effective customer agreement as a document",
    response_class=Response,
    responses=DOCUMENT_RESPONSES,
)
def customer_agreement_document(
    customer: str, bundle: VisibleBundleDep, on: DayDep, fmt: FormatQuery = "md"
) -> Response:
    """The customer-level agreement in effect on `on` (today by default), in plain language."""
    return Response(render(bundle, customer, None, on, fmt), media_type=MEDIA_TYPES[fmt])


@router.get(
    "/customers/{customer}/services/{service}/agreement",
    summary="Effective service agreement",
    response_model=EffectiveAgreementPublic,
    responses=NOT_VISIBLE,
)
def service_agreement(
    customer: str, service: str, bundle: VisibleBundleDep, on: DayDep
) -> EffectiveAgreementPublic:
    """Corporate, customer and service terms merged, each term with its provenance and the
    inherited term it replaced."""
    return EffectiveAgreementPublic.of_effective(effective_for(bundle, customer, service, on))


@router.get(
    "/customers/{customer}/services/{service}/agreement/document",
    summary="Effective service agreement as a document",
    response_class=Response,
    responses=DOCUMENT_RESPONSES,
)
def service_agreement_document(
    customer: str,
    service: str,
    bundle: VisibleBundleDep,
    on: DayDep,
    fmt: FormatQuery = "md",
) -> Response:
    """The agreement in effect for one service on `on` (today by default), in plain language."""
    return Response(render(bundle, customer, service, on, fmt), media_type=MEDIA_TYPES[fmt])
