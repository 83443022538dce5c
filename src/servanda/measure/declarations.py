"""What SLA measurement reads of a provider's declaration.

Evaluation needs the parties, subscriptions, agreement versions and measurement series besides
what event management reads. It asks for this protocol rather than the whole
:class:`~servanda.declared.bundle.Bundle` (which satisfies it), so the measure package never
imports the package that gathers every declared kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from servanda.agreements.model import Agreement
from servanda.catalog.model import Party, Subscription
from servanda.events.declarations import EventDeclarations
from servanda.measure.inputs import Series


class Declarations(EventDeclarations, Protocol):
    """The declared records SLA measurement reads."""

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """Declared subscriptions."""

    @property
    def agreements(self) -> tuple[Agreement, ...]:
        """Every version of every agreement."""

    @property
    def series(self) -> tuple[Series, ...]:
        """Declared measurement series."""

    @property
    def party_by_id(self) -> Mapping[str, Party]:
        """Parties by id."""

    @property
    def series_by_id(self) -> Mapping[str, Series]:
        """Declared measurement series by id."""

    def subscriptions_of(self, customer: str) -> list[Subscription]:
        """The subscriptions of one customer."""
