"""The bundle: everything a provider declares, as domain records, one tuple per declared kind.

The bundle's fields are the registry of declared kinds (:data:`KINDS`): the configuration
reader, the duplicate check and the storage of declarations iterate over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from servanda.accounting.billing_accounts import BillingAccount, TaxProfile
from servanda.accounting.charging_rules import ChargingRule
from servanda.accounting.tariffs import RatingProfile, Tariff
from servanda.agreements.model import Agreement
from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Party, Service, Subscription
from servanda.declared.kinds import DeclaredKind, Storage, declared, kinds_of
from servanda.events.model import NodeMapping
from servanda.measure.inputs import Series
from servanda.notify.rules import NotificationRule


def _id(rec: Any) -> str:
    return str(rec.id)


def _subscription_key(s: Subscription) -> tuple[str, str, date | None]:
    return (s.customer, s.service, s.start)


def _describe_subscription(s: Subscription) -> str:
    reference = f" ({s.reference})" if s.reference else ""
    return f"{s.customer}/{s.service} from {s.start or 'the start'}{reference}"


def _version_key(a: Agreement | Tariff | ChargingRule) -> tuple[str, date | datetime]:
    return a.key


def _describe_version(a: Agreement | Tariff | ChargingRule) -> str:
    since = a.effective_from if isinstance(a, Agreement) else a.active_from.isoformat()
    return f"{a.id} from {since}"


def _profile_key(p: RatingProfile) -> tuple[str | None, str | None, str | None, datetime | None]:
    return p.key


def _describe_profile(p: RatingProfile) -> str:
    what = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("category", p.category), ("account", p.account), ("service", p.service)
        )
        if value is not None
    )  # fmt: skip
    since = f" from {p.active_from.isoformat()}" if p.active_from else ""
    return f"{what or 'any usage'}{since}"


OWN_TABLE = Storage.OWN_TABLE


@dataclass(frozen=True)
class Bundle:
    """Everything a provider declares, one tuple per declared kind. The fields are the
    registry of declared kinds (:data:`KINDS`, see :mod:`servanda.declared.kinds`)."""

    parties: tuple[Party, ...] = declared(
        DeclaredKind(Party, "party", _id, storage=OWN_TABLE,
                     summary="the provider, its customers, suppliers and other parties")
    )  # fmt: skip
    calendars: tuple[Calendar, ...] = declared(
        DeclaredKind(Calendar, "calendar", _id, storage=OWN_TABLE,
                     summary="service hours, holidays, maintenance and critical windows")
    )  # fmt: skip
    services: tuple[Service, ...] = declared(
        DeclaredKind(Service, "service", _id, storage=OWN_TABLE, namespace="node",
                     summary="services offered, with what they require")
    )  # fmt: skip
    components: tuple[Component, ...] = declared(
        DeclaredKind(Component, "component", _id, storage=OWN_TABLE, namespace="node",
                     summary="the components services depend on")
    )  # fmt: skip
    subscriptions: tuple[Subscription, ...] = declared(
        DeclaredKind(Subscription, "subscription", _subscription_key,
                     describe_key=_describe_subscription, storage=OWN_TABLE,
                     summary="which customer takes which service, from when, through what access")
    )  # fmt: skip
    agreements: tuple[Agreement, ...] = declared(
        DeclaredKind(Agreement, "agreement version", _version_key,
                     describe_key=_describe_version, storage=OWN_TABLE,
                     plural="agreement versions",
                     summary="service level agreements, every version by effective date")
    )  # fmt: skip
    """Every version of every agreement."""
    mappings: tuple[NodeMapping, ...] = declared(
        DeclaredKind(NodeMapping, "mapping rule", None, storage=OWN_TABLE, plural="mapping rules",
                     summary="label-to-node rules for events, in the order they are tried")
    )  # fmt: skip
    """Label-to-node rules for events, in the order they are tried."""
    series: tuple[Series, ...] = declared(
        DeclaredKind(Series, "series", _id, storage=OWN_TABLE,
                     summary="declared measurement series")
    )  # fmt: skip
    """Declared measurement series."""
    tariffs: tuple[Tariff, ...] = declared(
        DeclaredKind(Tariff, "tariff version", _version_key, describe_key=_describe_version,
                     plural="tariff versions",
                     summary="prices of usage, every version by activation time")
    )  # fmt: skip
    """Every version of every tariff."""
    rating_profiles: tuple[RatingProfile, ...] = declared(
        DeclaredKind(RatingProfile, "rating profile", _profile_key,
                     describe_key=_describe_profile,
                     summary="which tariff rates which category, account and service, from when")
    )  # fmt: skip
    """Which tariff rates which usage."""
    charging_rules: tuple[ChargingRule, ...] = declared(
        DeclaredKind(ChargingRule, "charging rule version", _version_key,
                     describe_key=_describe_version, plural="charging rule versions",
                     summary="who pays rated usage and who else is owed for it, by version")
    )  # fmt: skip
    """Every version of every charging rule."""
    tax_profiles: tuple[TaxProfile, ...] = declared(
        DeclaredKind(TaxProfile, "tax profile", _id, summary="tax rates by service")
    )  # fmt: skip
    billing_accounts: tuple[BillingAccount, ...] = declared(
        DeclaredKind(BillingAccount, "billing account", _id,
                     summary="who is invoiced or paid, in which currency, with which taxes")
    )  # fmt: skip
    notification_rules: tuple[NotificationRule, ...] = declared(
        DeclaredKind(NotificationRule, "notification rule", _id,
                     summary="which events go to which webhooks, email addresses and chats")
    )  # fmt: skip

    def merged(self, other: Bundle) -> Bundle:
        """This bundle with ``other``'s records added (for reading several files)."""
        return Bundle(
            **{k.section: getattr(self, k.section) + getattr(other, k.section) for k in KINDS}
        )

    @classmethod
    def of(cls, records: Mapping[str, Iterable[Any]]) -> Bundle:
        """A bundle of the records of each section named in ``records``."""
        return cls(**{section: tuple(items) for section, items in records.items()})

    def tariff_versions(self, tariff_id: str) -> list[Tariff]:
        """Every version of one tariff, oldest first."""
        return sorted((t for t in self.tariffs if t.id == tariff_id), key=lambda t: t.active_from)

    @cached_property
    def series_by_id(self) -> dict[str, Series]:
        """Declared measurement series by id."""
        return {s.id: s for s in self.series}

    @cached_property
    def billing_account_by_id(self) -> dict[str, BillingAccount]:
        """Billing accounts by id."""
        return {a.id: a for a in self.billing_accounts}

    @cached_property
    def party_by_id(self) -> dict[str, Party]:
        """Parties by id."""
        return {p.id: p for p in self.parties}

    @cached_property
    def service_by_id(self) -> dict[str, Service]:
        """Services by id."""
        return {s.id: s for s in self.services}

    @cached_property
    def component_by_id(self) -> dict[str, Component]:
        """Components by id."""
        return {c.id: c for c in self.components}

    @cached_property
    def calendar_by_id(self) -> dict[str, Calendar]:
        """Calendars by id."""
        return {c.id: c for c in self.calendars}

    @cached_property
    def graph(self) -> DependencyGraph:
        """The dependency graph of services and components."""
        return DependencyGraph.of([*self.services, *self.components])

    def node_label(self, node: str) -> str:
        """Display name of a service or component."""
        if node in self.service_by_id:
            return self.service_by_id[node].label
        if node in self.component_by_id:
            return self.component_by_id[node].label
        return node

    @cached_property
    def _subscriptions_by_node(self) -> dict[str, tuple[Subscription, ...]]:
        found: dict[str, list[Subscription]] = {}
        for s in self.subscriptions:
            found.setdefault(s.service, []).append(s)
            if s.access is not None and s.access != s.service:
                found.setdefault(s.access, []).append(s)
        return {node: tuple(subs) for node, subs in found.items()}

    def subscriptions_down_with(self, node: str) -> tuple[Subscription, ...]:
        """The subscriptions whose customers lose their service when ``node`` is down: those
        to the service ``node``, and those attached at the access node ``node``."""
        return self._subscriptions_by_node.get(node, ())

    def subscriptions_of(self, customer: str) -> list[Subscription]:
        """The subscriptions of one customer."""
        return [s for s in self.subscriptions if s.customer == customer]

    def versions(self, agreement_id: str) -> list[Agreement]:
        """Every version of one agreement, oldest first."""
        return sorted(
            (a for a in self.agreements if a.id == agreement_id), key=lambda a: a.effective_from
        )


KINDS: tuple[DeclaredKind, ...] = kinds_of(Bundle)
"""Every declared kind, in the order records are read, checked and stored."""

KIND_BY_SECTION: dict[str, DeclaredKind] = {k.section: k for k in KINDS}
"""Declared kinds by their configuration section."""
