"""The pages beyond the board and incidents: agreements with the level each term came from,
the feedback form, settlement statements (see :mod:`servanda.web.pages` for the others)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from servanda.catalog.model import Component, Service
from servanda.core.access import Action
from servanda.engagement.model import Channel, Feedback
from servanda.services import engagement, settlement
from servanda.services import incidents as cases
from servanda.services.agreements import effective_for, effective_view, render
from servanda.services.board import OPEN
from servanda.services.catalog import visible_bundle
from servanda.web.dependency_map import NodeState
from servanda.web.dependency_map import render as render_map
from servanda.web.pages import CsrfForm, guarded, page
from servanda.web.session import check_csrf, require_login

router = APIRouter(include_in_schema=False)


@router.get("/agreements")
def agreement_index(request: Request) -> HTMLResponse:
    """Every visible customer and the services it takes."""
    principal = require_login(request)
    bundle = visible_bundle(request.app.state.engine, principal)
    taken: dict[str, list[tuple[str, str]]] = {}
    for s in bundle.subscriptions:
        svc = bundle.service_by_id.get(s.service)
        taken.setdefault(s.customer, []).append((s.service, svc.name if svc else s.service))
    customers = [
        (p.id, p.name or p.id, sorted(set(taken.get(p.id, []))))
        for p in sorted(bundle.parties, key=lambda p: p.id)
        if p.id in taken
    ]
    return page(request, "agreements.html.j2", principal, customers=customers, active="agreements")


@router.get("/agreements/{customer}")
def agreement_page(
    request: Request,
    customer: str,
    service: Annotated[str | None, Query(max_length=200)] = None,
    on: Annotated[date | None, Query()] = None,
    format: Annotated[str, Query(pattern="^(terms|document)$")] = "terms",
) -> Response:
    """The effective terms of a customer's agreement (each with the level it came from), or
    the plain-language document."""
    principal = require_login(request)
    day = on or datetime.now(UTC).date()
    bundle = visible_bundle(request.app.state.engine, principal)
    if format == "document":
        text = guarded(request, principal, lambda: render(bundle, customer, service, day, "html"))
        return text if isinstance(text, HTMLResponse) else HTMLResponse(text)
    found = guarded(request, principal, lambda: effective_for(bundle, customer, service, day))
    if isinstance(found, HTMLResponse):
        return found
    view = effective_view(found)
    return page(request, "agreement.html.j2", principal, view=view, customer=customer,
                service=service or "", on=day.isoformat(), active="agreements")  # fmt: skip


@router.get("/map")
def dependency_map(request: Request) -> HTMLResponse:
    """Services and what they depend on, with what open incidents take down now."""
    principal = require_login(request)
    engine = request.app.state.engine
    bundle = visible_bundle(engine, principal)
    found = guarded(request, principal, lambda: cases.list_incidents(
        engine, principal, states=OPEN, limit=1000
    ))  # fmt: skip
    if isinstance(found, HTMLResponse):
        return found
    states: dict[str, NodeState] = {}
    for incident in sorted(found, key=lambda i: i.detected_at):
        for d in incident.degraded:
            states.setdefault(d.node, NodeState(0.0, incident.id, d.reason))
        for n in incident.impacted:
            if n.until is None:
                known = states.get(n.node)
                if known is None or known.fraction < n.fraction:
                    states[n.node] = NodeState(n.fraction, incident.id, n.reason)
    nodes: list[Service | Component] = [*bundle.services, *bundle.components]
    down = sorted((n, s) for n, s in states.items() if s.fraction > 0)
    return page(request, "map.html.j2", principal, svg=Markup(render_map(nodes, states)),
                down=down, active="map")  # fmt: skip


@router.get("/feedback")
def feedback_form(request: Request, sent: bool = False) -> HTMLResponse:
    """Tell the provider how a service is doing (customers: about their own services)."""
    principal = require_login(request)
    bundle = visible_bundle(request.app.state.engine, principal)
    customers = sorted({s.customer for s in bundle.subscriptions})
    names = bundle.service_by_id
    services = sorted({(s.service, names[s.service].name) for s in bundle.subscriptions
                       if s.service in names})  # fmt: skip
    may = principal.can(Action.RECORD_FEEDBACK)
    return page(request, "feedback.html.j2", principal, customers=customers,
                services=services, sent=sent, may=may, active="feedback")  # fmt: skip


@router.post("/feedback")
def feedback_send(
    request: Request,
    csat: Annotated[int | None, Form(ge=1, le=5)] = None,
    nps: Annotated[int | None, Form(ge=0, le=10)] = None,
    service: Annotated[str | None, Form(max_length=200)] = None,
    customer: Annotated[str | None, Form(max_length=200)] = None,
    comment: Annotated[str, Form(max_length=4000)] = "",
    csrf: CsrfForm = None,
) -> Response:
    """Record the feedback (the portal is its channel)."""
    principal = require_login(request)
    check_csrf(request, csrf)
    who = principal.scope or customer or ""
    now = datetime.now(UTC)

    def record() -> object:
        item = Feedback(customer=who, at=now, csat=csat, nps=nps, service=service or None,
                        comment=comment.strip(), channel=Channel.PORTAL)  # fmt: skip
        return engagement.record_feedback(request.app.state.engine, principal, [item], now)

    done = guarded(request, principal, record)
    if isinstance(done, HTMLResponse):
        return done
    return RedirectResponse("/feedback?sent=true", status_code=303)


@router.get("/settlements")
def settlement_list(
    request: Request, period: Annotated[str | None, Query(max_length=7)] = None
) -> HTMLResponse:
    """Settlement statements between parties (customers: those of their own accounts)."""
    principal = require_login(request)
    found = guarded(request, principal, lambda: settlement.statements_of(
        request.app.state.engine, principal, period or None
    ))  # fmt: skip
    if isinstance(found, HTMLResponse):
        return found
    return page(request, "settlements.html.j2", principal, statements=found,
                period=period or "", active="invoices")  # fmt: skip
