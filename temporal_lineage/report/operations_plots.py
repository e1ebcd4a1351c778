"""A table's operations as inline SVG for the audit page (no script): freshness against its SLA
(the lag saw-tooth, the SLA line, breaches filled), commit cadence (commits per hour or day,
stacked by operation, one tick per commit) and its producing runs' durations over time.

Each plot reads a ``health_json`` document (``temporal_lineage.query.operations_shapes``)
tolerantly: a missing or malformed part draws as an empty plot with a note. The web UI draws
the same plots (``api/ui/plot_*.js``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from temporal_lineage.report.html_parts import mappings
from temporal_lineage.report.plot_axes import (
    MARK_A,
    Chart,
    as_of_marker,
    duration_text,
    duration_ticks,
    empty_note,
    instant,
    num,
    number,
    open_chart,
    svg_text,
    time_axis,
    tooltip,
    value_axis,
    value_ticks,
    within,
)

WIDTH = 960
"""Width of every plot, px (the page is read on a screen or printed on A4 landscape)."""

LEFT, RIGHT = 64.0, 88.0
"""Margins of every plot, so that their time axes line up one above the other."""
LAG = "#2158a8"
BAD = "#b2182b"
OFF_SCALE = 4.0
"""An SLA this many times above the highest lag is not drawn to scale (it would flatten it)."""
OPERATION_COLOURS: dict[str, tuple[str, str]] = {
    "append": ("#2166ac", "append / write"),
    "overwrite": ("#762a83", "overwrite / replace"),
    "merge": ("#d95f02", "merge / update"),
    "delete": ("#b2182b", "delete"),
    "maintenance": ("#8a96a8", "compaction"),
    "other": ("#4d4d4d", "other"),
}
"""Operation class -> (colour, legend label), in stacking order."""
JOB_COLOURS = ("#2166ac", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d")
FAILED_STATES = frozenset({"FAIL", "ABORT"})
BUCKETS: tuple[tuple[float, str], ...] = (
    (0.1, "100 ms"), (0.5, "500 ms"), (1.0, "second"), (5.0, "5 s"), (15.0, "15 s"),
    (60.0, "minute"), (300.0, "5 min"), (900.0, "15 min"), (3600.0, "hour"), (21600.0, "6 h"),
    (86400.0, "day"), (604800.0, "week"),
)  # fmt: skip
"""Bar widths of the cadence (seconds, what a bar counts), smallest first."""
MAX_BARS = 48


def operation_class(operation: Any) -> str:
    """The colour class of a commit operation (Iceberg and Delta names alike).

    >>> [operation_class(o) for o in ("append", "WRITE", "OPTIMIZE", "MERGE", "delete", None)]
    ['append', 'append', 'maintenance', 'merge', 'delete', 'other']
    """
    op = str(operation or "").lower()
    for css, words in (
        ("maintenance", ("optimi", "compact", "rewrite", "vacuum", "zorder")),
        ("overwrite", ("replace", "overwrite", "truncate")),
        ("delete", ("delete",)),
        ("merge", ("merge", "update", "upsert")),
        ("append", ("append", "write", "create", "insert", "streaming")),
    ):
        if any(word in op for word in words):
            return css
    return "other"


def window_of(health: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """The plotted window (as_of minus window_seconds, as_of), or None when it is unknown."""
    as_of = instant(health.get("as_of"))
    seconds = number(health.get("window_seconds"))
    if as_of is None or seconds is None or seconds <= 0:
        return None
    return as_of - timedelta(seconds=seconds), as_of


def data_start(health: Mapping[str, Any]) -> datetime | None:
    """Where a time axis zoomed to the data starts: a little before the window's first commit,
    lag point or run (None: nothing in the window)."""
    window = window_of(health)
    if window is None:
        return None
    start, end = window
    times = [
        *(instant(c.get("committed_at")) for c in mappings(health.get("commits"))),
        *(instant(p.get("at")) for p in mappings(health.get("lag_series"))),
        *(instant(r.get("started_at") or r.get("ended_at")) for r in mappings(health.get("runs"))),
    ]
    inside = [t for t in times if t is not None and start <= t < end]
    if not inside:
        return None
    first = min(inside)
    margin = max(timedelta(seconds=1), (end - first) * 0.05)
    return max(start, first - margin)


def _span(health: Mapping[str, Any], zoom: bool) -> tuple[datetime, datetime] | None:
    window = window_of(health)
    if window is None or not zoom:
        return window
    return (data_start(health) or window[0]), window[1]


LagPoint = tuple[datetime, float | None]


def lag_points(series: Any) -> list[LagPoint]:
    """The ``lag_series`` as (instant, lag seconds or None) in time order (ties as given)."""
    points: list[tuple[datetime, int, float | None]] = []
    for index, row in enumerate(mappings(series)):
        moment = instant(row.get("at"))
        if moment is not None:
            points.append((moment, index, number(row.get("lag_seconds"))))
    points.sort(key=lambda p: (p[0], p[1]))
    return [(moment, lag) for moment, _, lag in points]


def breaches(points: Sequence[LagPoint], sla: float) -> list[list[tuple[datetime, float]]]:
    """The stretches of the saw-tooth at or above ``sla``, crossings put in, in order.

    >>> a = datetime(2026, 1, 1, tzinfo=UTC)
    >>> pts = [(a, 0.0), (a + timedelta(seconds=20), 20.0), (a + timedelta(seconds=20), 0.0)]
    >>> [[(int((t - a).total_seconds()), lag) for t, lag in g] for g in breaches(pts, 10.0)]
    [[(10, 10.0), (20, 20.0), (20, 10.0)]]
    """
    groups: list[list[tuple[datetime, float]]] = []
    group: list[tuple[datetime, float]] = []
    previous: LagPoint | None = None
    for moment, lag in points:
        if lag is None:
            if len(group) > 1:
                groups.append(group)
            group, previous = [], (moment, lag)
            continue
        before = previous[1] if previous is not None else None
        if previous is not None and before is not None and (before - sla) * (lag - sla) < 0:
            share = (sla - before) / (lag - before)
            crossing = (previous[0] + share * (moment - previous[0]), sla)
            group.append(crossing)
            if lag < sla:
                if len(group) > 1:
                    groups.append(group)
                group = []
        if lag >= sla:
            group.append((moment, lag))
        elif len(group) > 1:
            groups.append(group)
            group = []
        else:
            group = []
        previous = (moment, lag)
    if len(group) > 1:
        groups.append(group)
    return groups


def freshness_svg(health: Mapping[str, Any], *, zoom: bool = False) -> str:
    """The lag of the table over the window before A against its SLA (one ``<svg>``); with
    ``zoom`` the time axis starts just before the window's first data (``data_start``).

    An SLA more than ``OFF_SCALE`` times the highest lag is written above the plot instead of
    drawn to scale; breaches are filled only where the SLA line is drawn.
    """
    window = _span(health, zoom)
    freshness = health.get("freshness")
    fresh: Mapping[str, Any] = freshness if isinstance(freshness, Mapping) else {}
    sla = number(fresh.get("sla_seconds"))
    sla = sla if sla is not None and sla > 0 else None
    start, end = window or (datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC))
    points = [p for p in lag_points(health.get("lag_series")) if within(p[0], start, end)]
    highest = max([0.0, *(lag for _, lag in points if lag is not None)])
    scaled = sla if sla is not None and (highest == 0 or sla <= OFF_SCALE * highest) else None
    y_max, ticks = duration_ticks(max(highest if highest > 0 else 1.0, scaled or 0.0) * 1.12, 5)
    chart = Chart(WIDTH, 240, LEFT, 26, WIDTH - RIGHT, 240 - 28, start, end, y_max)
    current = points[-1][1] if points else None
    late = fresh.get("late") is True
    label = (
        "Lag of the table before A"
        + (f" against an SLA of {duration_text(sla)}" if sla else " (no SLA set)")
        + f"; lag at A {duration_text(current)}"
        + (" (late)" if late else "")
    )
    parts = open_chart(chart, label, "freshness")
    parts += value_axis(chart, ticks, duration_text, "lag")
    if window is None:
        return "".join([*parts, empty_note(chart, "no window in the health answer"), "</svg>"])
    parts += time_axis(chart)
    if scaled is not None:
        parts += _breach_areas(chart, points, scaled)
    run: list[str] = []
    for moment, lag in [*points, (end, None)]:
        if lag is None:
            if len(run) > 1:
                parts.append(
                    f'<polyline class="lag" points="{" ".join(run)}" fill="none" stroke="{LAG}" '
                    'stroke-width="2" stroke-linejoin="round"/>'
                )
            run = []
            continue
        run.append(f"{num(chart.x(moment))},{num(chart.y(lag))}")
    if sla is not None:
        parts.append(_sla_mark(chart, sla, scaled is not None))
    if current is not None:
        colour = BAD if late else "#1d2433"
        floor = chart.top + (34 if scaled is None and sla is not None else 10)
        near = scaled is not None and abs(chart.y(current) - chart.y(scaled)) < 14
        py = max(floor, min(chart.bottom, chart.y(current) + 4) - (14 if near else 0))
        parts.append(
            f'<text class="lag-at-a" x="{num(chart.right + 6)}" y="{num(py)}" fill="{colour}" '
            f'font-weight="700">{escape(duration_text(current))}</text>'
        )
    if not points:
        parts.append(empty_note(chart, "no lag known in the window (no commit by A)"))
    parts.append(as_of_marker(chart))
    parts.append("</svg>")
    return "".join(parts)


def _breach_areas(chart: Chart, points: Sequence[LagPoint], sla: float) -> list[str]:
    parts = []
    for group in breaches(points, sla):
        along = [f"{num(chart.x(t))},{num(chart.y(v))}" for t, v in group]
        back = [f"{num(chart.x(t))},{num(chart.y(sla))}" for t, _ in (group[-1], group[0])]
        lasted = (group[-1][0] - group[0][0]).total_seconds()
        parts.append(
            f'<polygon class="breach" points="{" ".join(along + back)}" fill="{BAD}" '
            f'fill-opacity="0.22">'
            + tooltip(
                f"SLA breached for {duration_text(lasted)}: "
                f"{group[0][0].isoformat()} to {group[-1][0].isoformat()}"
            )
            + "</polygon>"
        )
    return parts


def _plain(value: float) -> str:
    """A number without exponent or trailing zeros (``2592000``, ``0.5``)."""
    return f"{value:f}".rstrip("0").rstrip(".")


def _sla_mark(chart: Chart, sla: float, to_scale: bool) -> str:
    """The SLA as a dashed line at its height, or written above the plot when off scale."""
    text, red = f"SLA {duration_text(sla)}", f"fill: {BAD}"
    if not to_scale:
        return (
            f'<g class="sla off-scale" data-sla-seconds="{_plain(sla)}">'
            + tooltip(f"SLA: at most {duration_text(sla)}, far above every lag (not to scale)")
            + svg_text(chart.right + 6, chart.top + 4, text, anchor="start", style=red)
            + svg_text(chart.right + 6, chart.top + 18, "\u2191 above", anchor="start", style=red)
            + "</g>"
        )
    py = num(chart.y(sla))
    return (
        f'<g class="sla">{tooltip(f"SLA: at most {duration_text(sla)} since the last commit")}'
        f'<line class="sla-line" x1="{num(chart.left)}" x2="{num(chart.right)}" y1="{py}" '
        f'y2="{py}" stroke="{BAD}" stroke-width="1.6" stroke-dasharray="7 4" '
        f'data-sla-seconds="{_plain(sla)}"/>'
        + svg_text(chart.right + 6, chart.y(sla) + 4, text, anchor="start", style=red)
        + "</g>"
    )


def bucket_of(start: datetime, end: datetime) -> tuple[float, str]:
    """The cadence's bar width for a time axis: the smallest giving at most 48 bars.

    >>> a = datetime(2026, 1, 1, tzinfo=UTC)
    >>> bucket_of(a, a + timedelta(days=30)), bucket_of(a, a + timedelta(days=1))
    ((86400.0, 'day'), (3600.0, 'hour'))
    """
    span = (end - start).total_seconds()
    return next((b for b in BUCKETS if span / b[0] <= MAX_BARS), BUCKETS[-1])


def cadence_svg(health: Mapping[str, Any], *, zoom: bool = False) -> str:
    """Commits per bar (``bucket_of``) stacked by operation, and one tick per commit."""
    window = _span(health, zoom)
    start, end = window or (datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC))
    size, unit = bucket_of(start, end)
    commits: list[tuple[datetime, str, Mapping[str, Any]]] = []
    for row in mappings(health.get("commits")):
        moment = instant(row.get("committed_at"))
        if moment is not None and within(moment, start, end):
            commits.append((moment, operation_class(row.get("operation")), row))
    buckets: dict[float, dict[str, int]] = {}
    for moment, css, _ in commits:
        key = math.floor(moment.timestamp() / size) * size
        counts = buckets.setdefault(key, {})
        counts[css] = counts.get(css, 0) + 1
    most = max([1, *(sum(c.values()) for c in buckets.values())])
    y_max, ticks = value_ticks(most, 4)
    chart = Chart(WIDTH, 190, LEFT, 34, WIDTH - RIGHT, 190 - 28, start, end, y_max)
    label = f"Commits per {unit} in the window before A: {len(commits)} commit(s)"
    parts = open_chart(chart, label, "cadence")
    parts += value_axis(chart, [t for t in ticks if t == int(t)], lambda v: f"{v:g}", None)
    if window is None:
        return "".join([*parts, empty_note(chart, "no window in the health answer"), "</svg>"])
    parts += time_axis(chart)
    for key in sorted(buckets):
        counts = buckets[key]
        left = max(chart.left, chart.x(datetime.fromtimestamp(key, UTC)))
        right = min(chart.right, chart.x(datetime.fromtimestamp(key + size, UTC)))
        gap = 1.0 if right - left > 6 else 0.0
        total = sum(counts.values())
        when = datetime.fromtimestamp(key, UTC)
        shown = f"{when:%Y-%m-%d}" if size >= 86400 else f"{when.isoformat()[:23]} UTC"
        text = ", ".join(f"{n} {OPERATION_COLOURS[c][1]}" for c, n in counts.items())
        parts.append(
            f'<g class="bar" data-count="{total}" data-bucket="{escape(when.isoformat())}">'
            + tooltip(f"{shown}: {total} commit(s) ({text})")
        )
        level = 0
        for css, (colour, _) in OPERATION_COLOURS.items():
            if not counts.get(css):
                continue
            top = chart.y(level + counts[css])
            parts.append(
                f'<rect x="{num(left + gap)}" y="{num(top)}" '
                f'width="{num(max(1.0, right - left - 2 * gap))}" '
                f'height="{num(chart.y(level) - top)}" fill="{colour}" data-operation="{css}"/>'
            )
            level += counts[css]
        parts.append("</g>")
    parts.append(
        '<g class="commit-strip">'
        + svg_text(chart.left - 6, chart.top - 14, "each", anchor="end", style="font-size: 10px")
    )
    for moment, css, row in commits:
        px = num(chart.x(moment))
        parts.append(
            f'<line class="commit-tick" x1="{px}" x2="{px}" y1="{num(chart.top - 24)}" '
            f'y2="{num(chart.top - 6)}" stroke="{OPERATION_COLOURS[css][0]}" stroke-width="2">'
            + tooltip(
                f"snapshot {row.get('snapshot')}\n{row.get('committed_at')}\n"
                f"{row.get('operation') or 'operation unknown'}\nrun {row.get('run') or 'unknown'}"
            )
            + "</line>"
        )
    parts.append("</g>")
    if not commits:
        parts.append(empty_note(chart, "no commit in the window"))
    parts.append(as_of_marker(chart))
    parts.append("</svg>")
    return "".join(parts)


def run_point(run: Mapping[str, Any], as_of: datetime) -> tuple[datetime, float, bool] | None:
    """Where a run is drawn: (its start, seconds it lasted or has run by A, still open)."""
    started, ended = instant(run.get("started_at")), instant(run.get("ended_at"))
    at = started or ended
    if at is None:
        return None
    seconds = number(run.get("duration_seconds"))
    if seconds is not None:
        return at, seconds, False
    if ended is not None:
        return at, max(0.0, (ended - at).total_seconds()), False
    return at, max(0.0, (as_of - at).total_seconds()), True


def job_colours(health: Mapping[str, Any]) -> dict[str, str]:
    """Each job's colour, in first-seen order (jobs, then runs), cycling over the palette."""
    names: dict[str, None] = {}
    for row in [*mappings(health.get("jobs")), *mappings(health.get("runs"))]:
        names.setdefault(str(row.get("job")), None)
    return {name: JOB_COLOURS[i % len(JOB_COLOURS)] for i, name in enumerate(names)}


