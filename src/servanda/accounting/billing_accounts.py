"""Billing accounts and tax profiles: who is invoiced (or paid) for what, in which currency,
with which taxes, when, and how.

A **billing account** belongs to a party. Its id is the ``account`` of usage records and online
sessions; a customer's subscriptions are billed to the account of its party (the account whose
id is the party's, else the party's only account). Every party that sends or receives money
has one: customers, freephone and premium-number owners, content providers and carriers (they
receive statements), and the provider itself, whose account is the seller's identity on its
invoices (address, VAT id, bank account) and the home of its invoice numbering.

A **tax profile** says which tax rate applies to which service (the first rate whose
``services`` name it, else the rate without ``services``), with the EN 16931 VAT category
(``S`` standard, ``Z`` zero-rated, ``E`` exempt, ``AE`` reverse charge, ``K`` intra-community,
``G`` export, ``O`` outside the scope) and, for a rate of zero, the exemption reason the
invoice must print.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from servanda.catalog.model import Id
from servanda.core.limits import Name
from servanda.core.money import Currency
from servanda.core.records import record

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166-1 alpha-2 country code."""


class VatCategory(StrEnum):
    """EN 16931 VAT category codes (UNTDID 5305, as Factur-X uses them)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"


@record
class TaxRate:
    """One rate of a tax profile."""

    rate: Decimal = Field(ge=0, le=100)
    """Percent."""
    category: VatCategory = VatCategory.STANDARD
    services: tuple[Id, ...] = ()
    """The services it applies to; empty: every service no other rate names."""
    name: Name | None = None
    """As printed on invoices (``VAT 20 %``)."""
    exemption: Name | None = None
    """Why no tax is charged (required when the rate is zero), printed on invoices."""

    @model_validator(mode="after")
    def _explained(self) -> TaxRate:
        if self.rate == 0 and not self.exemption and self.category is not VatCategory.ZERO:
            raise ValueError("a rate of zero says why: exemption (printed on invoices)")
        if self.category is VatCategory.STANDARD and self.rate == 0:
            raise ValueError("the standard category has a rate above zero")
        return self


@record
class TaxProfile:
    """The tax rates of a kind of customer (domestic business, EU business, export …)."""

    id: Id
    rates: Annotated[tuple[TaxRate, ...], Field(min_length=1)]
    name: Name | None = None

    @model_validator(mode="after")
    def _one_default(self) -> TaxProfile:
        defaults = [r for r in self.rates if not r.services]
        if len(defaults) > 1:
            raise ValueError("at most one rate applies to every service (no services listed)")
        named = [s for r in self.rates for s in r.services]
        if len(set(named)) != len(named):
            raise ValueError("a service has one rate in a profile")
        return self

    def rate_for(self, service: str | None) -> TaxRate | None:
        """The rate of ``service`` (None: no rate applies)."""
        for r in self.rates:
            if service is not None and service in r.services:
                return r
        return next((r for r in self.rates if not r.services), None)


@record
class Address:
    """A postal address, as EN 16931 needs it."""

    lines: Annotated[tuple[Name, ...], Field(min_length=1, max_length=3)]
    city: Name
    postcode: Name
    country: Country


@record
class Commitment:
    """A minimum spent per billing period: when usage comes to less, the difference is
    invoiced (the true-up)."""

    amount: Decimal = Field(gt=0)
    services: tuple[Id, ...] = ()
    """The services whose usage counts; empty: every service."""


@record
class Package:
    """Free units per billing period: the first units of matching usage, in the order they
    were used, cost nothing."""

    id: Id
    units: Decimal = Field(gt=0)
    """Seconds (time), octets (volume) or units, as the tariff counts them."""
    tariff: Id | None = None
    """Usage rated by this tariff; None: any."""
    service: Id | None = None
    """Usage of this service; None: any."""
    destination_group: Id | None = None
    """Usage to this destination group of the tariff; None: any."""
    name: Name | None = None


class AccountKind(StrEnum):
    """What an account is to the provider."""

    POSTPAID = "postpaid"
    """Invoiced after the period."""
    PREPAID = "prepaid"
    """Pays in advance from its balance; its invoices are statements of what was debited."""


@record
class BillingAccount:
    """Who is invoiced or paid, and how (see the module)."""

    id: Id
    party: Id
    currency: Currency
    tax_profile: Id | None = None
    """None: no tax (statements of parties paid by the provider, accounts abroad …)."""
    kind: AccountKind = AccountKind.POSTPAID
    billing_day: int = Field(default=1, ge=1, le=28)
    """The day of the month after the period on which its invoice is dated."""
    payment_terms: int = Field(default=30, ge=0, le=365)
    """Days from the invoice date to its due date."""
    name: Name | None = None
    """The legal name on invoices; by default the party's name."""
    address: Address | None = None
    vat_id: Name | None = None
    legal_id: Name | None = None
    """The company registration (SIREN, Handelsregister …)."""
    email: Name | None = None
    iban: Annotated[str, Field(pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")] | None = None
    """Where the account is paid (the provider's account: printed on its invoices)."""
    invoice_prefix: Annotated[str, Field(pattern=r"^[A-Z0-9-]{1,12}$")] | None = None
    """The provider's account: invoice numbers are ``PREFIX-YEAR-NNNNNN``."""
    commitment: Commitment | None = None
    packages: tuple[Package, ...] = ()
    timezone: Name = "UTC"
    """The provider's account: the clock of its billing months (usage that started before
    midnight of the 1st in this zone is the month before's)."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name") from None
        return value.strip()


def billed_account(accounts: Sequence[BillingAccount], party: str) -> str | None:
    """The account a party's subscriptions are billed to: the one whose id is the party's,
    else the party's only account (None: none, or several and none named after it)."""
    found = [a for a in accounts if a.party == party]
    if any(a.id == party for a in found):
        return party
    return found[0].id if len(found) == 1 else None


def issuer_account(
    accounts: Sequence[BillingAccount], providers: Sequence[str]
) -> BillingAccount | None:
    """The provider's own account: the billed account of the first provider party that has
    one (it issues the invoices and keeps the billing clock)."""
    for party in providers:
        found = billed_account(accounts, party)
        if found is not None:
            return next(a for a in accounts if a.id == found)
    return None
