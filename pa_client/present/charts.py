"""Inline SVG charts for the audit report: no JavaScript, no external resource, readable on paper.

- `stock_chart`: goods under the procedure per import goods code over time (a step chart, one panel
  per code since codes have their own units);
- `deadline_chart`: one bar per placement from its date to its deadline, coloured by status, the
  extension drawn hatched, a marker on the audit date;
- `yield_chart`: the actual yield against the authorised one per processing and import goods code, as
  the deviation in % of the input, with the tolerance band.

Coordinates are computed with floats: they only place marks on the drawing. Every number written in a
chart (ticks, labels) is formatted from the exact `Decimal`s the caller passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from pa_client.present import display

PALETTE: Final = ("#1f5fa8", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b8860b")
STATUS_COLOURS: Final[dict[str, str]] = {"open": "#1f5fa8", "overdue": "#c62828", "discharged": "#8fb996"}
TODAY_COLOUR: Final = "#6a1b9a"
GRID: Final = "#e3e6ea"
AXIS: Final = "#5f6b7a"
INK: Final = "#1d2733"
DEADLINE_BARS: Final = 60  # placements drawn on the deadline timeline at most


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _n(value: float) -> str:
    """A coordinate: geometry only, never a displayed number."""
    text = f"{value:.1f}"
    return "0" if text in ("-0.0", "0.0") else text.removesuffix(".0")


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: int = 11,
    fill: str = INK,
    weight: str = "normal",
    halo: bool = False,
) -> str:
    """A label; `halo` draws a white outline under it so that it stays legible over lines."""
    bold = f" font-weight={quoteattr(weight)}" if weight != "normal" else ""
    outline = (
        ' stroke="#ffffff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"' if halo else ""
    )
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{bold}{outline}>'
        f"{escape(content)}</text>"
    )


def _svg(width: int, height: int, title: str, body: Sequence[str], *, css_class: str = "chart") -> Markup:
    parts = [
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
        *body,
        "</svg>",
    ]
    return Markup("\n".join(parts))  # every text inside went through `escape`


# ---------------------------------------------------------------- scales and ticks


def nice_step(high: Decimal, count: int = 5) -> Decimal:
    """A round step (1, 2, 2.5 or 5 × 10^k) such that `count` steps reach `high` (> 0)."""
    raw = high / count
    base = Decimal(1).scaleb(raw.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        step = base * factor
        if step * count >= high:
            return step
    return base * 10  # pragma: no cover


def value_ticks(high: Decimal, count: int = 5) -> list[Decimal]:
    """Ticks from 0 to a round top at or above `high`."""
    if high <= 0:
        high = Decimal(1)
    step = nice_step(high, count)
    steps = int((high / step).to_integral_value(rounding=ROUND_CEILING))
    return [step * i for i in range(steps + 1)]


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def time_ticks(start: date, end: date, most: int = 8) -> list[tuple[date, str]]:
    """Tick dates between `start` and `end` with their labels: days or weeks for a short span, months
    (every 1, 2, 3, 6 or 12) for a longer one."""
    span = (end - start).days
    ticks: list[tuple[date, str]] = []
    if span <= 62:
        for step in (1, 2, 7, 14, 31):
            if span / step <= most:
                break
        first = start if step < 7 else start + timedelta(days=(7 - start.weekday()) % 7)
        day = first
        while day <= end:
            ticks.append((day, f"{day.day} {day:%b}"))
            day += timedelta(days=step)
        return ticks
    months = (end.year - start.year) * 12 + end.month - start.month
    for step in (1, 2, 3, 6, 12, 24, 60):
        if months / step <= most:
            break
    day = start if start.day == 1 else _first_of_next_month(start)
    while (day.month - 1) % step:
        day = _first_of_next_month(day)
    previous_year = None
    while day <= end:
        label = f"{day:%b}" if day.year == previous_year else f"{day:%b %Y}"
        previous_year = day.year
        ticks.append((day, label))
        for _ in range(step):
            day = _first_of_next_month(day)
    return ticks


@dataclass(frozen=True)
class _TimeScale:
    start: date
    end: date
    left: float
    right: float

    def x(self, day: date) -> float:
        span = max(1, (self.end - self.start).days)
        return self.left + (self.right - self.left) * (day - self.start).days / span


@dataclass(frozen=True)
class _ValueScale:
    low: Decimal
    high: Decimal
    top: float
    bottom: float

    def y(self, value: Decimal) -> float:
        span = self.high - self.low or Decimal(1)
        share = float((value - self.low) / span)
        return self.bottom - (self.bottom - self.top) * share


def _time_axis(scale: _TimeScale, top: float, bottom: float) -> list[str]:
    out = []
    for day, label in time_ticks(scale.start, scale.end):
        x = scale.x(day)
        out.append(f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" stroke="{GRID}"/>')
        out.append(_text(x, bottom + 14, label, anchor="middle", size=10, fill=AXIS))
    out.append(
        f'<line x1="{_n(scale.left)}" y1="{_n(bottom)}" x2="{_n(scale.right)}" y2="{_n(bottom)}" stroke="{AXIS}"/>'
    )
    return out


def _today_marker(
    scale: _TimeScale, today: date, top: float, bottom: float, *, label: bool = True
) -> list[str]:
    if not scale.start <= today <= scale.end:
        return []
    x = scale.x(today)
    out = [
        f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" stroke="{TODAY_COLOUR}" '
        f'stroke-width="1.5" stroke-dasharray="5 3"/>'
    ]
    if label:
        anchor = "end" if x > (scale.left + scale.right) / 2 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            _text(
                x + dx,
                top + 10,
                f"audit date {display.long_day(today)}",
                anchor=anchor,
                size=10,
                fill=TODAY_COLOUR,
                halo=True,
            )
        )
    return out


def chart_span(
    starts: Sequence[date], ends: Sequence[date], today: date, *, near_days: int = 120
) -> tuple[date, date]:
    """The dates a time chart covers: from the first start to the last end, padded, and out to the
    audit date when it is near (an audit years later would squash the events into a corner; the chart
    then points to the audit date at its right edge)."""
    first = min(starts, default=today)
    last = max([*ends, *starts], default=today)
    if today <= last + timedelta(days=near_days):
        last = max(last, today)
    if today < first and first - today <= timedelta(days=near_days):
        first = today
    pad = max(3, (last - first).days // 40)
    return first - timedelta(days=pad), last + timedelta(days=pad)


# ---------------------------------------------------------------- goods under the procedure


@dataclass(frozen=True)
class StockSeries:
    """One import goods code: (day, quantity after that day's events) in order, the quantity an exact
    `Decimal` in the code's unit."""

    code: str
    unit: str
    points: tuple[tuple[date, Decimal], ...]
    colour: str = PALETTE[0]


def stock_panel(series: StockSeries, start: date, end: date, today: date | None) -> Markup:
    """A step chart of one import goods code's quantity under the procedure."""
    width, height = 560, 250
    left, right, top, bottom = 64.0, width - 16.0, 26.0, height - 30.0
    values = [v for _, v in series.points] or [Decimal(0)]
    ticks = value_ticks(max(values))
    scale = _TimeScale(start, end, left, right)
    vscale = _ValueScale(Decimal(0), ticks[-1], top, bottom)
    body: list[str] = []
    for tick in ticks:
        y = vscale.y(tick)
        body.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, display.plain(tick), anchor="end", size=10, fill=AXIS))
    body.append(_text(left - 6, top - 12, display.unit_symbol(series.unit), anchor="end", size=10, fill=AXIS))
    body.extend(_time_axis(scale, top, bottom))
    if series.points:
        line = [f"M{_n(scale.x(series.points[0][0]))},{_n(vscale.y(Decimal(0)))}"]
        for day, value in series.points:
            line.append(f"H{_n(scale.x(day))}V{_n(vscale.y(value))}")
        line.append(f"H{_n(scale.x(end))}")
        path = "".join(line)
        area = path + f"V{_n(vscale.y(Decimal(0)))}Z"
        body.append(f'<path d="{area}" fill="{series.colour}" fill-opacity="0.14" stroke="none"/>')
        body.append(f'<path d="{path}" fill="none" stroke="{series.colour}" stroke-width="2"/>')
        last = series.points[-1][1]
        body.append(f'<circle cx="{_n(right)}" cy="{_n(vscale.y(last))}" r="3.5" fill="{series.colour}"/>')
    if today is not None:
        body.extend(_today_marker(scale, today, top, bottom, label=False))
    title = f"Goods under the procedure, CN {display.goods_code(series.code)}, over time"
    return _svg(width, height, title, body)


