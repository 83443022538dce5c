"""Calendars: when a service is due, and when time counts more or not at all.

A :class:`Calendar` holds weekly service hours on a local clock, public and extra holidays,
maintenance windows (excluded from the agreed service time, optionally per node) and critical
business windows (where downtime weighs more). It is validated straight from the ``calendars:``
YAML shape. The expansion functions turn a calendar and a period ``[start, end)`` into UTC
interval sets, DST-correct and cached; :mod:`~servanda.calendars.describe` puts a calendar into
plain words for agreement documents. No I/O, no clock: the period is always an argument.

Modules: ``model`` (records), ``weekly`` (service hours), ``holiday_dates`` (public holidays),
``recurrence`` (RRULE windows), ``localtime`` (wall clock to UTC), ``expand`` (interval sets),
``describe`` (words).
"""

from servanda.calendars.describe import describe_holidays, describe_service_hours, describe_window
from servanda.calendars.expand import (
    MaintenanceOccurrence,
    agreed_time,
    critical_weights,
    holiday_days,
    maintenance_occurrences,
    maintenance_time,
    service_time,
)
from servanda.calendars.model import Calendar, CriticalWindow, HolidayRule, MaintenanceWindow
from servanda.calendars.weekly import ALWAYS, WeeklyHours, WeeklyRange

__all__ = [
    "ALWAYS",
    "Calendar",
    "CriticalWindow",
    "HolidayRule",
    "MaintenanceOccurrence",
    "MaintenanceWindow",
    "WeeklyHours",
    "WeeklyRange",
    "agreed_time",
    "critical_weights",
    "describe_holidays",
    "describe_service_hours",
    "describe_window",
    "holiday_days",
    "maintenance_occurrences",
    "maintenance_time",
    "service_time",
]
