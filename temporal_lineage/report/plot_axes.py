"""Pieces of the audit page's SVG plots (no script): scales with round ticks on time and
duration axes, the chart frame and its axes, tooltips, durations as people read them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from temporal_lineage.errors import LineageError
from temporal_lineage.times import parse_time

MUTED = "#5f6b7a"
GRID = "#e9edf2"
AXIS = "#9aa3ad"
MARK_A = "#b35c00"

_MINUTE = 60.0
_HOUR = 3600.0
_DAY = 86400.0
_TIME_STEPS = (
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 300.0, 900.0, 1800.0,
    _HOUR, 3 * _HOUR, 6 * _HOUR, 12 * _HOUR, _DAY, 2 * _DAY, 7 * _DAY, 14 * _DAY, 30 * _DAY,
)  # fmt: skip
_DURATION_STEPS = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300,
    600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip


def num(value: float) -> str:
    """A coordinate as short SVG text (one decimal at most).

    >>> num(12.0), num(3.14159), num(-0.01)
    ('12', '3.1', '0')
    """
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def duration_text(seconds: float | None) -> str:
    """A duration as people read it (the UI's ``durationText``).

    >>> duration_text(4.2), duration_text(185), duration_text(7800), duration_text(273600)
    ('4.2s', '3m 05s', '2h 10m', '3d 4h')
    >>> duration_text(0.0514), duration_text(0)
    ('51ms', '0s')
    >>> duration_text(None)
    '\u2013'
    """
    if seconds is None or not math.isfinite(seconds):
        return "\u2013"
    sign = "\u2212" if seconds < 0 else ""
    rest = abs(seconds)
    if rest == 0:
        return "0s"
    if rest < 1:
        return f"{sign}{math.floor(rest * 1000 + 0.5)}ms"
    if rest < 10:
        return f"{sign}{math.floor(rest * 10 + 0.5) / 10:g}s"
    whole = round(rest)
    days, hours = whole // 86400, (whole % 86400) // 3600
    minutes, secs = (whole % 3600) // 60, whole % 60
    if days:
        return f"{sign}{days}d" + (f" {hours}h" if hours else "")
    if hours:
        return f"{sign}{hours}h" + (f" {minutes:02d}m" if minutes else "")
    if minutes:
        return f"{sign}{minutes}m" + (f" {secs:02d}s" if secs else "")
    return f"{sign}{secs}s"


def instant(value: Any) -> datetime | None:
    """An ISO time of the document as an aware datetime (None when it is not one)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except (LineageError, ValueError):
        return None


def number(value: Any) -> float | None:
    """A finite number of the document, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def time_ticks(start: datetime, end: datetime, count: int) -> list[tuple[datetime, str]]:
    """At most about ``count`` ticks on round UTC instants between ``start`` and ``end``.

    >>> a = datetime(2026, 11, 1, tzinfo=UTC)
    >>> [label for _, label in time_ticks(a, a + timedelta(days=3), 4)]
    ['Nov 1', 'Nov 2', 'Nov 3', 'Nov 4']
    """
    span = max((end - start).total_seconds(), 1.0)
    step = next((s for s in _TIME_STEPS if span / s <= count), _TIME_STEPS[-1])
    first = math.ceil(start.timestamp() / step) * step
    ticks: list[tuple[datetime, str]] = []
    at = first
    while at <= end.timestamp():
        moment = datetime.fromtimestamp(at, UTC)
        day = f"{moment:%b} {moment.day}"
        clock = f"{moment:%H:%M:%S}" if step < _MINUTE else f"{moment:%H:%M}"
        if step >= _DAY:
            label = day
        elif not ticks or (moment.hour == 0 and moment.minute == 0 and moment.second == 0):
            label = f"{day} {clock}"
        else:
            label = clock
        ticks.append((moment, label))
        at += step
    return ticks


def value_ticks(top: float, count: int) -> tuple[float, list[float]]:
    """A round upper bound at or above ``top`` and its ticks from 0 (steps of 1, 2, 5 x 10^n).

    >>> value_ticks(7, 4)
    (8.0, [0.0, 2.0, 4.0, 6.0, 8.0])
    """
    top = top if top > 0 else 1.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 5) if m * power >= raw), 10 * power)
    steps = math.ceil(top / step - 1e-9)
    return float(steps * step), [float(i * step) for i in range(steps + 1)]


def duration_ticks(top: float, count: int) -> tuple[float, list[float]]:
    """A round duration at or above ``top`` seconds and its ticks from 0.

    >>> duration_ticks(50000, 5)
    (54000.0, [0.0, 10800.0, 21600.0, 32400.0, 43200.0, 54000.0])
    """
    top = top if top > 0 else 0.001
    step = float(next((d for d in _DURATION_STEPS if top / d <= count), _DURATION_STEPS[-1]))
    steps = math.ceil(top / step - 1e-9)
    return round(steps * step, 6), [round(i * step, 6) for i in range(steps + 1)]


@dataclass(frozen=True)
class Chart:
    """The plot area of one chart and its scales (instant -> x px, value -> y px)."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    start: datetime
    end: datetime
    y_max: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        share = (moment - self.start).total_seconds() / span
        return self.left + share * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - (value / (self.y_max or 1.0)) * (self.bottom - self.top)


def svg_text(x: float, y: float, body: str, *, anchor: str = "middle", style: str = "") -> str:
    """A ``<text>`` of escaped ``body`` in the axes' colour."""
    extra = f' style="{style}"' if style else ""
    return (
        f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}" fill="{MUTED}"{extra}>'
        f"{escape(body)}</text>"
    )