# ---------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineBar:
    label: str
    sublabel: str
    start: date
    period_deadline: date
    deadline: date
    status: str
    note: str  # e.g. "251.8 kg left"


def deadline_chart(bars: Sequence[DeadlineBar], today: date) -> Markup:
    """One bar per placement from its date to its deadline; the part added by an extension hatched."""
    row, label_width = 22, 190
    width = 1080
    top = 34.0
    height = int(top + row * max(1, len(bars)) + 30)
    start, end = chart_span([b.start for b in bars], [b.deadline for b in bars], today)
    scale = _TimeScale(start, end, float(label_width), width - 110.0)
    bottom = top + row * len(bars) + 4
    body = [
        "<defs>",
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#6b7b8c" '
        'stroke-width="3"/></pattern>',
        "</defs>",
    ]
    body.extend(_time_axis(scale, top - 4, bottom))
    notes: list[str] = []  # drawn last, over the audit date's line
    for i, bar in enumerate(bars):
        y = top + row * i
        fill = STATUS_COLOURS.get(bar.status, "#7f8c8d")
        if i % 2:
            body.append(f'<rect x="0" y="{_n(y)}" width="{width}" height="{row}" fill="#f6f8fa"/>')
        body.append(_text(6, y + 15, bar.label, size=11, weight="bold"))
        body.append(_text(108, y + 15, bar.sublabel, size=10, fill=AXIS))
        x0 = scale.x(bar.start)
        x1 = scale.x(min(bar.period_deadline, bar.deadline))
        body.append(
            f'<rect x="{_n(x0)}" y="{_n(y + 5)}" width="{_n(max(2.0, x1 - x0))}" height="12" rx="2" fill="{fill}"/>'
        )
        if bar.deadline > bar.period_deadline:
            x2 = scale.x(bar.deadline)
            body.append(
                f'<rect x="{_n(x1)}" y="{_n(y + 5)}" width="{_n(x2 - x1)}" height="12" rx="2" '
                f'fill="url(#hatch)" stroke="{fill}"/>'
            )
            x1 = x2
        body.append(f'<path d="M{_n(x1)},{_n(y + 3)}v16" stroke="{INK}" stroke-width="2"/>')
        if bar.note:
            notes.append(
                _text(
                    x1 + 5,
                    y + 15,
                    bar.note,
                    size=10,
                    fill=fill if bar.status != "discharged" else AXIS,
                    halo=True,
                )
            )
    body.extend(_today_marker(scale, today, top - 26, bottom))
    body.extend(notes)
    if today > end:
        body.append(
            _text(
                width - 4,
                top - 16,
                f"audit date {display.long_day(today)} \u2192",
                anchor="end",
                size=10,
                fill=TODAY_COLOUR,
            )
        )
    title = "Periods for discharge: from each placement to its deadline"
    return _svg(width, height, title, body)


