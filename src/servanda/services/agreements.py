"""Effective agreements: which terms apply to a customer and service on a day, and documents."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from servanda.agreements.effective import (
    AmbiguousAgreement,
    EffectiveAgreement,
    Source,
    Sourced,
    effective_agreement,
)
from servanda.core.problems import NotFound, ServandaError
from servanda.core.records import to_jsonable
from servanda.declared.bundle import Bundle
from servanda.documents import render_agreement


def effective_for(
    bundle: Bundle, customer: str, service: str | None, on: date
) -> EffectiveAgreement:
    """The effective agreement of ``customer`` (for ``service`` when given) on ``on``.

    Raises :class:`NotFound` for an unknown customer or service, or a service the customer does
    not take; :class:`ServandaError` when two agreements compete for one level.
    """
    if customer not in bundle.party_by_id:
        raise NotFound(f"no customer {customer!r}")
    subs = bundle.subscriptions_of(customer)
    if service is not None:
        svc = bundle.service_by_id.get(service)
        if svc is None:
            raise NotFound(f"no service {service!r}")
        if not any(s.service == service for s in subs):
            raise NotFound(f"customer {customer!r} does not take service {service!r}")
        provider = svc.provider
    else:
        providers = sorted(
            {
                bundle.service_by_id[s.service].provider
                for s in subs
                if s.service in bundle.service_by_id
            }
        )
        customer_level = sorted({a.provider for a in bundle.agreements if a.customer == customer})
        candidates = providers or customer_level
        if not candidates:
            raise NotFound(f"customer {customer!r} has no subscription and no agreement")
        provider = candidates[0]
    try:
        return effective_agreement(bundle.agreements, provider, customer, service, on)
    except AmbiguousAgreement as exc:
        raise ServandaError(str(exc)) from exc


def _source(src: Source | None) -> dict[str, Any] | None:
    if src is None:
        return None
    return {
        "level": src.level.value,
        "agreement": src.agreement,
        "effective_from": src.effective_from.isoformat(),
    }


def _sourced(term: Sourced[Any] | None) -> dict[str, Any] | None:
    if term is None:
        return None
    value = term.value if isinstance(term.value, str) else to_jsonable(term.value)
    return {
        "value": value,
        "source": _source(term.source),
        "replaces": _sourced(term.replaces),
    }


def effective_view(eff: EffectiveAgreement) -> dict[str, Any]:
    """The effective agreement as JSON data, every term with the level it came from."""
    return {
        "provider": eff.provider,
        "customer": eff.customer,
        "service": eff.service,
        "on": eff.on.isoformat(),
        "agreements": [
            {
                "id": a.id,
                "level": a.level.value,
                "effective_from": a.effective_from.isoformat(),
                "title": a.title,
            }
            for a in eff.chain
        ],
        "calendar": _sourced(eff.calendar),
        "excluded_time": _sourced(eff.excluded_time),
        "objectives": [_sourced(o) for o in eff.objectives],
        "responsibilities": {
            "fault_reporting": _sourced(eff.fault_reporting),
            "validates_correction": _sourced(eff.validates_correction),
            "pays_credits": _sourced(eff.pays_credits),
            "severities": [_sourced(s) for s in eff.severities],
        },
        "credits": _sourced(eff.credits),
        "policies": [_sourced(p) for p in eff.policies],
    }


def render(
    bundle: Bundle, customer: str, service: str | None, on: date, fmt: Literal["md", "html"]
) -> str:
    """The effective agreement as a plain-language document."""
    return render_agreement(effective_for(bundle, customer, service, on), bundle, fmt)