def tooltip(body: str) -> str:
    """The ``<title>`` a browser shows when the mouse rests on its parent."""
    return f"<title>{escape(body)}</title>"


def open_chart(chart: Chart, label: str, testid: str) -> list[str]:
    """The start of a chart: the SVG element, its accessible label, the plot area."""
    return [
        f'<svg class="plot" data-plot="{testid}" '
        f'width="{chart.width}" height="{chart.height}" viewBox="0 0 {chart.width} '
        f'{chart.height}" role="img" aria-label="{escape(label)}" '
        'font-family="system-ui, sans-serif" font-size="11.5">',
        tooltip(label),
        f'<rect x="{num(chart.left)}" y="{num(chart.top)}" width="{num(chart.right - chart.left)}"'
        f' height="{num(chart.bottom - chart.top)}" fill="#fbfcfd"/>',
    ]


def time_axis(chart: Chart) -> list[str]:
    """Grid lines and labels at round UTC instants under the plot area."""
    count = max(2, int((chart.right - chart.left) // 84))
    parts = ['<g class="time-axis" aria-hidden="true">']
    for moment, label in time_ticks(chart.start, chart.end, count):
        x = chart.x(moment)
        # A label near an edge ends or starts at its tick rather than running off the plot.
        anchor = "start" if x - chart.left < 40 else "end" if chart.right - x < 40 else "middle"
        parts.append(
            f'<line x1="{num(x)}" x2="{num(x)}" y1="{num(chart.top)}" y2="{num(chart.bottom)}" '
            f'stroke="{GRID}"/>' + svg_text(x, chart.bottom + 16, label, anchor=anchor)
        )
    parts.append(
        f'<line x1="{num(chart.left)}" x2="{num(chart.right)}" y1="{num(chart.bottom)}" '
        f'y2="{num(chart.bottom)}" stroke="{AXIS}"/></g>'
    )
    return parts


def value_axis(
    chart: Chart, ticks: Sequence[float], label: Callable[[float], str], title: str | None
) -> list[str]:
    parts = ['<g class="value-axis" aria-hidden="true">']
    for value in ticks:
        py = chart.y(value)
        parts.append(
            f'<line x1="{num(chart.left)}" x2="{num(chart.right)}" y1="{num(py)}" y2="{num(py)}" '
            f'stroke="{GRID}"/>' + svg_text(chart.left - 6, py + 4, label(value), anchor="end")
        )
    if title:
        parts.append(
            svg_text(chart.left, chart.top - 8, title, anchor="start", style="font-weight: 600")
        )
    parts.append("</g>")
    return parts


def as_of_marker(chart: Chart) -> str:
    """The instant A (the chart's end) as a dashed vertical line labelled ``A``."""
    px = num(chart.x(chart.end))
    return (
        f'<g class="as-of">{tooltip(f"A = {chart.end.isoformat()}")}'
        f'<line x1="{px}" x2="{px}" y1="{num(chart.top)}" y2="{num(chart.bottom)}" '
        f'stroke="{MARK_A}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        + svg_text(chart.right - 4, chart.top + 12, "A", anchor="end", style="font-weight: 700")
        + "</g>"
    )


def within(moment: datetime, start: datetime, end: datetime) -> bool:
    """Whether ``moment`` is in [start, end] (a millisecond of slack for rounded times)."""
    return start - timedelta(milliseconds=1) <= moment <= end + timedelta(milliseconds=1)


def empty_note(chart: Chart, note: str) -> str:
    """A note in italics in the middle of an empty plot area."""
    middle = (chart.top + chart.bottom) / 2
    return svg_text((chart.left + chart.right) / 2, middle, note, style="font-style: italic")
