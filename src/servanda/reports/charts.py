"""Inline SVG charts for the SLA report: no JavaScript, no external asset, the same on screen and
in the PDF.

* :func:`availability_chart` — daily plain and experience-weighted availability as two lines,
  with the targets as horizontal lines;
* :func:`budget_chart` — the error budget left, day by day, from 100 % down, with zero marked
  and the line of even spending for reference;
* :func:`timeline_chart` — the period as two bands: the upper one shows every outage (full
  height for a full outage, the affected share's height for a partial one, hatched for planned
  maintenance); the lower one shows how much each outage counted in the experience-weighted
  figure (a minute at normal weight reaches the dashed ×1 line, a minute in a critical
  business window reaches higher; what counted nothing is not drawn);
* :func:`feedback_chart` — satisfaction month by month above the availability of the same
  months.

Each function is pure and returns SVG text. Every text is escaped; coordinates are rounded to
two decimals; empty or missing data draws an empty frame with a sentence, never NaN. Element
ids start with the ``ident`` given, so several charts can sit in one HTML page. Elements carry
classes (``line-plain``, ``outage``, ``weighted`` …) that tests and style sheets can select.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from servanda.calendars.describe import MONTHS
from servanda.reports.sla_model import (
    DailyPoint,
    FeedbackMonth,
    TimelineEntry,
    TimeWindow,
    WindowKind,
)

WIDTH = 680
"""Width of every chart in SVG units (it scales to the page)."""
PLAIN = "#1f5f8b"
"""Colour of plain availability and downtime."""
WEIGHTED = "#b35900"
"""Colour of experience-weighted figures."""
TARGET = "#2f3a42"
MUTED = "#5b6670"
GRID = "#d5dbe0"
CRITICAL = "#f6e3cf"
MAINTENANCE = "#e4ebf0"
FONT = "DejaVu Sans, Helvetica Neue, Arial, sans-serif"


def _n(value: float) -> str:
    """A coordinate: rounded to two decimals, no trailing zeros, never NaN."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite coordinate: {value}")
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _esc(text: str) -> str:
    return escape(text, quote=True)


def _ident(text: str) -> str:
    """``text`` made fit for an XML id."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")
    return cleaned if cleaned and cleaned[0].isalpha() else f"c-{cleaned}"


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _day_label(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    cls: str = "",
    size: float | None = None,
    fill: str = MUTED,
    vertical: bool = False,
) -> str:
    attrs = f'x="{_n(x)}" y="{_n(y)}"'
    if vertical:
        attrs += f' transform="rotate(-90 {_n(x)} {_n(y)})"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if cls:
        attrs += f' class="{cls}"'
    if size is not None:
        attrs += f' font-size="{_n(size)}"'
    return f'<text {attrs} fill="{fill}">{_esc(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, cls: str, style: str) -> str:
    return f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" {style}/>'


def _svg(ident: str, height: int, title: str, kind: str, body: Iterable[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{ident}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title" font-family="{FONT}" font-size="11">'
    )
    return "\n".join([head, f'<title id="{ident}-title">{_esc(title)}</title>', *body, "</svg>"])


def _day_ticks(count: int, most: int = 8) -> list[int]:
    """Indexes of the days to label: the first, then every k-th, at most ``most``."""
    if count <= 0:
        return []
    step = max(1, math.ceil(count / most))
    return list(range(0, count, step))


def _nice_step(span: Decimal, most: int, *, whole: bool = True) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that splits ``span`` into at most ``most`` steps
    — a whole number of them with ``whole`` (``span`` itself when none does)."""
    if span <= 0:
        return Decimal(1)
    exponent = Decimal(10) ** (span.adjusted() - 1)
    for factor in (1, 2, Decimal("2.5"), 5, 10, 20, 25, 50, 100):
        step = exponent * factor
        count = span / step
        if count <= most and (not whole or count == count.to_integral_value()):
            return step
    return span


