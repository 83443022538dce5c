"""One OpenSLO objective becomes one Servanda :class:`Objective`: target, timeslices, metric.

Which metric:

* a ratio SLI is ``availability`` when the SLO's or SLI's names or descriptions say
  "availability" or "uptime", else ``good_ratio`` (the share of good events);
* a threshold SLI whose names say latency (latency, delay, duration, response time, RTT), with
  ``op`` ``lt``/``lte`` and Occurrences budgeting, is a ``latency`` percentile objective:
  "99 % of values below 500" is "p99 latency < 500 ms";
* any other threshold SLI is ``good_ratio``, a good event being one whose value meets
  ``op value`` (written into the description, with a warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from servanda.agreements.metrics import Metric
from servanda.agreements.model import Budgeting, Objective
from servanda.config.yaml_source import Path
from servanda.core.records import from_jsonable
from servanda.ingest.openslo.indicators import Indicator
from servanda.ingest.openslo.objects import Findings, OsloObject
from servanda.ingest.openslo.tables import (
    AVAILABILITY_WORDS,
    LATENCY_WORDS,
    OPERATORS,
    parse_number,
    plain,
)
from servanda.ingest.openslo.windows import Window, read_timeslice

OBJECTIVE_FIELDS = {
    "displayName",
    "op",
    "value",
    "target",
    "targetPercent",
    "timeSliceTarget",
    "timeSliceWindow",
    "indicator",
    "indicatorRef",
    "compositeWeight",
    "ratioMetrics",
}
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Context:
    """What the objectives of one SLO share."""

    slo: OsloObject
    window: Window
    budgeting: Budgeting
    method: str
    """The OpenSLO budgeting method."""
    words: str
    """The SLO's name, display name and description."""


def text(value: Any) -> str | None:
    """``value`` stripped, when it is non-empty text."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _target(slo: OsloObject, path: Path, item: dict[str, Any], found: Findings) -> Decimal | None:
    """The objective's target in percent."""
    values: list[Decimal] = []
    for key in ("target", "targetPercent"):
        if key not in item:
            continue
        try:
            number, as_text = parse_number(item[key])
        except ValueError as exc:
            found.error(slo, (*path, key), f"{key}: {exc}")
            return None
        if as_text:
            found.warn(slo, (*path, key), f"{key} written as text; read as the number {number}")
        if key == "target" and Decimal(1) < number <= HUNDRED:
            found.warn(
                slo,
                (*path, key),
                f"target {plain(number)} is above 1, so it cannot be "
                f"a fraction: read as targetPercent {plain(number)}",
            )
        elif key == "target":
            number *= HUNDRED
        if not Decimal(0) <= number <= HUNDRED:
            found.error(
                slo,
                (*path, key),
                "target is a fraction in [0, 1] and targetPercent a percentage in [0, 100]",
            )
            return None
        values.append(_clean(number))
    if not values:
        found.error(slo, path, "an objective needs target (0–1) or targetPercent (0–100)")
        return None
    if len(values) == 2:
        if values[0] != values[1]:
            found.error(
                slo,
                path,
                f"target and targetPercent disagree ({plain(values[0])} % "
                f"and {plain(values[1])} %); give one of them",
            )
            return None
        found.warn(
            slo, path, "both target and targetPercent given (OpenSLO allows one); they agree"
        )
    return values[0]


def _clean(number: Decimal) -> Decimal:
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def build_objective(
    ctx: Context,
    path: Path,
    item: dict[str, Any],
    objective_id: str,
    indicator: Indicator,
    found: Findings,
) -> Objective | None:
    """The objective at ``path`` of ``ctx.slo``, measured by ``indicator``; None (with the
    reasons recorded in ``found``) when it cannot be made."""
    slo = ctx.slo
    for key in item:
        if key not in OBJECTIVE_FIELDS:
            found.unmap(
                slo, (*path, key), f"field {key!r} has no Servanda equivalent; not imported"
            )
    if "compositeWeight" in item:
        found.unmap(
            slo,
            (*path, "compositeWeight"),
            "compositeWeight is not imported (composite SLOs are not)",
        )
    target = _target(slo, path, item, found)
    if target is None:
        return None
    shown = text(item.get("displayName"))
    fields: dict[str, Any] = {
        "id": objective_id,
        "period": ctx.window.period,
        "budgeting": ctx.budgeting,
        "series": indicator.name,
    }
    if not _timeslices(ctx, path, item, fields, found):
        return None
    words = f"{ctx.words} {indicator.words}"
    extra = None
    if indicator.kind == "ratio":
        for key in ("op", "value"):
            if key in item:
                found.unmap(
                    slo,
                    (*path, key),
                    f"{key} applies to threshold metrics only; for "
                    "a ratio the objective is met when good / total reaches the target",
                )
        match = AVAILABILITY_WORDS.search(words)
        fields["metric"] = Metric.AVAILABILITY if match else Metric.GOOD_RATIO
        fields["target"] = target
        if match:
            found.warn(
                slo,
                path,
                f"a ratio of good to total events, imported as availability "
                f"because its names say {match.group(0)!r}: the counts of series "
                f"{indicator.name!r} are its measurements, not outages",
            )
    else:
        threshold = _threshold(ctx, path, item, target, words, fields, found)
        if threshold is None:
            return None
        extra = threshold
    fields["description"] = _describe(ctx, shown, extra)
    try:
        return from_jsonable(Objective, fields)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            message = str(err["msg"]).removeprefix("Value error, ")
            found.error(slo, path, f"cannot be imported: {message}")
        return None


