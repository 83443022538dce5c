"""The pages (see :mod:`servanda.web`): each one a route answering HTML, calling the same
services as the API with the session's principal.

Handlers are plain functions, so they run in the server's thread pool as the services they
call block on the database. Errors a user can meet (no such incident, not allowed, a move the
lifecycle forbids) are pages with the reason, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from servanda import __version__
from servanda.core.access import Action, Principal
from servanda.core.problems import Conflict, InvalidInput, NotFound
from servanda.core.problems import Forbidden as NotAllowed
from servanda.events.incidents import IncidentState
from servanda.events.lifecycle import Move
from servanda.reports.invoice_html import render_invoice_html, render_invoice_pdf
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_pdf import render_sla_pdf
from servanda.services import billing, closing
from servanda.services import incidents as cases
from servanda.services import lifecycle_steps as steps
from servanda.services.board import Status, status_board
from servanda.web.formats import figure, rate, share, when
from servanda.web.session import (
    COOKIE,
    Forbidden,
    LoginRequired,
    check_csrf,
    csrf_of,
    login,
    principal_of,
    require_login,
    safe_next,
    same_origin,
    token_of,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(figure=figure, share=share, rate=rate, when=when)
router = APIRouter(include_in_schema=False)
T = TypeVar("T")

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""What a page may load: this site's script and style sheet, nothing else."""
MOVES = {
    "acknowledge": ("Acknowledge", IncidentState.DETECTED),
    "correct": ("Mark corrected", IncidentState.ACKNOWLEDGED),
    "validate": ("Validate", IncidentState.CORRECTED),
    "close": ("Close", IncidentState.VALIDATED),
}
"""The lifecycle actions a page offers, and the state each one starts from."""
STATUS_LABEL = {
    Status.MET: "met", Status.AT_RISK: "at risk", Status.BREACHED: "breached",
    Status.NO_DATA: "no data yet",
}  # fmt: skip
NoteForm = Annotated[str, Form(max_length=2000)]
CsrfForm = Annotated[str | None, Form()]


