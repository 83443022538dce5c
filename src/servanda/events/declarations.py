"""What event management reads of a provider's declaration.

The correlator and the outage rules need the dependency graph, the services, components and
calendars, and the subscriptions a node takes down with it. They ask for this protocol rather
than the whole :class:`~servanda.declared.bundle.Bundle` (which satisfies it), so the events
package never imports the package that gathers every declared kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Service, Subscription


class EventDeclarations(Protocol):
    """The declared records event management reads."""

    @property
    def services(self) -> tuple[Service, ...]:
        """Declared services."""

    @property
    def components(self) -> tuple[Component, ...]:
        """Declared components."""

    @property
    def calendars(self) -> tuple[Calendar, ...]:
        """Declared calendars."""

    @property
    def service_by_id(self) -> Mapping[str, Service]:
        """Services by id."""

    @property
    def calendar_by_id(self) -> Mapping[str, Calendar]:
        """Calendars by id."""

    @property
    def graph(self) -> DependencyGraph:
        """The dependency graph of services and components."""

    def subscriptions_down_with(self, node: str) -> tuple[Subscription, ...]:
        """The subscriptions whose customers lose their service when ``node`` is down."""