class _Plot:
    """The plotting area of a chart with a day axis and a value axis."""

    def __init__(
        self, left: float, top: float, width: float, height: float, lo: Decimal, hi: Decimal
    ) -> None:
        self.left, self.top, self.width, self.height = left, top, width, height
        self.lo, self.hi = lo, hi

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width

    def y(self, value: Decimal) -> float:
        span = float(self.hi - self.lo)
        share = float(value - self.lo) / span if span else 0.0
        return self.bottom - self.height * share

    def value_axis(self, step: Decimal, unit: str) -> list[str]:
        """Grid lines and labels from ``lo`` to ``hi`` every ``step``."""
        out = []
        value = self.lo
        while value <= self.hi:
            y = self.y(value)
            out.append(
                _line(self.left, y, self.right, y, "grid", f'stroke="{GRID}" stroke-width="1"')
            )
            label = f"{_number(value)} {unit}".rstrip()
            out.append(_text(self.left - 6, y + 4, label, anchor="end", cls="tick-label"))
            value += step
        return out

    def frame(self) -> str:
        return (
            f'<rect class="frame" x="{_n(self.left)}" y="{_n(self.top)}" '
            f'width="{_n(self.width)}" height="{_n(self.height)}" fill="none" '
            f'stroke="{GRID}"/>'
        )


def _series_paths(
    xs: Sequence[float], values: Sequence[float | None], cls: str, style: str
) -> list[str]:
    """One path per run of values without a gap; a lone value becomes a dot."""
    out: list[str] = []
    run: list[tuple[float, float]] = []

    def flush() -> None:
        if len(run) == 1:
            x, y = run[0]
            out.append(f'<circle class="{cls} dot" cx="{_n(x)}" cy="{_n(y)}" r="2.5" {style}/>')
        elif run:
            d = " ".join(f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(run))
            out.append(f'<path class="{cls}" d="{d}" fill="none" {style}/>')
        run.clear()

    for x, y in zip(xs, values, strict=True):
        if y is None:
            flush()
        else:
            run.append((x, y))
    flush()
    return out


def _legend(items: Sequence[tuple[str, str]], y: float, left: float = 60) -> list[str]:
    """Legend entries laid out in one row: (swatch SVG at 0,0, label)."""
    out = []
    x = left
    for swatch, label in items:
        out.append(f'<g class="legend-item" transform="translate({_n(x)},{_n(y)})">{swatch}')
        out.append(_text(30, 4, label, fill=TARGET) + "</g>")
        x += 40 + 6.2 * len(label)
    return out


def _axis_title(plot: _Plot, text: str) -> str:
    middle = plot.top + plot.height / 2
    return _text(14, middle, text, anchor="middle", cls="axis-title", vertical=True)


_AVAILABILITY_FLOORS = tuple(
    Decimal(v) for v in ("99.9", "99.5", "99", "98", "95", "90", "80", "60", "0")
)