def page(
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page rendered from ``templates/name`` with what every page shows."""
    token = token_of(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "principal": principal,
            "csrf": csrf_of(token) if token else "",
            "version": __version__,
            "can_bill": principal is not None and principal.can(Action.BILL),
            "can_act": principal is not None and principal.can(Action.MANAGE_INCIDENTS),
            **context,
        },
        status_code=status_code,
    )
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def problem_page(request: Request, principal: Principal | None, status_code: int,
                 message: str) -> HTMLResponse:  # fmt: skip
    """A page saying what went wrong."""
    return page(request, "problem.html.j2", principal, status_code, message=message)


def guarded(request: Request, principal: Principal, work: Callable[[], T]) -> T | HTMLResponse:
    """``work()``, or a page saying why it could not be done."""
    try:
        return work()
    except NotFound as exc:
        return problem_page(request, principal, 404, str(exc))
    except NotAllowed as exc:
        return problem_page(request, principal, 403, str(exc))
    except Conflict as exc:
        return problem_page(request, principal, 409, str(exc))
    except InvalidInput as exc:
        return problem_page(request, principal, 422, "; ".join(p.message for p in exc.problems))


# -- logging in and out ----------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    """The board when logged in, else the login page."""
    target = "/board" if principal_of(request) is not None else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The login form."""
    return page(request, "login.html.j2", None, next=safe_next(next), failed=False)


@router.post("/login")
def login_form(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the token and keep it in the session cookie."""
    same_origin(request)
    principal = login(request, token)
    if principal is None:
        return page(request, "login.html.j2", None, 401, next=safe_next(next), failed=True)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE, token.strip(), httponly=True, samesite="lax",
        secure=request.url.scheme == "https", path="/",
    )  # fmt: skip
    return response


@router.post("/logout")
def logout(request: Request, csrf: CsrfForm = None) -> Response:
    """End the session."""
    check_csrf(request, csrf)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- the status board ------------------------------------------------------------------------


def _board(request: Request, principal: Principal, month: str | None, status: str | None,
           q: str | None, sort: str) -> dict[str, Any] | HTMLResponse:  # fmt: skip
    found = guarded(request, principal, lambda: status_board(
        request.app.state.engine, principal, datetime.now(UTC), month or None
    ))  # fmt: skip
    if isinstance(found, HTMLResponse):
        return found
    counts = {s: sum(1 for r in found if r.status is s) for s in Status}
    rows = [
        r for r in found
        if (not status or r.status.value == status)
        and (not q or q.lower() in f"{r.customer_name} {r.service_name} {r.objective}".lower())
    ]  # fmt: skip
    order = {"breached": 0, "at_risk": 1, "met": 2, "no_data": 3}
    keys: dict[str, Callable[[Any], Any]] = {
        "status": lambda r: (order[r.status.value], r.customer, r.service or ""),
        "customer": lambda r: (r.customer, r.service or "", r.objective),
        "service": lambda r: (r.service or "", r.customer, r.objective),
        "budget": lambda r: (r.budget_left is None, r.budget_left or 0),
        "burn": lambda r: (r.burn_rate is None, -(r.burn_rate or 0)),
    }
    rows.sort(key=keys.get(sort, keys["status"]))
    return {
        "rows": rows, "counts": counts, "labels": STATUS_LABEL, "month": month or "",
        "status": status or "", "q": q or "", "sort": sort, "statuses": list(Status),
    }  # fmt: skip


@dataclass(frozen=True)
class BoardQuery:
    """The board's filters, as both the page and its refresh read them."""

    month: Annotated[str | None, Query(max_length=7)] = None
    status: Annotated[str | None, Query(max_length=16)] = None
    q: Annotated[str | None, Query(max_length=100)] = None
    sort: Annotated[str, Query(max_length=16)] = "status"


BoardDep = Annotated[BoardQuery, Depends()]


def _board_page(request: Request, template: str, query: BoardQuery) -> HTMLResponse:
    principal = require_login(request)
    found = _board(request, principal, query.month, query.status, query.q, query.sort)
    if isinstance(found, HTMLResponse):
        return found
    return page(request, template, principal, **found)


@router.get("/board")
def board(request: Request, query: BoardDep) -> HTMLResponse:
    """Every customer × service objective: met, at risk or breached (filter, sort; the rows
    refresh in place)."""
    return _board_page(request, "board.html.j2", query)


@router.get("/board/rows")
def board_rows(request: Request, query: BoardDep) -> HTMLResponse:
    """The board's rows alone, for refreshing them in place."""
    return _board_page(request, "board_rows.html.j2", query)


# -- incidents -------------------------------------------------------------------------------


@router.get("/incidents")
def incident_list(
    request: Request, state: Annotated[str | None, Query(max_length=16)] = None
) -> HTMLResponse:
    """Incidents, latest first (open ones by default)."""
    principal = require_login(request)
    states = (
        tuple(IncidentState) if state == "all"
        else (IncidentState(state),) if state in {s.value for s in IncidentState}
        else tuple(s for s in IncidentState if s is not IncidentState.CLOSED)
    )  # fmt: skip
    found = guarded(request, principal, lambda: cases.list_incidents(
        request.app.state.engine, principal, states=states, limit=200
    ))  # fmt: skip
    if isinstance(found, HTMLResponse):
        return found
    return page(request, "incidents.html.j2", principal, incidents=found, state=state or "",
                states=[s.value for s in IncidentState])  # fmt: skip


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: str) -> HTMLResponse:
    """One incident: root cause and symptoms, impact, outages, timeline, actions."""
    principal = require_login(request)
    detail = guarded(request, principal, lambda: cases.get_incident(
        request.app.state.engine, principal, incident_id
    ))  # fmt: skip
    if isinstance(detail, HTMLResponse):
        return detail
    incident = detail.incident
    moves = [
        (name, label) for name, (label, start) in MOVES.items()
        if incident.state is start or (name == "close" and incident.state
                                       is IncidentState.CORRECTED)
    ]  # fmt: skip
    return page(request, "incident.html.j2", principal, incident=incident,
                outages=detail.outages, moves=moves)  # fmt: skip


@router.post("/incidents/{incident_id}/{move}")
def incident_move(
    request: Request, incident_id: str, move: str, note: NoteForm = "", csrf: CsrfForm = None
) -> Response:
    """Acknowledge, correct, validate or close an incident, with a note."""
    principal = require_login(request)
    check_csrf(request, csrf)
    if move not in MOVES:
        return problem_page(request, principal, 404, f"no action {move!r}")
    engines = request.app.state.events  # the API's event engines, one per database
    step = cast(Move, move)
    done = guarded(request, principal, lambda: steps.record_step(
        engines.get(), principal, incident_id, step, datetime.now(UTC), note=note
    ))  # fmt: skip
    if isinstance(done, HTMLResponse):
        return done
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


# -- reports and invoices --------------------------------------------------------------------


@router.get("/reports")
def report_index(request: Request, period: Annotated[str | None, Query(max_length=32)] = None
                 ) -> HTMLResponse:  # fmt: skip
    """The customers whose reports the user may read."""
    principal = require_login(request)
    found = guarded(request, principal, lambda: status_board(
        request.app.state.engine, principal, datetime.now(UTC), period or None
    ))  # fmt: skip
    if isinstance(found, HTMLResponse):
        return found
    customers = sorted({(r.customer, r.customer_name) for r in found})
    return page(request, "reports.html.j2", principal, customers=customers,
                period=period or datetime.now(UTC).strftime("%Y-%m"))  # fmt: skip


@router.get("/reports/{customer}")
def report_page(
    request: Request,
    customer: str,
    period: Annotated[str, Query(max_length=32)],
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",
) -> Response:
    """A customer's SLA report (HTML, or the PDF to download)."""
    principal = require_login(request)
    report = guarded(request, principal, lambda: closing.report_of(
        request.app.state.engine, principal, customer, period, datetime.now(UTC)
    ))  # fmt: skip
    if isinstance(report, HTMLResponse):
        return report
    if format == "pdf":
        return Response(render_sla_pdf(report), media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="sla-{customer}-{period}.pdf"'
        })  # fmt: skip
    return HTMLResponse(render_sla_html(report))