def _timeslices(
    ctx: Context, path: Path, item: dict[str, Any], fields: dict[str, Any], found: Findings
) -> bool:
    slo = ctx.slo
    if ctx.method == "Occurrences":
        for key in ("timeSliceWindow", "timeSliceTarget"):
            if key in item:
                found.unmap(
                    slo,
                    (*path, key),
                    f"{key} has no effect with Occurrences budgeting; not imported",
                )
        return True
    if "timeSliceWindow" not in item:
        found.error(slo, path, f"timeSliceWindow is required with {ctx.method} budgeting")
        return False
    fields["timeslice"] = read_timeslice(
        slo, (*path, "timeSliceWindow"), item["timeSliceWindow"], found
    )
    if fields["timeslice"] is None:
        return False
    if ctx.method == "RatioTimeslices":
        if "timeSliceTarget" in item:
            found.unmap(
                slo,
                (*path, "timeSliceTarget"),
                "timeSliceTarget plays no part in RatioTimeslices; not imported",
            )
        return True
    if "timeSliceTarget" not in item:
        found.warn(
            slo,
            path,
            "no timeSliceTarget (OpenSLO requires one with Timeslices); "
            "the objective has no timeslice_target: set one before relying on it",
        )
        return True
    key_path: Path = (*path, "timeSliceTarget")
    try:
        number, _ = parse_number(item["timeSliceTarget"])
    except ValueError as exc:
        found.error(slo, key_path, f"timeSliceTarget: {exc}")
        return False
    if Decimal(1) < number <= HUNDRED:
        found.warn(
            slo, key_path, f"timeSliceTarget {plain(number)} is above 1: read as a percentage"
        )
    elif Decimal(0) < number <= Decimal(1):
        number *= HUNDRED
    else:
        found.error(slo, key_path, "timeSliceTarget is a fraction in (0, 1]")
        return False
    fields["timeslice_target"] = _clean(number)
    return True


def _threshold(
    ctx: Context,
    path: Path,
    item: dict[str, Any],
    target: Decimal,
    words: str,
    fields: dict[str, Any],
    found: Findings,
) -> str | None:
    """Fill in a threshold objective; returns the sentence saying what a good event is."""
    slo = ctx.slo
    op = item.get("op")
    if op not in OPERATORS:
        found.error(slo, (*path, "op"), "a threshold metric needs op: lt, lte, gt or gte")
        return None
    if "value" not in item:
        found.error(slo, path, "a threshold metric needs value, the threshold")
        return None
    try:
        value, _ = parse_number(item["value"])
    except ValueError as exc:
        found.error(slo, (*path, "value"), f"value: {exc}")
        return None
    comparator = OPERATORS[op]
    good = f"a good event has a value {comparator.value} {plain(value)}"
    latency = LATENCY_WORDS.search(words)
    if latency and op in ("lt", "lte") and ctx.method == "Occurrences" and 0 < target < HUNDRED:
        fields.update(metric=Metric.LATENCY, percentile=target, comparator=comparator, target=value)
        found.warn(
            slo,
            (*path, "value"),
            f"a threshold metric named {latency.group(0)!r}: "
            f"'{plain(target)} % of values {comparator.value} {plain(value)}' imported as "
            f"p{plain(target)} latency {comparator.value} {plain(value)} ms (OpenSLO "
            "values carry no unit: milliseconds assumed)",
        )
        return ""
    why = (
        "its names do not say latency"
        if not latency
        else f"op {op} makes higher values good"
        if op in ("gt", "gte")
        else f"{ctx.method} budgeting counts slices, not values"
        if ctx.method != "Occurrences"
        else "its target is no percentile"
    )
    fields.update(metric=Metric.GOOD_RATIO, target=target)
    found.warn(
        slo,
        path,
        f"threshold metric imported as good_ratio ({why}): {good}; series "
        f"{fields['series']!r} must count good and total events",
    )
    return good[0].upper() + good[1:] + "."


def _describe(ctx: Context, shown: str | None, extra: str | None) -> str:
    head = ctx.slo.display_name + (f" ({shown})" if shown else "")
    said = text(ctx.slo.spec.get("description"))
    out = f"{head}: {said}" if said else head
    if not out.endswith((".", "!", "?")):
        out += "."
    return f"{out} {extra}" if extra else out