def availability_chart(
    points: Sequence[DailyPoint],
    targets: Sequence[tuple[str, Decimal]] = (),
    *,
    ident: str = "availability",
    title: str = "Availability by day",
) -> str:
    """Daily plain and experience-weighted availability as two lines, each target as a
    horizontal dashed line labelled with its name (e.g. ``("target", Decimal("99.9"))``).

    Days without a figure leave a gap in their line. The value axis runs from a round floor
    below the lowest figure (or target) to 100 %.
    """
    ident = _ident(ident)
    days = sorted(points, key=lambda p: p.day)
    figures = [
        v
        for p in days
        for v in (p.availability, p.weighted_availability)
        if v is not None and v.is_finite()
    ]
    figures += [t for _, t in targets if t.is_finite()]
    low = min(figures, default=Decimal(100))
    lo = next((f for f in _AVAILABILITY_FLOORS if f < low), Decimal(0))
    hi = max([Decimal(100), *figures])
    plot = _Plot(70, 16, WIDTH - 70 - 20, 170, lo, hi)
    body = [*plot.value_axis(_nice_step(hi - lo, 5), "%"), plot.frame()]
    count = len(days)
    slot = plot.width / count if count else 0.0
    xs = [plot.left + slot * (i + 0.5) for i in range(count)]
    for i in _day_ticks(count):
        body.append(_line(xs[i], plot.bottom, xs[i], plot.bottom + 4, "tick", f'stroke="{MUTED}"'))
        body.append(
            _text(xs[i], plot.bottom + 16, _day_label(days[i].day), anchor="middle", cls="day")
        )
    if not any(p.availability is not None or p.weighted_availability is not None for p in days):
        body.append(
            _text(
                plot.left + plot.width / 2,
                plot.top + plot.height / 2,
                "No daily figures for this period.",
                anchor="middle",
                cls="empty",
            )
        )
    for name, value in targets:
        if not value.is_finite():
            continue
        y = plot.y(value)
        style = f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="2 3"'
        body.append(_line(plot.left, y, plot.right, y, "target", style))
        label = f"{name} {_number(value)} %"
        below = y - plot.top < 14
        ty = y + 12 if below else y - 4
        body.append(_text(plot.right - 4, ty, label, anchor="end", cls="target-label"))

    def as_y(values: Iterable[Decimal | None]) -> list[float | None]:
        return [None if v is None or not v.is_finite() else plot.y(v) for v in values]

    plain_style = f'stroke="{PLAIN}" stroke-width="2"'
    weighted_style = f'stroke="{WEIGHTED}" stroke-width="2" stroke-dasharray="6 3"'
    body += _series_paths(xs, as_y(p.availability for p in days), "line-plain", plain_style)
    body += _series_paths(
        xs, as_y(p.weighted_availability for p in days), "line-weighted", weighted_style
    )
    body.append(_axis_title(plot, "Availability per day"))
    body += _legend(
        [
            (_line(0, 0, 24, 0, "swatch", plain_style), "availability"),
            (_line(0, 0, 24, 0, "swatch", weighted_style), "experience-weighted availability"),
            (
                _line(
                    0,
                    0,
                    24,
                    0,
                    "swatch",
                    f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="2 3"',
                ),
                "target",
            ),
        ],
        plot.bottom + 40,
    )
    return _svg(ident, 240, title, "availability", body)


def budget_chart(
    points: Sequence[DailyPoint],
    *,
    ident: str = "budget",
    title: str = "Error budget left",
) -> str:
    """The share of the error budget left at the end of each day, starting from 100 % at the
    start of the period; 0 % (budget used up) is marked, and a dotted line shows where even
    spending over the period would be."""
    ident = _ident(ident)
    days = sorted(points, key=lambda p: p.day)
    values = [p.budget_remaining for p in days if p.budget_remaining is not None]
    values = [v for v in values if v.is_finite()]
    lo = min([Decimal(0), *values])
    hi = max([Decimal(100), *values])
    step = _nice_step(hi - lo, 6, whole=False)
    lo = (lo / step).to_integral_value(rounding="ROUND_FLOOR") * step
    hi = (hi / step).to_integral_value(rounding="ROUND_CEILING") * step
    plot = _Plot(70, 16, WIDTH - 70 - 20, 170, lo, hi)
    body = [*plot.value_axis(step, "%"), plot.frame()]
    count = len(days)
    slot = plot.width / count if count else 0.0
    ends = [plot.left + slot * (i + 1) for i in range(count)]
    for i in _day_ticks(count):
        x = plot.left + slot * (i + 0.5)
        body.append(_line(x, plot.bottom, x, plot.bottom + 4, "tick", f'stroke="{MUTED}"'))
        body.append(_text(x, plot.bottom + 16, _day_label(days[i].day), anchor="middle", cls="day"))
    zero = plot.y(Decimal(0))
    body.append(
        _line(plot.left, zero, plot.right, zero, "zero", f'stroke="{TARGET}" stroke-width="1.5"')
    )
    body.append(_text(plot.left + 4, zero - 4, "0 %: budget used up", cls="zero-label"))
    even_style = f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="1 3"'
    if count:
        body.append(_line(plot.left, plot.y(Decimal(100)), plot.right, zero, "even", even_style))
    if not values:
        body.append(
            _text(
                plot.left + plot.width / 2,
                plot.top + plot.height / 4,
                "No error budget figures for this period.",
                anchor="middle",
                cls="empty",
            )
        )
    xs: list[float] = []
    ys: list[float | None] = []
    if days and days[0].budget_remaining is not None:
        xs.append(plot.left)
        ys.append(plot.y(Decimal(100)))
    for x, p in zip(ends, days, strict=True):
        v = p.budget_remaining
        xs.append(x)
        ys.append(None if v is None or not v.is_finite() else plot.y(v))
    style = f'stroke="{PLAIN}" stroke-width="2"'
    body += _series_paths(xs, ys, "line-budget", style)
    body.append(_axis_title(plot, "Budget left"))
    body += _legend(
        [
            (_line(0, 0, 24, 0, "swatch", style), "budget left at the end of the day"),
            (_line(0, 0, 24, 0, "swatch", even_style), "even spending over the period"),
        ],
        plot.bottom + 40,
    )
    return _svg(ident, 240, title, "budget", body)


