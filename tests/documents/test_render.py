"""The agreement document's view-model and layout, on small bundles built in the test."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from servanda.agreements.effective import effective_agreement
from servanda.agreements.model import Agreement
from servanda.calendars.model import Calendar
from servanda.catalog.model import Party, Service, Subscription
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.documents import build_document, md_cell, render_agreement

ON = date(2025, 6, 1)


def make_bundle(
    *agreements: dict[str, Any], charge: str | None = "100.00", customer_name: str = "Acme"
) -> Bundle:
    return Bundle(
        parties=(
            from_jsonable(Party, {"id": "isp", "name": "ISP", "roles": ["provider"]}),
            from_jsonable(Party, {"id": "acme", "name": customer_name, "roles": ["customer"]}),
        ),
        services=(
            from_jsonable(Service, {"id": "inet", "name": "Internet", "provider": "isp"}),
            from_jsonable(Service, {"id": "tv", "name": "TV", "provider": "isp"}),
        ),
        subscriptions=(
            from_jsonable(
                Subscription, {"customer": "acme", "service": "inet", "monthly_charge": charge}
            ),
            from_jsonable(Subscription, {"customer": "acme", "service": "tv", "end": "2025-05-01"}),
        ),
        calendars=(from_jsonable(Calendar, {"id": "always", "timezone": "UTC"}),),
        agreements=tuple(
            from_jsonable(Agreement, {"provider": "isp", "effective_from": "2025-01-01", **a})
            for a in agreements
        ),
    )


CORP: dict[str, Any] = {
    "id": "corp",
    "level": "corporate",
    "objectives": [
        {"metric": "availability", "target": "99.5%"},
        {"metric": "mttr", "target": "8h"},
    ],
    "credits": {"tiers": [{"below": "99.5%", "credit": "12.5%"}], "cap": "10%"},
}


def doc_for(bundle: Bundle, service: str | None = "inet") -> Any:
    return build_document(
        effective_agreement(bundle.agreements, "isp", "acme", service, ON), bundle
    )


def test_notes_say_whether_a_term_tightens_restates_overrides_or_loosens() -> None:
    bundle = make_bundle(
        CORP,
        {
            "id": "svc",
            "level": "service",
            "customer": "acme",
            "service": "inet",
            "objectives": [
                {"metric": "availability", "target": "99.5%"},
                {"metric": "mttr", "target": "12h", "override": True},
                {"metric": "latency", "target": "20ms"},
            ],
        },
    )
    notes = {o.id: o.note for o in doc_for(bundle).terms.objectives}
    assert notes["availability"].text == "restates the corporate 99.5 %"
    assert notes["availability"].kind == "restates"
    assert notes["mttr"].text == "overrides the corporate 8 h"
    assert notes["latency"] is None

    loose = make_bundle(
        CORP,
        {
            "id": "svc",
            "level": "service",
            "customer": "acme",
            "service": "inet",
            "objectives": [{"metric": "mttr", "target": "12h"}],
        },
    )
    mttr = next(o for o in doc_for(loose).terms.objectives if o.id == "mttr")
    assert mttr.note.text == "loosens the corporate 8 h"


def test_credit_amounts_are_exact_and_capped() -> None:
    credits = doc_for(make_bundle(CORP)).terms.credits
    assert [(t.threshold, t.credit, t.amount) for t in credits.tiers] == [
        ("below 99.5 %", "12.5 % of the monthly charge (capped at 10 %)", "EUR 10.00"),
    ]
    assert "Credits for one period never exceed 10 % of the monthly charge (EUR 10.00)." in (
        credits.terms
    )
    no_charge = doc_for(make_bundle(CORP, charge=None)).terms.credits
    assert not no_charge.amounts


def test_a_minimum_credit_amount_is_stated() -> None:
    minimum = {**CORP, "credits": {**CORP["credits"], "minimum_amount": "5.00"}}
    terms = doc_for(make_bundle(minimum)).terms.credits.terms
    assert "A credit under EUR 5.00 is not granted." in terms
    assert not any("not granted" in t for t in doc_for(make_bundle(CORP)).terms.credits.terms)


def test_credits_on_a_quarterly_objective_give_no_monthly_amounts() -> None:
    bundle = make_bundle(
        {
            **CORP,
            "objectives": [{"metric": "availability", "target": "99.5%", "period": "quarter"}],
        }
    )
    credits = doc_for(bundle).terms.credits
    assert not credits.amounts
    assert credits.tiers[0].credit.endswith("of the charge for the period (capped at 10 %)")
    assert credits.threshold_header == "Availability in the quarter"


def test_a_customer_document_has_a_section_per_current_subscription() -> None:
    bundle = make_bundle(
        CORP,
        {
            "id": "cust",
            "level": "customer",
            "customer": "acme",
            "objectives": [{"metric": "availability", "target": "99.9%"}],
        },
    )
    doc = doc_for(bundle, service=None)
    assert doc.service is None
    assert [s.service.name for s in doc.services] == ["Internet"]  # the TV subscription ended
    section = doc.services[0]
    assert section.parts == ()
    assert section.terms.hours is None
    assert "service hours" in section.terms.as_above
    assert section.terms.credits is not None  # repeated with this service's amounts
    availability = next(o for o in section.terms.objectives if o.id == "availability")
    assert availability.note.text == "customer; tightens the corporate 99.5 %"
    top = next(o for o in doc.terms.objectives if o.id == "availability")
    assert (
        top.sentence
        == "Each service is available 99.9 % of its service hours, each calendar month."
    )


def test_html_is_a_standalone_escaped_document() -> None:
    bundle = make_bundle(CORP, customer_name="<b>Smith & Sons</b>")
    html = render_agreement(
        effective_agreement(bundle.agreements, "isp", "acme", "inet", ON), bundle, "html"
    )
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert html.endswith("</html>\n")
    assert "<style>" in html
    assert "@page" in html
    assert "&lt;b&gt;Smith &amp; Sons&lt;/b&gt;" in html
    assert "<b>Smith" not in html
    assert '<time datetime="2025-06-01">1 Jun 2025</time>' in html


def test_markdown_tables_survive_pipes_in_names() -> None:
    assert md_cell("a | b\nc") == "a \\| b c"
    bundle = make_bundle(CORP, customer_name="Smith | Sons")
    md = render_agreement(
        effective_agreement(bundle.agreements, "isp", "acme", "inet", ON), bundle, "md"
    )
    assert "| Customer | Smith \\| Sons (acme) | — |" in md
    assert "\n\n\n" not in md
    assert md.endswith("\n")
    assert not md.endswith("\n\n")


def test_without_a_calendar_the_service_is_due_at_all_times() -> None:
    hours = doc_for(make_bundle(CORP)).terms.hours
    assert hours.calendar is None
    assert hours.hours == "No calendar is agreed: the service is due at all times."
    assert hours.formula == "Availability = (T − P − U) / (T − P)"
    assert hours.convention.note is None  # the built-in default is not a provenance


def test_unknown_format_is_refused() -> None:
    bundle = make_bundle(CORP)
    eff = effective_agreement(bundle.agreements, "isp", "acme", "inet", ON)
    with pytest.raises(ValueError, match="unknown document format 'pdf'"):
        render_agreement(eff, bundle, "pdf")  # type: ignore[arg-type]
