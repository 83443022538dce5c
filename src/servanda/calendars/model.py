"""Calendar records, exactly in the shape users write them under ``calendars:`` in YAML."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from servanda.calendars.holiday_dates import check_country
from servanda.calendars.recurrence import check_rrule
from servanda.calendars.weekly import ALWAYS, ServiceHours
from servanda.core.durations import Duration
from servanda.core.records import record

Name = Annotated[str, Field(min_length=1)]


def _positive_duration(value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValueError("a window's duration must be longer than zero")


def _rrule_or_none(value: str | None) -> str | None:
    return None if value is None else check_rrule(value)


@record
class HolidayRule:
    """Which days are holidays: a country's public holidays, plus or minus explicit dates."""

    country: str | None = None
    """ISO 3166 alpha-2 code understood by the ``holidays`` package, e.g. ``FR``."""
    subdivision: str | None = None
    """A state, province or region code of that country, e.g. ``BY`` for Bavaria."""
    dates: tuple[date, ...] = ()
    """Extra holidays of this calendar."""
    exclude: tuple[date, ...] = ()
    """Country holidays this calendar works anyway."""

    @field_validator("country", "subdivision")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.strip().upper() if isinstance(value, str) and value.strip() else None

    @field_validator("dates", "exclude")
    @classmethod
    def _sorted(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _known(self) -> HolidayRule:
        if self.country is not None:
            check_country(self.country, self.subdivision)
        elif self.subdivision is not None:
            raise ValueError("a holiday subdivision needs its country")
        return self


@record
class MaintenanceWindow:
    """Planned work: time excluded from the agreed service time."""

    id: Name
    """Unique within the calendar."""
    reason: Name
    """Why the window exists, shown in listings and agreement documents."""
    start: datetime
    """First start, local time in the calendar's zone (naive); an aware time is converted."""
    duration: Duration
    """How long each occurrence lasts (elapsed time)."""
    rrule: str | None = None
    """RFC 5545 recurrence rule, e.g. ``FREQ=WEEKLY;BYDAY=SU``; one-off when absent."""
    nodes: tuple[Name, ...] | None = None
    """Catalog node ids the window applies to; absent means every node of the calendar."""

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, value: str | None) -> str | None:
        return _rrule_or_none(value)

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("list at least one node, or leave nodes out for every node")
        return value

    @model_validator(mode="after")
    def _duration(self) -> MaintenanceWindow:
        _positive_duration(self.duration)
        return self

    def applies_to(self, node: str | None) -> bool:
        """Whether the window covers ``node`` (``None``: any node, so every window does)."""
        return node is None or self.nodes is None or node in self.nodes


@record
class CriticalWindow:
    """A critical business window: downtime inside it weighs ``weight`` times as much."""

    id: Name
    """Unique within the calendar."""
    weight: Decimal
    """How much a minute inside counts (1 = like any other minute); must be above zero."""
    start: datetime
    """First start, local time in the calendar's zone (naive); an aware time is converted."""
    duration: Duration
    """How long each occurrence lasts (elapsed time)."""
    name: str | None = None
    """A readable name, e.g. ``Month-end close``."""
    rrule: str | None = None
    """RFC 5545 recurrence rule; one-off when absent."""

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, value: str | None) -> str | None:
        return _rrule_or_none(value)

    @field_validator("weight")
    @classmethod
    def _weight(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError(f"a critical window's weight must be above zero, got {value}")
        return value

    @model_validator(mode="after")
    def _duration(self) -> CriticalWindow:
        _positive_duration(self.duration)
        return self

    @property
    def title(self) -> str:
        """The name, or the id when there is no name."""
        return self.name or self.id


class WeekStart(StrEnum):
    """The first day of a calendar's weeks."""

    MONDAY = "monday"
    """ISO 8601 weeks (Europe): ``2024-W14`` is Monday 1 to Sunday 7 April 2024."""
    SUNDAY = "sunday"
    """Sunday weeks (North America): ``2024-W14`` is the ISO week shifted back one day,
    Sunday 31 March to Saturday 6 April 2024 — the week holding that ISO week's Monday to
    Saturday, numbered as it is."""


@record
class Calendar:
    """When a service is due: service hours, holidays, maintenance and critical windows."""

    id: Name
    """Unique id that agreements refer to."""
    timezone: str
    """IANA time zone of every local time in the calendar, e.g. ``Europe/Paris``."""
    name: str | None = None
    """A readable name."""
    service_hours: ServiceHours = ALWAYS
    """Weekly service hours on the local clock; ``24x7`` (the default) is always."""
    holidays: HolidayRule | None = None
    """Days removed from the service hours."""
    maintenance: tuple[MaintenanceWindow, ...] = ()
    """Planned maintenance, excluded from the agreed service time."""
    critical: tuple[CriticalWindow, ...] = ()
    week_start: WeekStart = WeekStart.MONDAY
    """The first day of weekly periods on this calendar (``monday``: ISO weeks; ``sunday``)."""
    """Critical business windows and their weights."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        key = value.strip()
        try:
            ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Europe/Paris, "
                "America/New_York or UTC"
            ) from None
        return key

    @model_validator(mode="after")
    def _unique_ids(self) -> Calendar:
        for kind, ids in (
            ("maintenance", [w.id for w in self.maintenance]),
            ("critical", [w.id for w in self.critical]),
        ):
            seen: set[str] = set()
            for wid in ids:
                if wid in seen:
                    raise ValueError(f"{kind} window id {wid!r} is used twice")
                seen.add(wid)
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)
