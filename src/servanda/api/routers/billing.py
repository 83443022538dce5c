"""``/api/v1/bill``, ``/api/v1/invoices`` and ``/api/v1/settlements``: the month's bill run,
the life of invoices (issue, pay, void with a credit note), and settlement between parties.
Billing staff and admins run and change them; customers read their own issued invoices and
the statements of their own accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from servanda.api.deps import ClockDep, EngineDep, require
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.schemas import PublicModel
from servanda.core.access import Action, Principal
from servanda.reports.invoice_text import invoice_text
from servanda.reports.statement_text import statement_text
from servanda.services import billing, settlement

router = APIRouter(tags=["billing"], responses=ERROR_RESPONSES)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such invoice."}}
TEXT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            t: {} for t in ("text/plain", "text/html", "application/pdf", "application/xml")
        }
    }
}
CHANGED: dict[int | str, dict[str, Any]] = NOT_FOUND | {
    409: {"description": "The invoice is not in a state that allows it."}
}

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
BillingStaff = Annotated[Principal, Depends(require(Action.BILL))]
ReaderDep = Annotated[Principal, Depends(require(Action.READ))]
InvoiceId = Annotated[int, Path(ge=1, le=2**62, description="The invoice's id.")]


class BillRequest(BaseModel):
    """A month to bill."""

    model_config = STRICT

    period: Period
    issue: bool = Field(False, description="Issue the drafts made (numbered).")


class IssueRequest(BaseModel):
    """Drafts to issue."""

    model_config = STRICT

    period: Period
    ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        None, max_length=100_000, description="Only these drafts."
    )


class VoidRequest(BaseModel):
    """Why an invoice is cancelled."""

    model_config = STRICT

    reason: str = Field(min_length=1, max_length=500)


class SettleRequest(BaseModel):
    """A month to settle."""

    model_config = STRICT

    period: Period


class BillRunPublic(PublicModel):
    """What a bill run did."""

    period: str
    drafts: list[int]
    replaced: int
    skipped: list[str]
    problems: list[str]
    issued: list[str] = Field(default_factory=list)


class InvoiceLinePublic(PublicModel):
    """An invoice line."""

    position: int
    kind: str
    description: str
    service: str | None
    quantity: Decimal | None
    unit: str | None
    amount: Decimal
    tax_category: str | None
    tax_rate: Decimal
    detail: dict[str, Any]


class InvoicePublic(PublicModel):
    """An invoice or credit note."""

    id: int
    kind: str
    state: str
    number: str | None
    account: str
    issuer: str
    period: str
    currency: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    prepaid: Decimal
    due: Decimal
    issue_date: date | None
    due_date: date | None
    corrects: int | None
    seller: dict[str, Any] | None = None
    buyer: dict[str, Any] | None = None
    taxes: list[dict[str, Any]] = Field(default_factory=list)
    lines: list[InvoiceLinePublic] = Field(default_factory=list)


class StatementPublic(PublicModel):
    """A settlement statement."""

    id: int
    period: str
    first: str
    second: str
    currency: str
    first_owes: Decimal
    second_owes: Decimal
    net: Decimal
    payer: str | None
    payee: str | None
    self_billing: bool
    lines: list[dict[str, Any]]


@router.post("/bill", summary="Bill a month", response_model=BillRunPublic)
async def post_bill(
    body: BillRequest, principal: BillingStaff, clock: ClockDep, engine: EngineDep
) -> BillRunPublic:
    """Make the month's draft invoices (again: drafts are made afresh, issued invoices never
    change); with `issue`, number and issue them."""
    now = clock.now()
    run = await run_in_threadpool(billing.bill, engine, principal, body.period, now)
    issued: list[str] = []
    if body.issue:
        issued = await run_in_threadpool(
            billing.issue, engine, principal, body.period, now, run.drafts
        )
    return BillRunPublic(**run.as_dict(), issued=issued)


@router.get("/invoices", summary="Invoices", response_model=list[InvoicePublic])
async def get_invoices(
    principal: ReaderDep,
    engine: EngineDep,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    account: Annotated[str | None, Query(max_length=200)] = None,
    state: Literal["draft", "issued", "paid", "void"] | None = None,
) -> list[InvoicePublic]:
    """Invoices, newest month first (customers: their own issued ones)."""
    found = await run_in_threadpool(
        billing.invoices, engine, principal, period=period, account=account, state=state
    )
    return [InvoicePublic(**i.as_dict()) for i in found]


@router.get(
    "/invoices/{invoice_id}",
    summary="One invoice",
    response_model=InvoicePublic,
    responses=TEXT | NOT_FOUND,
)
async def get_invoice(
    invoice_id: InvoiceId,
    principal: ReaderDep,
    engine: EngineDep,
    format: Literal["json", "text"] = "json",
) -> InvoicePublic | Response:
    """An invoice with its lines, taxes and totals, as JSON or text."""
    found = await run_in_threadpool(billing.invoice, engine, principal, invoice_id)
    if format == "text":
        return PlainTextResponse(invoice_text(found.as_dict()))
    return InvoicePublic(**found.as_dict())


@router.post("/invoices/issue", summary="Issue drafts", response_model=list[str])
async def post_issue(
    body: IssueRequest, principal: BillingStaff, clock: ClockDep, engine: EngineDep
) -> list[str]:
    """Issue the month's drafts (or those named): their numbers, gapless per year."""
    return await run_in_threadpool(
        billing.issue, engine, principal, body.period, clock.now(), body.ids
    )


