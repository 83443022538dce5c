"""The check of where subscriptions attach their customers (``Subscription.access``).

``access`` names a known *component*: the access switch, CPE or port the customer hangs from.
That node must be on the dependency map of the service: it depends, directly or not, on the
service itself or on something the service depends on (an access switch hangs from the core
routers the service runs over), or the service depends on it. A node on no such path is an
error: nothing upstream of the customer would reach it, so a failure of the customer's backhaul
or uplink would count for no one. A service that declares no dependency offers no map to
check against, and any known component is accepted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from servanda.catalog.model import Subscription
from servanda.config.reader import Origin, ReadResult
from servanda.core.problems import Location, Problem
from servanda.declared.bundle import Bundle


def _problem(origin: Origin | None, message: str) -> Problem:
    if origin is None:
        return Problem(message, Location(), ("access",))
    return origin.problem(("access",), message)


def _why_not(bundle: Bundle, sub: Subscription, upstream: Callable[[str], frozenset[str]]) -> str:
    """What is wrong with ``sub.access`` (which is not None), or the empty string."""
    access = sub.access
    assert access is not None
    if access in bundle.service_by_id:
        return f"{access!r} is a service; access names a component (a switch, a port)"
    if access not in bundle.component_by_id:
        return f"unknown component {access!r}"
    service = bundle.service_by_id.get(sub.service)
    if service is None or not service.depends_on:
        return ""  # an unknown service is reported by the reference check
    needs = upstream(service.id)
    if access in needs or upstream(access) & (needs | {service.id}):
        return ""
    return (
        f"access node {access!r} is not on the map of {service.id!r}: it depends on "
        f"nothing {service.id!r} depends on; declare its uplinks in its depends_on"
    )


def check_access(result: ReadResult) -> list[Problem]:
    """Each subscription's ``access`` is a known component connected to its service."""
    b = result.bundle
    upstream = functools.cache(b.graph.upstream)
    problems: list[Problem] = []
    for i, sub in enumerate(b.subscriptions):
        if sub.access is not None and (why := _why_not(b, sub, upstream)):
            problems.append(_problem(result.origin("subscriptions", i), why))
    return problems
