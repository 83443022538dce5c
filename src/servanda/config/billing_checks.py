"""Checks of the billing declarations: billing accounts name a declared party and tax profile;
the provider's account says how its invoices are numbered; charging rules name declared
accounts and tariffs; every party's subscriptions find the account they are billed to."""

from __future__ import annotations

from servanda.accounting.billing_accounts import billed_account
from servanda.accounting.charging_rules import CALLER
from servanda.catalog.model import PartyRole
from servanda.config.located import located as _at
from servanda.config.located import origins as _origins
from servanda.config.reader import ReadResult
from servanda.core.problems import Location, Problem


def check_billing(result: ReadResult) -> list[Problem]:
    """See the module; nothing is checked when no billing account is declared."""
    b = result.bundle
    problems: list[Problem] = []
    accounts = b.billing_account_by_id
    profiles = {p.id for p in b.tax_profiles}
    tariffs = {t.id for t in b.tariffs}
    for i, origin in _origins(result, "billing_accounts", len(b.billing_accounts)):
        a = b.billing_accounts[i]
        party = b.party_by_id.get(a.party)
        if party is None:
            problems.append(_at(origin, ("party",), f"unknown party {a.party!r}"))
        elif PartyRole.PROVIDER in party.roles and a.invoice_prefix is None:
            problems.append(
                _at(
                    origin,
                    ("invoice_prefix",),
                    "the provider's account numbers its invoices: give invoice_prefix",
                )
            )
        if a.tax_profile is not None and a.tax_profile not in profiles:
            problems.append(_at(origin, ("tax_profile",), f"unknown tax profile {a.tax_profile!r}"))
        for j, package in enumerate(a.packages):
            if package.tariff is not None and package.tariff not in tariffs:
                problems.append(
                    _at(origin, ("packages", j, "tariff"), f"unknown tariff {package.tariff!r}")
                )
    if not accounts:
        return problems
    for i, origin in _origins(result, "charging_rules", len(b.charging_rules)):
        r = b.charging_rules[i]
        named: list[tuple[tuple[str | int, ...], str | None]] = [
            (("owner",), r.owner),
            (("partner",), r.partner),
            (("carrier",), r.carrier),
        ]
        named += [(("shares", j, "account"), s.account) for j, s in enumerate(r.shares)]
        for path, account in named:
            if account is not None and account != CALLER and account not in accounts:
                problems.append(_at(origin, path, f"unknown billing account {account!r}"))
        if r.tariff is not None and r.tariff not in tariffs:
            problems.append(_at(origin, ("tariff",), f"unknown tariff {r.tariff!r}"))
    providers = [p for p in b.parties if PartyRole.PROVIDER in p.roles]
    for p in providers:
        if not any(a.party == p.id for a in b.billing_accounts):
            problems.append(
                Problem(
                    f"provider {p.id!r} has no billing account: its invoices need one",
                    Location(),
                    ("billing_accounts",),
                )
            )
    for i, origin in _origins(result, "subscriptions", len(b.subscriptions)):
        s = b.subscriptions[i]
        if s.monthly_charge is not None and billed_account(b.billing_accounts, s.customer) is None:
            problems.append(
                _at(
                    origin,
                    ("customer",),
                    f"no billing account of {s.customer!r} to bill this subscription to "
                    "(declare one whose id or party is the customer)",
                )
            )
    return problems