def _local_midnights(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, datetime]]:
    """Each local day starting in ``[start, end)`` with its midnight, in order."""
    day = start.astimezone(zone).date()
    out: list[tuple[date, datetime]] = []
    while True:
        midnight = datetime.combine(day, time(0), zone)
        if midnight >= end:
            return out
        if midnight >= start:
            out.append((day, midnight))
        day += timedelta(days=1)


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{_day_label(local.date())} {local:%H:%M}"


def _outage_words(entry: TimelineEntry, end: datetime, zone: ZoneInfo) -> str:
    kind = "planned maintenance" if entry.planned else "outage"
    if entry.fraction < 1:
        kind = f"partial {kind}, {_number(entry.fraction * 100)} % affected"
    until = _clock(entry.end, zone) if entry.end is not None else f"ongoing at {_clock(end, zone)}"
    text = f"{_clock(entry.start, zone)} to {until}: {kind}"
    return text + (f" ({entry.incident})" if entry.incident else "")


MIN_BAR = 4.0
"""Narrowest bar drawn, so a short outage over a long period stays visible."""
MAX_MARKERS = 20
"""Outages are numbered above their bar (as in the report's outage table) up to this many."""


def timeline_chart(
    entries: Sequence[TimelineEntry],
    start: datetime,
    end: datetime,
    timezone: str,
    windows: Sequence[TimeWindow] = (),
    *,
    ident: str = "timeline",
    title: str = "Outages over the period",
) -> str:
    """The outages of ``[start, end)`` drawn on two bands (see the module documentation), days
    labelled in ``timezone``; critical business windows are shaded behind the lower band and
    maintenance windows behind the upper one. Each bar carries a tooltip in words and, up to
    :data:`MAX_MARKERS` outages, its number in start order above it."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    ident = _ident(ident)
    zone = ZoneInfo(timezone)
    left, right = 150.0, WIDTH - 20.0
    width = right - left
    band = 56.0
    top_a = 18.0
    top_b = top_a + band + 22.0
    bottom_a, bottom_b = top_a + band, top_b + band
    total = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        seconds = (min(max(moment, start), end) - start).total_seconds()
        return left + width * seconds / total

    def span(a: datetime, b: datetime) -> tuple[float, float]:
        """Left edge and width (at least :data:`MIN_BAR`, kept inside the band)."""
        x0, x1 = x(a), x(b)
        w = max(x1 - x0, MIN_BAR)
        return min(x0, right - w), w

    body = [
        "<defs>",
        f'<pattern id="{ident}-hatch" patternUnits="userSpaceOnUse" width="4" height="4" '
        'patternTransform="rotate(45)">'
        f'<rect width="4" height="4" fill="{MAINTENANCE}"/>'
        f'<line x1="0" y1="0" x2="0" y2="4" stroke="{PLAIN}" stroke-width="1.5"/></pattern>',
        "</defs>",
    ]
    for top, label, hint in (
        (top_a, "Downtime", "height: share affected"),
        (top_b, "How much it counted", "height: weight of the time"),
    ):
        body.append(
            f'<rect class="band" x="{_n(left)}" y="{_n(top)}" width="{_n(width)}" '
            f'height="{_n(band)}" fill="#f7f9fa" stroke="{GRID}"/>'
        )
        body.append(
            _text(left - 8, top + band / 2 - 2, label, anchor="end", cls="band-label", fill=TARGET)
        )
        body.append(
            _text(left - 8, top + band / 2 + 12, hint, anchor="end", cls="band-hint", size=9)
        )
    days = _local_midnights(start, end, zone)
    for i in _day_ticks(len(days)):
        day, midnight = days[i]
        tx = x(midnight)
        body.append(_line(tx, top_a, tx, bottom_b + 4, "tick", f'stroke="{GRID}" stroke-width="1"'))
        body.append(_text(tx, bottom_b + 16, _day_label(day), anchor="middle", cls="day"))
    drawn_kinds = set()
    for w in sorted(windows, key=lambda w: (w.start, w.end)):
        if w.end <= start or w.start >= end:
            continue
        drawn_kinds.add(w.kind)
        x0, bar = span(w.start, w.end)
        critical = w.kind is WindowKind.CRITICAL
        top = top_b if critical else top_a
        fill = CRITICAL if critical else MAINTENANCE
        words = "critical business window" if critical else "maintenance window"
        if w.weight is not None:
            words += f", counts {_number(w.weight)}×"
        if w.label:
            words = f"{w.label}: {words}"
        body.append(
            f'<rect class="window window-{w.kind.value}" x="{_n(x0)}" y="{_n(top)}" '
            f'width="{_n(bar)}" height="{_n(band)}" fill="{fill}">'
            f"<title>{_esc(words)}</title></rect>"
        )
    ordered = sorted(entries, key=lambda e: (e.start, e.end or end))
    shown = [
        (number, e)
        for number, e in enumerate(ordered, start=1)
        if (e.end is None or e.end > start) and e.start < end
    ]
    ratios = []
    for _, e in shown:
        seconds = (min(e.end or end, end) - max(e.start, start)).total_seconds()
        ratios.append(float(e.weighted_seconds) / seconds if seconds > 0 else 0.0)
    scale = max([1.0, *ratios])
    unit_y = bottom_b - band / scale
    unit_style = f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="4 3"'
    body.append(_line(left, unit_y, right, unit_y, "unit-line", unit_style))
    body.append(_text(left + 3, unit_y - 3, "×1", cls="unit-label", size=9))
    if scale > 1:
        body.append(_text(left + 3, top_b + 10, f"×{_n(scale)}", cls="scale-label", size=9))
    for (number, e), ratio in zip(shown, ratios, strict=True):
        x0, bar = span(e.start, e.end or end)
        words = _esc(f"{number}. {_outage_words(e, end, zone)}")
        height = band * float(e.fraction)
        kind = "planned" if e.planned else ("full" if e.fraction == 1 else "partial")
        fill = f"url(#{ident}-hatch)" if e.planned else PLAIN
        body.append(
            f'<rect class="outage outage-{kind}" x="{_n(x0)}" y="{_n(bottom_a - height)}" '
            f'width="{_n(bar)}" height="{_n(height)}" fill="{fill}" stroke="{PLAIN}" '
            f'stroke-width="0.5"><title>{words}</title></rect>'
        )
        if len(shown) <= MAX_MARKERS:
            body.append(
                _text(
                    x0 + bar / 2,
                    top_a - 4,
                    str(number),
                    anchor="middle",
                    cls="marker",
                    size=9,
                    fill=TARGET,
                )
            )
        if ratio > 0:
            counted = band * ratio / scale
            body.append(
                f'<rect class="weighted" x="{_n(x0)}" y="{_n(bottom_b - counted)}" '
                f'width="{_n(bar)}" height="{_n(counted)}" fill="{WEIGHTED}">'
                f"<title>{words}, counted {_n(ratio)}× per minute</title></rect>"
            )
    if not shown:
        body.append(
            _text(
                left + width / 2,
                top_a + band / 2 + 4,
                "No outages in this period.",
                anchor="middle",
                cls="empty",
            )
        )
    full = 'width="24" height="10" y="-6"'
    first: list[tuple[str, str]] = [
        (f'<rect {full} fill="{PLAIN}"/>', "outage"),
        (f'<rect width="24" height="5" y="-1" fill="{PLAIN}"/>', "partial outage (lower bar)"),
        (
            f'<rect {full} fill="url(#{ident}-hatch)" stroke="{PLAIN}" stroke-width="0.5"/>',
            "planned maintenance",
        ),
    ]
    if WindowKind.MAINTENANCE in drawn_kinds:
        first.append((f'<rect {full} fill="{MAINTENANCE}"/>', "maintenance window"))
    second = [(f'<rect {full} fill="{WEIGHTED}"/>', "what it counted in weighted availability")]
    if WindowKind.CRITICAL in drawn_kinds:
        second.append((f'<rect {full} fill="{CRITICAL}"/>', "critical business window"))
    body += _legend(first, bottom_b + 38, left=20)
    body += _legend(second, bottom_b + 58, left=20)
    return _svg(ident, int(bottom_b + 72), title, "timeline", body)


def feedback_chart(
    months: Sequence[FeedbackMonth],
    *,
    ident: str = "feedback",
    title: str = "Satisfaction beside availability, month by month",
) -> str:
    """Two panels over the same months: mean satisfaction (1 to 5) above, plain and
    experience-weighted availability below, so a dip in one can be read against the other.
    Each satisfaction point is labelled with its value; months without a figure leave a gap."""
    ident = _ident(ident)
    ordered = sorted(months, key=lambda m: m.month)
    count = len(ordered)
    left, width = 70.0, WIDTH - 70.0 - 20.0
    slot = width / count if count else 0.0
    xs = [left + slot * (i + 0.5) for i in range(count)]
    top = _Plot(left, 16, width, 80, Decimal(1), Decimal(5))
    figures = [
        v
        for m in ordered
        for v in (m.availability, m.weighted_availability)
        if v is not None and v.is_finite()
    ]
    low = min(figures, default=Decimal(100))
    lo = next((f for f in _AVAILABILITY_FLOORS if f < low), Decimal(0))
    hi = max([Decimal(100), *figures])
    bottom = _Plot(left, 122, width, 80, lo, hi)
    body = [*top.value_axis(Decimal(1), ""), top.frame()]
    body += [*bottom.value_axis(_nice_step(hi - lo, 4), "%"), bottom.frame()]
    body.append(
        _text(
            14,
            top.top + top.height / 2,
            "Satisfaction",
            anchor="middle",
            cls="axis-title",
            vertical=True,
        )
    )
    body.append(
        _text(
            14,
            bottom.top + bottom.height / 2,
            "Availability",
            anchor="middle",
            cls="axis-title",
            vertical=True,
        )
    )
    for x, m in zip(xs, ordered, strict=True):
        label = f"{MONTHS[m.month.month - 1]} {m.month.year}"
        body.append(_text(x, bottom.bottom + 16, label, anchor="middle", cls="month"))
    if not count:
        body.append(
            _text(
                left + width / 2,
                top.top + top.height / 2,
                "No feedback yet.",
                anchor="middle",
                cls="empty",
            )
        )

    def ys(plot: _Plot, values: Iterable[Decimal | None]) -> list[float | None]:
        return [None if v is None or not v.is_finite() else plot.y(v) for v in values]

    csat_style = f'stroke="{TARGET}" stroke-width="2"'
    body += _series_paths(xs, ys(top, (m.csat for m in ordered)), "line-csat", csat_style)
    for x, m in zip(xs, ordered, strict=True):
        if m.csat is not None and m.csat.is_finite():
            y = top.y(m.csat)
            body.append(
                f'<circle class="point-csat" cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{TARGET}"/>'
            )
            value = _number(m.csat.quantize(Decimal("0.1"), "ROUND_HALF_UP"))
            body.append(_text(x, y - 7, value, anchor="middle", cls="csat-label", fill=TARGET))
    plain_style = f'stroke="{PLAIN}" stroke-width="2"'
    weighted_style = f'stroke="{WEIGHTED}" stroke-width="2" stroke-dasharray="6 3"'
    body += _series_paths(
        xs, ys(bottom, (m.availability for m in ordered)), "line-plain", plain_style
    )
    body += _series_paths(
        xs,
        ys(bottom, (m.weighted_availability for m in ordered)),
        "line-weighted",
        weighted_style,
    )
    body += _legend(
        [
            (_line(0, 0, 24, 0, "swatch", csat_style), "satisfaction (1 to 5)"),
            (_line(0, 0, 24, 0, "swatch", plain_style), "availability"),
            (_line(0, 0, 24, 0, "swatch", weighted_style), "experience-weighted availability"),
        ],
        bottom.bottom + 38,
    )
    return _svg(ident, int(bottom.bottom + 50), title, "feedback", body)
