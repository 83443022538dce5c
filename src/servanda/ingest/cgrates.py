"""Importing a CGRateS tariff plan (the classic CSV files) as Servanda tariffs.

Read: ``Destinations.csv`` (``Id,Prefix``), ``Rates.csv`` (``Id,ConnectFee,Rate,RateUnit,
RateIncrement,GroupIntervalStart``), ``DestinationRates.csv`` (``Id,DestinationId,RatesTag,
RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy``), ``Timings.csv`` (``Id,Years,
Months,MonthDays,WeekDays,Time``), ``RatingPlans.csv`` (``Id,DestinationRatesId,TimingTag,
Weight``) and ``RatingProfiles.csv`` (``Tenant,Category,Subject,ActivationTime,RatingPlanId,
RatesFallbackSubject``). Lines starting with ``#`` are comments.

What maps to what:

* a rating plan is a tariff (its id lower-cased into Servanda's id pattern), active from the
  earliest activation of the profiles using it;
* its timings are bands, heaviest first: a timing's week days from its start time until the
  next start time of the plan's timings on those days (``*any``: always);
* a destination rate in a timing is a rate: its destination's prefixes are a destination
  group (``*any``: any destination), its rate rows are slots (``GroupIntervalStart`` →
  ``from``, ``RateUnit`` → ``unit``, ``RateIncrement`` → ``increment``, ``Rate`` → ``price``),
  the first row's ``ConnectFee`` the connect fee, ``MaxCost`` with ``*free`` or
  ``*disconnect`` the maximum cost;
* ``RoundingMethod`` and ``RoundingDecimals`` are the record rounding (``*up`` → up, ``*down``
  → down, ``*middle`` → half-up), and every increment is rounded half-up to 5 decimals, as
  CGRateS rounds each increment's cost to its ``rounding_decimals`` (5 by default);
* a rating profile is a rating profile: its subject the account (``*any``: any account), its
  category ``call``, ``sms``, ``data`` or ``other``, its activation time ``active_from``.

What cannot be expressed is reported, located at its file and line: timings restricted to
years, months or days of the month; fallback subjects; different roundings in one plan (the
first is kept); a destination priced twice in one band (the heavier rate is kept). One
difference stays: offline, Servanda caps a ``*disconnect`` record at its maximum cost, where
CGRateS leaves the cost uncapped and limits the session's duration instead.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from servanda.accounting.tariffs import RatingProfile, Tariff
from servanda.core.durations import parse_duration
from servanda.core.problems import Location, Problem, Severity
from servanda.core.records import from_jsonable, to_jsonable

FILES = ("Destinations", "Rates", "DestinationRates", "Timings", "RatingPlans", "RatingProfiles")
ROUNDING = {"*up": "up", "*down": "down", "*middle": "half_up"}
CATEGORIES = {"call": "call", "sms": "sms", "data": "data", "generic": "other"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Servanda's days; CGRateS numbers them as Go does (0 Sunday … 6 Saturday)."""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class Row:
    """One CSV row and where it is."""

    values: list[str]
    file: str
    line: int

    def at(self, column: int | None = None) -> Location:
        return Location(self.file, self.line, None if column is None else column + 1)


