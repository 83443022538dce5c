"""The bundle: everything a provider declares, as domain records."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from servanda.agreements.model import Agreement
from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Party, Service, Subscription
from servanda.events.model import NodeMapping
from servanda.measure.inputs import Series


@dataclass(frozen=True)
class Bundle:
    """Parties, services, components, subscriptions, calendars, agreement versions and the
    rules mapping event labels to nodes."""

    parties: tuple[Party, ...] = ()
    services: tuple[Service, ...] = ()
    components: tuple[Component, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    calendars: tuple[Calendar, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    """Every version of every agreement."""
    mappings: tuple[NodeMapping, ...] = ()
    """Label-to-node rules for events, in the order they are tried."""
    series: tuple[Series, ...] = ()
    """Declared measurement series."""

    def merged(self, other: Bundle) -> Bundle:
        """This bundle with ``other``'s records added (for reading several files)."""
        return Bundle(
            parties=self.parties + other.parties,
            services=self.services + other.services,
            components=self.components + other.components,
            subscriptions=self.subscriptions + other.subscriptions,
            calendars=self.calendars + other.calendars,
            agreements=self.agreements + other.agreements,
            mappings=self.mappings + other.mappings,
            series=self.series + other.series,
        )

    @cached_property
    def series_by_id(self) -> dict[str, Series]:
        """Declared measurement series by id."""
        return {s.id: s for s in self.series}

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
