"""Plain-language descriptions of calendars, for agreement documents.

``describe_service_hours`` gives e.g. "Mon–Fri 08:00–18:00, Sat 09:00–12:00 and 14:00–17:00
(Europe/Paris), except public holidays in France"; ``describe_window`` gives e.g. "every Sunday
02:00–04:00 (Weekly security patching)". Rules that are not common enough to phrase are shown as
their RRULE text. English only, independent of the process locale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from servanda.calendars.holiday_dates import country_name
from servanda.calendars.model import Calendar, CriticalWindow, HolidayRule, MaintenanceWindow
from servanda.calendars.recurrence import local_anchor, rule_parts
from servanda.calendars.weekly import (
    DAY_NAMES,
    DAY_TITLES,
    DAYS,
    MINUTES_PER_DAY,
    day_groups,
    format_minutes,
    runs,
)
from servanda.core.durations import format_duration

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BYDAY = {d[:2].upper(): i for i, d in enumerate(DAYS)}
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_PHRASED = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}


def format_date(day: date) -> str:
    """``7 Jan 2024``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_words(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _time_range(start: int, end: int) -> str:
    if start == 0 and end == MINUTES_PER_DAY:
        return "all day"
    shown = end if end <= MINUTES_PER_DAY else end - MINUTES_PER_DAY
    return f"{format_minutes(start)}–{format_minutes(shown)}"


def _days(days: tuple[int, ...]) -> str:
    if len(days) == 7:
        return "every day"
    parts = [DAY_TITLES[a] if a == b else f"{DAY_TITLES[a]}–{DAY_TITLES[b]}" for a, b in runs(days)]
    return ", ".join(parts)


def describe_holidays(rule: HolidayRule | None) -> str:
    """``except public holidays in France and on 2 May 2024``, or ``""`` without holidays."""
    if rule is None or not (rule.country or rule.dates):
        return ""
    parts: list[str] = []
    if rule.country:
        where = country_name(rule.country)
        if rule.subdivision:
            where += f" ({rule.subdivision})"
        parts.append(f"public holidays in {where}")
    if rule.dates:
        parts.append("on " + join_words([format_date(d) for d in rule.dates]))
    text = "except " + " and ".join(parts)
    if rule.exclude and rule.country:
        text += " (working on " + join_words([format_date(d) for d in rule.exclude]) + ")"
    return text


def describe_service_hours(cal: Calendar) -> str:
    """The service hours in words, with the time zone and the holidays."""
    hours = cal.service_hours
    if hours.always:
        text = f"24 hours a day, 7 days a week ({cal.timezone})"
    else:
        groups = [
            f"{_days(days)} " + " and ".join(_time_range(s, e) for s, e in ranges)
            for days, ranges in day_groups(hours)
        ]
        several_runs = any(len(runs(days)) > 1 for days, _ in day_groups(hours))
        text = ("; " if several_runs else ", ").join(groups) + f" ({cal.timezone})"
    holidays = describe_holidays(cal.holidays)
    return f"{text}, {holidays}" if holidays else text


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _window_time(start: datetime, duration: timedelta) -> str:
    if duration >= timedelta(days=1):
        return f"from {_clock(start)} for {format_duration(duration)}"
    end = start + duration
    shown = "24:00" if end.time() == datetime.min.time() else _clock(end)
    return f"{_clock(start)}–{shown}"


def _weekdays(codes: list[str]) -> list[int] | None:
    days = [_BYDAY.get(c) for c in codes]
    return None if any(d is None for d in days) else sorted(d for d in days if d is not None)


def _ordinal_day(code: str) -> str | None:
    """``1MO`` → ``first Monday``, ``-1SU`` → ``last Sunday``."""
    n, day = code[:-2], code[-2:]
    try:
        nth = int(n)
    except ValueError:
        return None
    if nth not in _ORDINAL_WORDS or day not in _BYDAY:
        return None
    return f"{_ORDINAL_WORDS[nth]} {DAY_NAMES[_BYDAY[day]]}"


def _day_names(days: list[int]) -> str:
    return join_words([DAY_NAMES[d] for d in days])


def _recurrence(rule: str, anchor: datetime) -> str | None:
    """The recurrence in words, or ``None`` when the rule is not a common one."""
    parts = rule_parts(rule)
    if not set(parts) <= _PHRASED:
        return None
    freq = parts["FREQ"]
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return None
    byday = [c for c in parts.get("BYDAY", "").split(",") if c]
    bymonthday = [c for c in parts.get("BYMONTHDAY", "").split(",") if c]
    text: str | None = None
    if freq in ("DAILY", "WEEKLY") and not bymonthday:
        if freq == "DAILY" and not byday:
            text = "every day" if interval == 1 else f"every {interval} days"
        elif freq == "WEEKLY" or interval == 1:
            chosen = _weekdays(byday) if byday else [anchor.weekday()]
            if chosen is not None:
                names = "weekday" if chosen == [0, 1, 2, 3, 4] else _day_names(chosen)
                if interval == 1:
                    text = f"every {names}"
                elif interval == 2:
                    text = f"every other {names}"
                else:
                    text = f"every {interval} weeks on {names}"
    elif freq == "MONTHLY":
        month = {1: "every month", 2: "every other month"}.get(interval, f"every {interval} months")
        if len(bymonthday) == 1 and not byday:
            day = int(bymonthday[0])
            if day == -1:
                text = f"on the last day of {month}"
            elif day > 0:
                text = f"on the {ordinal(day)} of {month}"
        elif len(byday) == 1 and not bymonthday:
            named = _ordinal_day(byday[0])
            if named is not None:
                text = f"on the {named} of {month}"
        elif not byday and not bymonthday:
            text = f"on the {ordinal(anchor.day)} of {month}"
    elif freq == "YEARLY" and not byday and not bymonthday and interval == 1:
        text = f"every year on {anchor.day} {MONTHS[anchor.month - 1]}"
    if text is None:
        return None
    if "COUNT" in parts:
        text += f" ({parts['COUNT']} times from {format_date(anchor.date())})"
    if "UNTIL" in parts:
        until = parts["UNTIL"][:8]
        if until.isdigit():
            text += f" until {format_date(date(int(until[:4]), int(until[4:6]), int(until[6:])))}"
    return text


def describe_window(window: MaintenanceWindow | CriticalWindow, timezone: str | None = None) -> str:
    """A window in words, e.g. ``every Sunday 02:00–04:00 (Weekly security patching)``.

    Times are on the calendar's local clock, as the window was written; give the calendar's
    ``timezone`` to show a window written with an aware start on that clock.
    """
    anchor = (
        local_anchor(window.start, timezone)
        if timezone is not None
        else window.start.replace(tzinfo=None)
    )
    if isinstance(window, MaintenanceWindow):
        label = window.reason
    else:
        label = f"{window.title}, weight {window.weight.normalize():f}"
    when = _window_time(anchor, window.duration)
    if window.rrule is None:
        if when.startswith("from "):
            return f"from {format_date(anchor.date())} {when[5:]} ({label})"
        return f"on {format_date(anchor.date())} {when} ({label})"
    phrase = _recurrence(window.rrule, anchor)
    if phrase is None:
        phrase = f"repeating by RRULE {window.rrule} from {format_date(anchor.date())},"
    return f"{phrase} {when} ({label})"