@dataclass
class Imported:
    """What the import produced."""

    tariffs: list[Tariff] = field(default_factory=list)
    profiles: list[RatingProfile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The Servanda configuration document (``tariffs:``, ``rating_profiles:``)."""
        return {
            "tariffs": [to_jsonable(t) for t in self.tariffs],
            "rating_profiles": [to_jsonable(p) for p in self.profiles],
        }


def _id(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]", "-", text.strip()).strip("-").lower()
    return cleaned or "x"


def _rows(directory: Path, name: str, problems: list[Problem]) -> list[Row]:
    path = directory / f"{name}.csv"
    if not path.exists():
        problems.append(Problem(f"{name}.csv is missing", Location(str(path))))
        return []
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, values in enumerate(csv.reader(handle), start=1):
            if not values or values[0].lstrip().startswith("#") or not "".join(values).strip():
                continue
            rows.append(Row([v.strip() for v in values], str(path), number))
    return rows


def _decimal(row: Row, column: int, problems: list[Problem]) -> Decimal | None:
    try:
        return Decimal(row.values[column]) if row.values[column] else Decimal(0)
    except (InvalidOperation, IndexError):
        problems.append(Problem("not a number", row.at(column)))
        return None


def _duration(text: str) -> str:
    """A CGRateS duration (``60s``, ``1m``, ``0``) as Servanda writes one."""
    return text if text and not text.isdigit() else f"{text or 0}s"


def import_tariff_plan(directory: str | Path, *, currency: str = "EUR") -> Imported:
    """Read a CGRateS tariff plan directory (see the module)."""
    root = Path(directory)
    out = Imported()
    p = out.problems
    data = {name: _rows(root, name, p) for name in FILES}
    prefixes: dict[str, list[str]] = defaultdict(list)
    for row in data["Destinations"]:
        if len(row.values) < 2:
            p.append(Problem("a destination is Id,Prefix", row.at()))
            continue
        prefixes[row.values[0]].append(row.values[1])
    rates: dict[str, list[tuple[Decimal, dict[str, str], Decimal]]] = defaultdict(list)
    for row in data["Rates"]:
        if len(row.values) < 6:
            p.append(Problem("a rate is Id,ConnectFee,Rate,RateUnit,RateIncrement,"
                             "GroupIntervalStart", row.at()))  # fmt: skip
            continue
        fee, price = _decimal(row, 1, p), _decimal(row, 2, p)
        if fee is None or price is None:
            continue
        start = _duration(row.values[5])
        slot = {"price": str(price), "unit": _duration(row.values[3]),
                "increment": _duration(row.values[4]), "from": start}  # fmt: skip
        rates[row.values[0]].append((Decimal(parse_duration(start).total_seconds()), slot, fee))
    destination_rates: dict[str, Row] = {row.values[0]: row for row in data["DestinationRates"]}
    timings: dict[str, Row] = {row.values[0]: row for row in data["Timings"]}
    plans: dict[str, list[Row]] = defaultdict(list)
    for row in data["RatingPlans"]:
        plans[row.values[0]].append(row)
    activation: dict[str, datetime] = {}
    tenants: set[str] = set()
    for row in data["RatingProfiles"]:
        if len(row.values) < 5:
            p.append(Problem("a rating profile is Tenant,Category,Subject,ActivationTime,"
                             "RatingPlanId,RatesFallbackSubject", row.at()))  # fmt: skip
            continue
        tenant, category, subject, when, plan = row.values[:5]
        tenants.add(tenant)
        try:
            active = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            p.append(Problem(f"not a time: {when!r}", row.at(3)))
            continue
        if active.tzinfo is None:
            active = active.replace(tzinfo=UTC)
        activation[plan] = min(activation.get(plan, active), active)
        if len(row.values) > 5 and row.values[5]:
            p.append(Problem("fallback subjects are not imported", row.at(5),
                             severity=Severity.WARNING))  # fmt: skip
        if plan not in plans:
            p.append(Problem(f"unknown rating plan {plan!r}", row.at(4)))
            continue
        mapped = CATEGORIES.get(category)
        if mapped is None:
            p.append(Problem(f"category {category!r} imported as other", row.at(1),
                             severity=Severity.WARNING))  # fmt: skip
            mapped = "other"
        out.profiles.append(
            from_jsonable(RatingProfile, {
                "tariff": _id(plan), "category": mapped, "active_from": active.isoformat(),
                "account": None if subject == "*any" else _id(subject),
            })
        )  # fmt: skip
    if len(tenants) > 1:
        p.append(Problem(f"several tenants ({', '.join(sorted(tenants))}) imported as one",
                         Location(str(root / "RatingProfiles.csv")),
                         severity=Severity.WARNING))  # fmt: skip
    for plan, rows in plans.items():
        tariff = _plan(plan, rows, prefixes, rates, destination_rates, timings, currency,
                       activation.get(plan, EPOCH), p)  # fmt: skip
        if tariff is not None:
            out.tariffs.append(tariff)
    return out


def _bands(
    tags: list[tuple[str, Decimal]], timings: dict[str, Row], problems: list[Problem]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The plan's bands (heaviest timing first) and each timing's band id."""
    starts: dict[str, tuple[list[int], int]] = {}
    for tag, _ in tags:
        if tag == "*any":
            continue
        row = timings.get(tag)
        if row is None or len(row.values) < 6:
            problems.append(Problem(f"unknown timing {tag!r}", Location()))
            continue
        years, months, month_days, week_days, start = row.values[1:6]
        for i, v in ((1, years), (2, months), (3, month_days)):
            if v not in ("", "*any"):
                problems.append(Problem("timings restricted to years, months or days of the "
                                        "month are not imported", row.at(i)))  # fmt: skip
        days = (
            list(range(7))
            if week_days in ("", "*any")
            else sorted({(int(d) - 1) % 7 for d in week_days.split(";") if d.strip().isdigit()})
        )
        hh, mm, *_ = (start if start not in ("", "*any") else "00:00:00").split(":")
        starts[tag] = (days, int(hh) * 60 + int(mm))
    bands: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for tag, _ in sorted(tags, key=lambda t: -t[1]):
        if tag in ids:
            continue
        if tag == "*any" or tag not in starts:
            ids[tag] = "any"
            continue
        days, begin = starts[tag]
        hours: dict[str, list[str]] = {}
        for day in days:
            later = [
                m for d, m in (starts[o] for o in starts if o != tag) if day in d and m > begin
            ]
            end = min(later, default=24 * 60)
            hours.setdefault(DAYS[day], []).append(
                f"{begin // 60:02d}:{begin % 60:02d}-{end // 60:02d}:{end % 60:02d}"
            )
        ids[tag] = _id(tag)
        bands.append({"id": ids[tag], "hours": hours})
    bands.append({"id": "any"})
    return bands, ids


def _plan(
    plan: str,
    rows: list[Row],
    prefixes: dict[str, list[str]],
    rates: dict[str, list[tuple[Decimal, dict[str, str], Decimal]]],
    destination_rates: dict[str, Row],
    timings: dict[str, Row],
    currency: str,
    active: datetime,
    p: list[Problem],
) -> Tariff | None:
    tags = []
    for row in rows:
        weight = Decimal(row.values[3]) if len(row.values) > 3 and row.values[3] else Decimal(0)
        tags.append((row.values[2] if len(row.values) > 2 else "*any", weight))
    bands, band_of = _bands(tags, timings, p)
    groups: dict[str, list[str]] = {}
    priced: dict[tuple[str, str], Decimal] = {}
    out_rates: list[dict[str, Any]] = []
    rounding: dict[str, Any] | None = None
    for row, (tag, weight) in sorted(zip(rows, tags, strict=True), key=lambda x: -x[1][1]):
        dr = destination_rates.get(row.values[1])
        if dr is None:
            p.append(Problem(f"unknown destination rate {row.values[1]!r}", row.at(1)))
            continue
        destination, rates_tag = dr.values[1], dr.values[2]
        group = "*" if destination == "*any" else _id(destination)
        if group != "*":
            if destination not in prefixes:
                p.append(Problem(f"unknown destination {destination!r}", dr.at(1)))
                continue
            groups[group] = prefixes[destination]
        band = band_of.get(tag, "any")
        # *any: every band a heavier timing does not price for this destination.
        covered = [b["id"] for b in bands] if band == "any" else [band]
        free = [b for b in covered if (group, b) not in priced]
        if not free:
            p.append(Problem(f"{destination} is priced twice in timing {tag}; the heavier "
                             "rate is kept", row.at(), severity=Severity.WARNING))  # fmt: skip
            continue
        priced.update(((group, b), weight) for b in free)
        slots = sorted(rates.get(rates_tag, []), key=lambda r: r[0])
        if not slots:
            p.append(Problem(f"unknown rate {rates_tag!r}", dr.at(2)))
            continue
        method = ROUNDING.get(dr.values[3] if len(dr.values) > 3 else "*middle")
        decimals = int(dr.values[4]) if len(dr.values) > 4 and dr.values[4].isdigit() else 4
        if method is None:
            p.append(Problem(f"unknown rounding method {dr.values[3]!r}", dr.at(3)))
            method = "half_up"
        found = {"method": method, "decimals": decimals, "point": "record"}
        if rounding is None:
            rounding = found
        elif found != rounding:
            p.append(Problem("a plan's destination rates round differently; the first rounding "
                             "is kept", dr.at(3), severity=Severity.WARNING))  # fmt: skip
        rate: dict[str, Any] = {
            "destinations": [group], "bands": free, "connect_fee": str(slots[0][2]),
            "slots": [s for _, s, _ in slots],
        }  # fmt: skip
        max_cost = Decimal(dr.values[5]) if len(dr.values) > 5 and dr.values[5] else Decimal(0)
        if max_cost > 0:
            strategy = dr.values[6] if len(dr.values) > 6 else ""
            beyond = "disconnect" if strategy == "*disconnect" else "free"
            rate["max_cost"] = {"amount": str(max_cost), "strategy": beyond}
        out_rates.append(rate)
    if not out_rates:
        p.append(Problem(f"rating plan {plan!r} prices nothing", rows[0].at()))
        return None
    try:
        return from_jsonable(Tariff, {
            "id": _id(plan), "active_from": active.isoformat(), "currency": currency,
            "bands": bands, "destinations": [{"id": g, "prefixes": v} for g, v in groups.items()],
            "rates": out_rates, "rounding": rounding,
            "increment_rounding": {"method": "half_up", "decimals": 5, "point": "increment"},
            "name": f"CGRateS rating plan {plan}",
        })  # fmt: skip
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            p.append(Problem(f"rating plan {plan}: {err['msg']}", rows[0].at()))
        return None
