"""Checks of the notification rules: the customers and services they name are declared, and
a customer's own rule names a customer (a party with the customer role)."""

from __future__ import annotations

from servanda.catalog.model import PartyRole
from servanda.config.located import located as _at
from servanda.config.located import origins as _origins
from servanda.config.reader import ReadResult
from servanda.core.problems import Problem


def check_notifications(result: ReadResult) -> list[Problem]:
    """See the module."""
    b = result.bundle
    problems: list[Problem] = []
    for i, origin in _origins(result, "notification_rules", len(b.notification_rules)):
        rule = b.notification_rules[i]
        if rule.customer is not None:
            party = b.party_by_id.get(rule.customer)
            if party is None:
                problems.append(_at(origin, ("customer",), f"unknown party {rule.customer!r}"))
            elif PartyRole.CUSTOMER not in party.roles:
                problems.append(_at(origin, ("customer",), f"{rule.customer!r} is not a customer"))
        for j, customer in enumerate(rule.customers):
            if customer not in b.party_by_id:
                problems.append(_at(origin, ("customers", j), f"unknown party {customer!r}"))
        for j, service in enumerate(rule.services):
            if service not in b.service_by_id:
                problems.append(_at(origin, ("services", j), f"unknown service {service!r}"))
    return problems
