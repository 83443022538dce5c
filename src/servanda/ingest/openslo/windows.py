"""Time: an SLO's ``timeWindow`` becomes a Servanda period, its ``budgetingMethod`` a budgeting,
an objective's ``timeSliceWindow`` a timeslice length.

OpenSLO duration shorthands are case-sensitive: ``m`` is a minute and ``M`` a month. A time
window of minutes is no SLO period, yet the OpenSLO project's own timeslices example writes
``duration: 1m`` beside the comment "Contracts often are for 1 month". So a *time window* in
minutes shorter than a day is read as that many months, with a loud warning. Timeslice
windows are taken as written (a one-minute slice is the usual choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from servanda.agreements.model import Budgeting, Period, PeriodKind
from servanda.config.yaml_source import Path
from servanda.core.durations import format_duration
from servanda.ingest.openslo.objects import V1ALPHA, Findings, OsloObject
from servanda.ingest.openslo.tables import (
    BUDGETING,
    CALENDAR_PERIODS,
    V1ALPHA_UNITS,
    Shorthand,
    parse_shorthand,
)


@dataclass(frozen=True)
class Window:
    """An SLO's period, and the date its calendar says counting starts (when it says)."""

    period: Period
    start: date | None = None


def read_window(slo: OsloObject, found: Findings) -> Window | None:
    """The period of ``slo``; None (with errors recorded) when its time window is malformed."""
    spec = slo.spec
    path: Path = ("spec", "timeWindow")
    windows = spec.get("timeWindow")
    if windows is None and "timeWindows" in spec:
        return _v1alpha(slo, spec["timeWindows"], found)
    if windows is None:
        found.warn(
            slo,
            ("spec",),
            "no timeWindow; evaluated each calendar month (Servanda's default period)",
        )
        return Window(Period())
    item_path: Path = (*path, 0)
    if isinstance(windows, dict):
        found.warn(
            slo, path, "timeWindow is a list of one item; the mapping given is read as that item"
        )
        windows, item_path = [windows], path
    if not isinstance(windows, list) or not windows:
        found.error(slo, path, "timeWindow must be a list of exactly one time window")
        return None
    for extra in range(1, len(windows)):
        found.unmap(
            slo,
            (*path, extra),
            "OpenSLO allows one time window per SLO; only the first is imported",
        )
    return _item(slo, item_path, windows[0], found)


def _v1alpha(slo: OsloObject, windows: Any, found: Findings) -> Window | None:
    path: Path = ("spec", "timeWindows")
    item = windows[0] if isinstance(windows, list) and windows else None
    if not isinstance(item, dict):
        found.error(slo, path, "timeWindows must be a list of one time window")
        return None
    unit, count = item.get("unit"), item.get("count")
    short = V1ALPHA_UNITS.get(unit.lower()) if isinstance(unit, str) else None
    if short is None or isinstance(count, bool) or not isinstance(count, int):
        found.error(
            slo, (*path, 0), "a v1alpha time window needs unit (Minute … Year) and an integer count"
        )
        return None
    if slo.version.lower() != V1ALPHA:
        found.warn(slo, path, "timeWindows (v1alpha) read as timeWindow")
    converted = {key: value for key, value in item.items() if key not in ("unit", "count")}
    converted["duration"] = f"{count}{short}"
    return _item(slo, (*path, 0), converted, found)