# ---------------------------------------------------------------- yields


@dataclass(frozen=True)
class YieldPoint:
    entry_ref: str
    day: date
    code: str
    deviation: Decimal | None  # % of the input
    tolerance: Decimal  # %
    beyond: bool
    colour: str = PALETTE[0]


def yield_chart(points: Sequence[YieldPoint], codes: Sequence[tuple[str, str]]) -> Markup:
    """Deviation of the actual from the authorised yield, per processing (in order) and import goods
    code, with the tolerance band; points beyond it ringed in red and named. `codes`: (code, colour)
    for the legend."""
    width, height = 1080, 300
    left, right, top, bottom = 64.0, width - 20.0, 30.0, height - 40.0
    entries: list[str] = []
    for point in points:
        if point.entry_ref not in entries:
            entries.append(point.entry_ref)
    extreme = max(
        [abs(p.deviation) for p in points if p.deviation is not None]
        + [p.tolerance * 2 for p in points]
        + [Decimal(1)]
    )
    ticks = value_ticks(extreme, 4)
    high = ticks[-1]
    vscale = _ValueScale(-high, high, top, bottom)
    slot = (right - left) / max(1, len(entries))

    def x(entry: str) -> float:
        return left + slot * (entries.index(entry) + 0.5)

    body: list[str] = []
    # The tolerance band, per processing (the tolerance is that of the authorisation version).
    band = {p.entry_ref: p.tolerance for p in points}
    for entry, tolerance in band.items():
        x0 = x(entry) - slot / 2
        body.append(
            f'<rect x="{_n(x0)}" y="{_n(vscale.y(tolerance))}" width="{_n(slot + 0.3)}" '
            f'height="{_n(vscale.y(-tolerance) - vscale.y(tolerance))}" fill="#2e8b57" fill-opacity="0.13"/>'
        )
    for tick in [-t for t in reversed(ticks[1:])] + ticks:
        y = vscale.y(tick)
        stroke = AXIS if tick == 0 else GRID
        body.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" stroke="{stroke}"/>')
        body.append(_text(left - 6, y + 4, display.signed_percent(tick), anchor="end", size=10, fill=AXIS))
    # Date labels under the first processing of each new date, spaced out.
    last_x = -100.0
    seen_days: set[date] = set()
    for point in points:
        if point.day in seen_days:
            continue
        seen_days.add(point.day)
        px = x(point.entry_ref)
        if px - last_x >= 70:
            body.append(
                f'<line x1="{_n(px)}" y1="{_n(bottom)}" x2="{_n(px)}" y2="{_n(bottom + 4)}" stroke="{AXIS}"/>'
            )
            body.append(
                _text(px, bottom + 16, f"{point.day.day} {point.day:%b}", anchor="middle", size=10, fill=AXIS)
            )
            last_x = px
    for point in points:
        if point.deviation is None:
            continue
        cx, cy = x(point.entry_ref), vscale.y(point.deviation)
        body.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="3.6" fill="{point.colour}"/>')
        if point.beyond:
            body.append(
                f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="7.5" fill="none" stroke="#c62828" stroke-width="2"/>'
            )
            anchor = "end" if cx > (left + right) / 2 else "start"
            dx = -11 if anchor == "end" else 11
            body.append(
                _text(
                    cx + dx,
                    cy + 4,
                    f"{point.entry_ref} ({display.goods_code(point.code)}): {display.signed_percent(point.deviation)}",
                    anchor=anchor,
                    size=10,
                    fill="#c62828",
                    weight="bold",
                )
            )
    # Legend.
    lx = left
    for code, hue in codes:
        body.append(f'<circle cx="{_n(lx + 5)}" cy="{_n(top - 16)}" r="4" fill="{hue}"/>')
        body.append(_text(lx + 13, top - 12, f"CN {display.goods_code(code)}", size=10))
        lx += 110
    body.append(
        f'<rect x="{_n(lx)}" y="{_n(top - 21)}" width="14" height="10" fill="#2e8b57" fill-opacity="0.25"/>'
    )
    body.append(_text(lx + 19, top - 12, "tolerance", size=10))
    body.append(
        f'<circle cx="{_n(lx + 95)}" cy="{_n(top - 16)}" r="6" fill="none" stroke="#c62828" stroke-width="2"/>'
    )
    body.append(_text(lx + 106, top - 12, "beyond tolerance", size=10))
    title = "Actual against authorised yield per processing, deviation in % of the input"
    return _svg(width, height, title, body)
