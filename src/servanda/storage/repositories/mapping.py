"""Between domain records and rows: canonical JSON, content hashes, and column values."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError

from servanda.agreements.model import Agreement, Objective
from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Party, Requirement, Service, Subscription
from servanda.core.problems import UnreadableRecord
from servanda.core.records import from_jsonable, to_jsonable
from servanda.events.model import NodeMapping
from servanda.storage.tables import (
    AgreementVersionRow,
    CalendarRow,
    NodeMappingRow,
    NodeRow,
    ObjectiveRow,
    PartyRoleRow,
    PartyRow,
    RequirementMemberRow,
    RequirementRow,
    SubscriptionRow,
)

T = TypeVar("T")


def document(value: Any) -> dict[str, Any]:
    """The record as JSON data, as stored in ``record`` columns."""
    data = to_jsonable(value)
    assert isinstance(data, dict)
    return data


def content_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON text of ``data`` (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def read(tp: type[T], data: dict[str, Any]) -> T:
    """A record back from its stored JSON; :class:`UnreadableRecord` when it does not validate."""
    try:
        return from_jsonable(tp, data)
    except ValidationError as error:
        key = data.get("id") or {k: data.get(k) for k in ("customer", "service", "start")}
        version = f" from {data['effective_from']}" if "effective_from" in data else ""
        raise UnreadableRecord(
            f"stored {tp.__name__.lower()} {key}{version} does not read back: {error}"
        ) from error


def subscription_key(sub: Subscription) -> str:
    """What identifies a subscription: customer, service, start and reference."""
    start = sub.start.isoformat() if sub.start else None
    return content_hash([sub.customer, sub.service, start, sub.reference])


def seconds(value: timedelta) -> Decimal:
    """A duration in seconds, exactly."""
    return Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 10**6


def fill_party(row: PartyRow, party: Party) -> None:
    row.name = party.name
    row.contact = party.contact
    row.description = party.description
    row.roles = [
        PartyRoleRow(role=role.value, position=i)
        for i, role in enumerate(dict.fromkeys(party.roles))
    ]


def fill_calendar(row: CalendarRow, calendar: Calendar) -> None:
    row.timezone = calendar.timezone


def fill_node(row: NodeRow, node: Service | Component) -> None:
    row.name = node.name
    row.label = node.label
    row.calendar = node.calendar
    row.description = node.description
    if isinstance(node, Service):
        row.kind = "service"
        row.provider = node.provider
        row.component_type = row.owner = row.site = None
    else:
        row.kind = "component"
        row.provider = None
        row.component_type = node.kind
        row.owner = node.owner
        row.site = node.site


def fill_requirements(row: NodeRow, node: Service | Component) -> None:
    """Requirements name other nodes: fill them once every node of the bundle is stored."""
    row.requirements = [_requirement(i, r) for i, r in enumerate(node.depends_on)]


def _requirement(position: int, requirement: Requirement) -> RequirementRow:
    return RequirementRow(
        position=position,
        mode=requirement.mode.value,
        k=requirement.k,
        members=[
            RequirementMemberRow(position=i, node_id=n) for i, n in enumerate(requirement.nodes)
        ],
    )


def fill_subscription(row: SubscriptionRow, sub: Subscription) -> None:
    row.key = subscription_key(sub)
    row.customer = sub.customer
    row.service = sub.service
    row.start_date = sub.start
    row.end_date = sub.end
    row.monthly_charge = sub.monthly_charge
    row.currency = sub.currency
    row.reference = sub.reference


def fill_version(row: AgreementVersionRow, agreement: Agreement) -> None:
    row.effective_to = agreement.effective_to
    row.title = agreement.title
    row.calendar = agreement.calendar
    row.objectives = [_objective(i, o) for i, o in enumerate(agreement.objectives)]


def _objective(position: int, objective: Objective) -> ObjectiveRow:
    return ObjectiveRow(
        objective_id=objective.id,
        position=position,
        metric=objective.metric.value,
        comparator=objective.cmp.value,
        target=objective.target,
        period_kind=objective.period.kind.value,
        period_seconds=seconds(objective.period.length) if objective.period.length else None,
        budgeting=objective.budgeting.value,
        percentile=objective.percentile,
        severity=objective.severity,
        calendar=objective.calendar,
        series=objective.series,
    )


def node_mapping_values(rule: NodeMapping) -> dict[str, Any]:
    """The columns of a ``node_mappings`` row (all but position and time) for ``rule``."""
    match = [[label, value] for label, value in rule.match]
    values: dict[str, Any] = {
        "match": match,
        "node": rule.node,
        "source": rule.source,
        "description": rule.description,
    }
    values["content_hash"] = content_hash(values)
    return values


def read_node_mapping(row: NodeMappingRow) -> NodeMapping:
    """A mapping rule back from its row."""
    try:
        return NodeMapping(
            match=tuple((str(k), str(v)) for k, v in row.match),
            node=row.node,
            source=row.source,
            description=row.description,
        )
    except (ValidationError, TypeError, ValueError) as error:
        raise UnreadableRecord(
            f"stored mapping rule {row.position} does not read back: {error}"
        ) from error