@router.post("/invoices/{invoice_id}/pay", summary="Mark paid", status_code=204,
             responses=CHANGED)  # fmt: skip
async def post_pay(
    invoice_id: InvoiceId, principal: BillingStaff, clock: ClockDep, engine: EngineDep
) -> Response:
    """Record that an issued invoice is paid."""
    await run_in_threadpool(billing.mark_paid, engine, principal, invoice_id, clock.now())
    return Response(status_code=204)


@router.post("/invoices/{invoice_id}/void", summary="Cancel with a credit note",
             response_model=InvoicePublic, responses=CHANGED)  # fmt: skip
async def post_void(
    invoice_id: InvoiceId, body: VoidRequest, principal: BillingStaff, clock: ClockDep,
    engine: EngineDep,
) -> InvoicePublic:  # fmt: skip
    """Cancel an issued invoice: the credit note; the next bill run of its month makes the
    corrected invoice."""
    note = await run_in_threadpool(
        billing.void, engine, principal, invoice_id, body.reason, clock.now()
    )
    return InvoicePublic(**note.as_dict())


@router.post("/settle", summary="Settle a month", response_model=list[StatementPublic])
async def post_settle(
    body: SettleRequest, principal: BillingStaff, clock: ClockDep, engine: EngineDep
) -> list[StatementPublic]:
    """Net the month's revenue shares and carrier costs into statements (nothing twice)."""
    made = set(
        await run_in_threadpool(settlement.settle, engine, principal, body.period, clock.now())
    )
    found = await run_in_threadpool(settlement.statements_of, engine, principal, body.period)
    return [StatementPublic(**s.as_dict()) for s in found if s.id in made]


@router.get("/settlements", summary="Settlement statements",
            response_model=list[StatementPublic])  # fmt: skip
async def get_settlements(
    principal: ReaderDep,
    engine: EngineDep,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> list[StatementPublic]:
    """Statements (customers: those of their own accounts)."""
    found = await run_in_threadpool(settlement.statements_of, engine, principal, period)
    return [StatementPublic(**s.as_dict()) for s in found]


StatementId = Annotated[int, Path(ge=1, le=2**62, description="The statement's id.")]


@router.get(
    "/settlements/{statement_id}",
    summary="One settlement statement",
    response_model=StatementPublic,
    responses={200: {"content": {"text/plain": {}}}, 404: {"description": "No such statement."}},
)
async def get_settlement(
    statement_id: StatementId,
    principal: ReaderDep,
    engine: EngineDep,
    format: Literal["json", "text"] = "json",
) -> StatementPublic | Response:
    """A statement: what each account owes the other, by role and rule, and the net."""
    found = await run_in_threadpool(settlement.statement, engine, principal, statement_id)
    if format == "text":
        return PlainTextResponse(statement_text(found.as_dict()))
    return StatementPublic(**found.as_dict())
