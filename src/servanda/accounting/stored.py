"""Usage as stored: the quarantine's entries and the charges rating made, as the services and
interfaces read them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Rejected:
    """One quarantined usage record."""

    id: int
    stage: str
    source: str | None
    record_id: str | None
    usage_id: int | None
    origin: str
    reason: str
    received_at: datetime
    payload: dict[str, Any]
    resolved_at: datetime | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    """A stored charge or reversal."""

    id: int
    usage_id: int
    kind: str
    account: str
    tariff: str
    tariff_version: datetime
    amount: Decimal
    currency: str
    detail: dict[str, Any]
