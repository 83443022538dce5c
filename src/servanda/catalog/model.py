"""Catalog records: parties, services, components, requirements and subscriptions."""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from servanda.core.records import input_fields, record

Identifier = str
"""Ids are short, stable, lower-case names such as ``core-router-1``."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=200)]
"""A validated id."""


class PartyRole(StrEnum):
    """What a party is to the provider."""

    PROVIDER = "provider"
    CUSTOMER = "customer"
    CONTENT_PROVIDER = "content_provider"
    CARRIER = "carrier"
    """A carrier or supplier whose network or service the provider buys."""


@record
class Party:
    """An organisation that takes part in agreements or in charging."""

    id: Id
    """Stable id."""
    name: str
    """Display name."""
    roles: Annotated[tuple[PartyRole, ...], Field(min_length=1)]
    """Roles this party plays; a party may be both customer and content provider."""
    contact: str | None = None
    """Where to reach the party (email or phone), as written."""
    description: str | None = None
    """Free text."""

    @model_validator(mode="before")
    @classmethod
    def _supplier_is_carrier(cls, data: Any) -> Any:
        fields = input_fields(data)
        if fields is not None and isinstance(fields.get("roles"), list | tuple):
            fields["roles"] = ["carrier" if r == "supplier" else r for r in fields["roles"]]
            return fields
        return data


class RequirementMode(StrEnum):
    """How a node needs the nodes of one requirement."""

    ALL_OF = "all_of"
    ANY_OF = "any_of"
    K_OF_N = "k_of_n"


@record
class Requirement:
    """One group of dependencies of a node.

    A node is up only when every one of its requirements is met. ``all_of`` needs every listed
    node up; ``any_of`` needs one (redundancy); ``k_of_n`` needs at least ``k`` of them.
    In YAML a bare id means ``all_of: [id]``.
    """

    mode: RequirementMode
    """all_of, any_of or k_of_n."""
    nodes: Annotated[tuple[Identifier, ...], Field(min_length=1)]
    """The nodes this requirement names."""
    k: int | None = Field(default=None, ge=1)
    """How many of ``nodes`` must be up, for k_of_n."""
    share: float | None = Field(default=None, gt=0, lt=1)
    """Partial dependency: when this requirement is unmet the node is only partly down, by
    this fraction (e.g. ``0.5`` when one of two content origins carries half the catalogue).
    Shares of several unmet requirements add up; at 1 or more the node is down. Absent: an
    unmet requirement takes the node down. Written as a number or a percentage (``50%``)."""

    @field_validator("share", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip()[:-1]) / 100
        return value

    @model_validator(mode="before")
    @classmethod
    def _sugar(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"mode": "all_of", "nodes": [data]}
        fields = input_fields(data)
        if fields is not None and "mode" not in fields:
            extra = {"share": fields.pop("share")} if "share" in fields else {}
            if len(fields) == 1:
                ((key, value),) = fields.items()
                if key in ("all_of", "any_of"):
                    return {"mode": key, "nodes": value, **extra}
                if key == "k_of_n" and isinstance(value, dict):
                    return {"mode": key, "k": value.get("k"), "nodes": value.get("of"), **extra}
        return data

    @model_validator(mode="after")
    def _check_k(self) -> Requirement:
        if self.mode is RequirementMode.K_OF_N:
            if self.k is None:
                raise ValueError("k_of_n needs k, the number of nodes that must be up")
            if self.k > len(self.nodes):
                raise ValueError(f"k_of_n needs k={self.k} of only {len(self.nodes)} nodes")
        elif self.k is not None:
            raise ValueError(f"k only applies to k_of_n, not to {self.mode}")
        if len(set(self.nodes)) != len(self.nodes):
            raise ValueError("a requirement names the same node twice")
        return self

    def needed(self) -> int:
        """How many of ``nodes`` must be up."""
        if self.mode is RequirementMode.ALL_OF:
            return len(self.nodes)
        if self.mode is RequirementMode.ANY_OF:
            return 1
        assert self.k is not None
        return self.k

    def is_met(self, down: Container[str]) -> tuple[bool, tuple[str, ...]]:
        """Whether the requirement holds when ``down`` are down, and its members that are."""
        members_down = tuple(m for m in self.nodes if m in down)
        return len(self.nodes) - len(members_down) >= self.needed(), members_down

    def describe(self) -> str:
        """E.g. ``any of uplink-a, uplink-b``."""
        names = ", ".join(self.nodes)
        if self.mode is RequirementMode.ALL_OF:
            return names
        if self.mode is RequirementMode.ANY_OF:
            return f"any of {names}"
        return f"{self.k} of {names}"


@record
class Component:
    """A building block a service depends on: a switch, a router, a DNS resolver, a CDN."""

    id: Id
    """Stable id, the name monitoring alerts are mapped to."""
    name: str | None = None
    """Display name; the id when absent."""
    kind: str | None = None
    """What it is: switch, router, dns, sip-proxy, cdn …"""
    depends_on: tuple[Requirement, ...] = ()
    """What it needs to work."""
    calendar: Identifier | None = None
    """The calendar whose maintenance windows apply to it."""
    owner: Identifier | None = None
    """The party that operates it (a carrier for a leased line), when not the provider."""
    site: str | None = None
    """Where it is."""
    description: str | None = None
    """Free text."""

    @property
    def label(self) -> str:
        """The name, or the id."""
        return self.name or self.id


@record
class Service:
    """A service a provider offers to customers."""

    id: Id
    """Stable id."""
    name: str
    """Display name, as customers know it."""
    provider: Identifier
    """The party that provides it."""
    depends_on: tuple[Requirement, ...] = ()
    """Components (or other services) it is built from."""
    calendar: Identifier | None = None
    """Default calendar of its agreements and maintenance."""
    description: str | None = None
    """What the service is, for documents."""

    @property
    def label(self) -> str:
        """The name."""
        return self.name


@record
class Subscription:
    """A customer takes a service from its provider, attached where ``access`` says."""

    customer: Identifier
    """The customer party."""
    service: Identifier
    """The service taken."""
    start: date | None = None
    """First day of the subscription."""
    end: date | None = None
    """Day after the last day, when ended."""
    monthly_charge: Decimal | None = Field(default=None, ge=0)
    """Recurring charge per month, the base of service credits."""
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    """ISO 4217 currency of the charge."""
    reference: str | None = None
    """The customer's or contract's reference for this subscription."""
    access: Id | None = None
    """The component the customer is attached to (an access switch, a CPE or a port declared
    as a component): when it is down, so is the service for this customer alone. Absent: the
    customer is only down when the service is."""
    site: str | None = None
    """Where the customer is attached (an address or a site id), for people."""
    port: str | None = None
    """The port or circuit on the access node (``ge-0/0/12``), for people."""

    @model_validator(mode="after")
    def _dates(self) -> Subscription:
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


NodeKind = Literal["service", "component"]