@router.get("/invoices")
def invoice_list(
    request: Request, period: Annotated[str | None, Query(max_length=7)] = None
) -> HTMLResponse:
    """Invoices (customers: their own issued ones)."""
    principal = require_login(request)
    found = guarded(request, principal, lambda: billing.invoices(
        request.app.state.engine, principal, period=period or None
    ))  # fmt: skip
    if isinstance(found, HTMLResponse):
        return found
    return page(request, "invoices.html.j2", principal, invoices=found, period=period or "")


@router.get("/invoices/{invoice_id}")
def invoice_page(
    request: Request,
    invoice_id: int,
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",
) -> Response:
    """One invoice as its document (HTML, or the Factur-X PDF to download)."""
    principal = require_login(request)
    view = guarded(request, principal, lambda: billing.invoice(
        request.app.state.engine, principal, invoice_id
    ))  # fmt: skip
    if isinstance(view, HTMLResponse):
        return view
    data = view.as_dict()
    if format == "pdf":
        name = f"{view.number or f'draft-{view.id}'}.pdf"
        return Response(
            render_invoice_pdf(data),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return HTMLResponse(render_invoice_html(data))


def install(app: Any) -> None:
    """Add the pages, their assets and their error pages to ``app``."""
    from servanda.web.more_pages import router as more

    app.include_router(router)
    app.include_router(more)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        return problem_page(request, principal_of(request), 403, str(exc))

    async def unreadable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith(("/api/", "/healthz")):
            return await request_validation_exception_handler(request, exc)
        said = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'input'}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return problem_page(request, principal_of(request), 422, said)

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(Forbidden, refused)
    app.add_exception_handler(RequestValidationError, unreadable)