def _item(slo: OsloObject, path: Path, item: Any, found: Findings) -> Window | None:
    if not isinstance(item, dict):
        found.error(slo, path, "a time window is a mapping with duration and isRolling")
        return None
    try:
        duration, note = parse_shorthand(item.get("duration"))
    except ValueError as exc:
        found.error(slo, (*path, "duration"), f"timeWindow duration: {exc}")
        return None
    if note:
        found.warn(slo, (*path, "duration"), f"timeWindow duration {note}")
    rolling = item.get("isRolling")
    calendar = item.get("calendar")
    if rolling is not None and not isinstance(rolling, bool):
        found.error(slo, (*path, "isRolling"), "isRolling must be true or false")
        return None
    if rolling is None:
        rolling = calendar is None
        if rolling:
            found.warn(slo, path, "neither isRolling nor calendar given; read as a rolling window")
    if duration.unit == "m" and duration.fixed is not None and duration.fixed < timedelta(days=1):
        months = Shorthand(duration.count, "M")
        found.warn(
            slo,
            (*path, "duration"),
            f"timeWindow duration '{duration}' means "
            f"{duration.describe()} in OpenSLO ('M' is month, 'm' minute), and an SLO "
            f"window of {duration.describe()} is no contract period: read as "
            f"'{months}' ({months.describe()}). Check the source; write '{months}' to "
            "silence this warning",
        )
        duration = months
    if rolling:
        if calendar is not None:
            found.unmap(
                slo, (*path, "calendar"), "a rolling window takes no calendar; calendar ignored"
            )
        length = duration.fixed
        if length is None:
            length = duration.approximate
            found.warn(
                slo,
                (*path, "duration"),
                f"a rolling window of {duration.describe()} "
                f"has no fixed length; imported as rolling {length.days} days",
            )
        return Window(Period(kind=PeriodKind.ROLLING, length=length))
    start = _calendar(slo, (*path, "calendar"), calendar, found)
    kind = CALENDAR_PERIODS.get((duration.count, duration.unit))
    if kind is None:
        length = duration.approximate
        found.warn(
            slo,
            (*path, "duration"),
            f"a calendar window of {duration.describe()} has "
            "no Servanda calendar period (day, week, month, quarter, year); imported as "
            f"a rolling window of {format_duration(length)}, without calendar alignment",
        )
        return Window(Period(kind=PeriodKind.ROLLING, length=length), start)
    return Window(Period(kind=kind), start)


def _calendar(slo: OsloObject, path: Path, calendar: Any, found: Findings) -> date | None:
    if calendar is None:
        return None
    if not isinstance(calendar, dict):
        found.error(slo, path, "calendar must be a mapping with startTime and timeZone")
        return None
    start_time, zone = calendar.get("startTime"), calendar.get("timeZone")
    start: date | None = None
    if isinstance(start_time, datetime):
        start = start_time.date()
    elif isinstance(start_time, date):
        start = start_time
    elif isinstance(start_time, str):
        try:
            start = datetime.fromisoformat(start_time.strip()).date()
        except ValueError:
            found.error(
                slo,
                (*path, "startTime"),
                f"startTime {start_time!r} is not a date and time such as 2022-01-01 12:00:00",
            )
    said = ", ".join(
        f"{key} {value}"
        for key, value in (("startTime", start_time), ("timeZone", zone))
        if value is not None
    )
    if said:
        found.warn(
            slo,
            path,
            f"calendar {said} not used to align periods: Servanda aligns "
            "calendar periods to the agreement's calendar (and its timezone), from "
            "midnight on each period's first day",
        )
    return start


def read_budgeting(slo: OsloObject, found: Findings) -> tuple[Budgeting, str] | None:
    """The budgeting of ``slo`` and the OpenSLO method it came from."""
    path: Path = ("spec", "budgetingMethod")
    raw = slo.spec.get("budgetingMethod")
    if raw is None:
        found.warn(slo, ("spec",), "no budgetingMethod (OpenSLO requires one); read as Occurrences")
        return Budgeting.EVENTS, "Occurrences"
    if not isinstance(raw, str):
        found.error(slo, path, "budgetingMethod must be Occurrences, Timeslices or RatioTimeslices")
        return None
    method = raw.strip()
    if method not in BUDGETING:
        match = [known for known in BUDGETING if known.lower() == method.lower()]
        if not match:
            found.error(
                slo,
                path,
                f"unknown budgetingMethod {raw!r}; OpenSLO has "
                "Occurrences, Timeslices and RatioTimeslices",
            )
            return None
        found.warn(slo, path, f"budgetingMethod {raw!r} read as {match[0]!r}")
        method = match[0]
    return BUDGETING[method], method


def read_timeslice(slo: OsloObject, path: Path, value: Any, found: Findings) -> timedelta | None:
    """An objective's ``timeSliceWindow``: a shorthand, or a number of minutes."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value <= 0:
            found.error(slo, path, "timeSliceWindow must be positive")
            return None
        return timedelta(minutes=value)
    try:
        duration, note = parse_shorthand(value)
    except ValueError as exc:
        found.error(slo, path, f"timeSliceWindow: {exc}")
        return None
    if note:
        found.warn(slo, path, f"timeSliceWindow {note}")
    if duration.fixed is None:
        found.error(
            slo,
            path,
            f"a time slice of {duration.describe()} has no fixed length; use m, h, d or w",
        )
        return None
    return duration.fixed