def runs_svg(health: Mapping[str, Any], *, zoom: bool = False) -> str:
    """The producing runs by start time, as high as they lasted: failures as red crosses,
    retries ringed, runs not ended by A hollow, each in its job's colour."""
    window = _span(health, zoom)
    start, end = window or (datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC))
    colours = job_colours(health)
    placed: list[tuple[Mapping[str, Any], datetime, float, bool]] = []
    for run in mappings(health.get("runs")):
        point = run_point(run, end)
        if point is not None and within(point[0], start, end):
            placed.append((run, *point))
    y_max, ticks = duration_ticks(max([0.001, *(p[2] for p in placed)]) * 1.1, 4)
    failed = [p for p in placed if str(p[0].get("state") or "").upper() in FAILED_STATES]
    chart = Chart(WIDTH, 220, LEFT, 26, WIDTH - RIGHT, 220 - 28, start, end, y_max)
    label = f"Durations of {len(placed)} producing run(s) by start time, {len(failed)} failed"
    parts = open_chart(chart, label, "runs")
    parts += value_axis(chart, ticks, duration_text, "duration")
    if window is None:
        return "".join([*parts, empty_note(chart, "no window in the health answer"), "</svg>"])
    parts += time_axis(chart)
    # Failed runs last, so a red cross is never under a dot.
    placed.sort(key=lambda p: str(p[0].get("state") or "").upper() in FAILED_STATES)
    for run, moment, seconds, still_open in placed:
        px, py = chart.x(moment), chart.y(seconds)
        state = str(run.get("state") or "")
        attempt = number(run.get("attempt")) or 1
        colour = colours.get(str(run.get("job")), JOB_COLOURS[0])
        dash = "\u2013"
        tip = (
            f"{run.get('job') or 'job unknown'} \u00b7 {state or 'state unknown'}"
            + (f" \u00b7 attempt {attempt:g}" if attempt > 1 else "")
            + f"\nstarted {run.get('started_at') or dash}\nended "
            + f"{run.get('ended_at') or dash + ' (not ended by A)'}\nlasted "
            + f"{duration_text(seconds)}{' so far' if still_open else ''}\nrun {run.get('run')}"
        )
        parts.append(
            f'<g class="run" data-state="{escape(state)}" data-attempt="{attempt:g}" '
            f'data-seconds="{num(seconds)}">{tooltip(tip)}'
        )
        if state.upper() in FAILED_STATES:
            r = 5.0
            parts.append(
                f'<path class="failed" d="M{num(px - r)},{num(py - r)}L{num(px + r)},{num(py + r)}'
                f'M{num(px - r)},{num(py + r)}L{num(px + r)},{num(py - r)}" stroke="{BAD}" '
                'stroke-width="2.6" stroke-linecap="round"/>'
            )
        elif still_open:
            parts.append(
                f'<circle class="open" cx="{num(px)}" cy="{num(py)}" r="4.5" fill="#ffffff" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        else:
            parts.append(
                f'<circle class="dot" cx="{num(px)}" cy="{num(py)}" r="4.5" fill="{colour}" '
                'stroke="#ffffff"/>'
            )
        if attempt > 1:
            parts.append(
                f'<circle class="retry" cx="{num(px)}" cy="{num(py)}" r="8.5" fill="none" '
                f'stroke="{MARK_A}" stroke-width="1.6"/>'
            )
        parts.append("</g>")
    if not placed:
        parts.append(empty_note(chart, "no producing run in the window"))
    parts.append(as_of_marker(chart))
    parts.append("</svg>")
    return "".join(parts)
