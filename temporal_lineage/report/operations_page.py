"""The audit page's operations section: the root table's freshness against its SLA, commit
cadence and producing runs as of A (inline SVG from ``operations_plots``), the per-job run
statistics, and the freshness of the other tables of the report.

It reads the document's ``health`` (one ``health_json``) and ``freshness`` (a
``freshness_json`` list) tolerantly: a missing part shows as absent, never as an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporal_lineage.report.html_parts import MISSING, cell, esc, mappings, table_html
from temporal_lineage.report.operations_plots import (
    BAD,
    LAG,
    OPERATION_COLOURS,
    cadence_svg,
    data_start,
    freshness_svg,
    job_colours,
    operation_class,
    runs_svg,
    window_of,
)
from temporal_lineage.report.plot_axes import MARK_A, duration_text, number
from temporal_lineage.times import format_time

CSS = """
.plot-frame { overflow-x: auto; margin: 6px 0 2px; }
.plot-frame svg { display: block; max-width: 100%; height: auto; }
.late { color: #b2182b; font-weight: 600; }
.on-time { color: #1b7837; font-weight: 600; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin-right: 5px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""

NAV = '<a href="#operations">Operations</a>'
"""The link of the section in the page's navigation."""

ZOOM_BELOW = 0.1
"""Data spanning less than this share of the window is drawn zoomed (and the page says so)."""


def _health(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    health = document.get("health")
    return health if isinstance(health, Mapping) else None


def _verdict(freshness: Mapping[str, Any]) -> str:
    """``late``, ``on time`` or ``no SLA`` with the lag, the SLA and the last commit."""
    lag, sla = number(freshness.get("lag_seconds")), number(freshness.get("sla_seconds"))
    if freshness.get("late") is True:
        word = '<span class="late">late</span>'
    elif sla:
        word = '<span class="on-time">on time</span>'
    else:
        word = "no SLA set"
    return (
        f"{word}: lag {esc(duration_text(lag))} as of A against an SLA of "
        f"{esc(duration_text(sla)) if sla else 'none'}; last commit "
        f"{esc(freshness.get('last_commit')) or MISSING}"
    )


def _swatches(items: list[tuple[str, str]]) -> str:
    spans = "".join(
        f'<li><span class="sw" style="background: {colour}"></span>{esc(label)}</li>'
        for colour, label in items
    )
    return f'<ul class="legend">{spans}</ul>'


def _freshness_rows(rows: list[Mapping[str, Any]]) -> list[str]:
    body = []
    for row in rows:
        late = row.get("late") is True
        css = ' class="weak"' if late else ""
        shown = '<span class="late">late</span>' if late else "no"
        body.append(
            f"<tr{css}>"
            + cell(row.get("table"), "id")
            + cell(row.get("last_commit"))
            + cell(duration_text(number(row.get("lag_seconds"))), "num")
            + cell(duration_text(number(row.get("sla_seconds"))), "num")
            + f"<td>{shown}</td>"
            + cell(", ".join(str(u.get("table")) for u in mappings(row.get("late_upstream"))))
            + "</tr>"
        )
    return body


def zoomed(health: Mapping[str, Any]) -> bool:
    """Whether the plots start at the data rather than the window: the commits, lags and
    runs of the window all lie in its last ``ZOOM_BELOW`` share."""
    window, first = window_of(health), data_start(health)
    if window is None or first is None:
        return False
    start, end = window
    return (end - first) < (end - start) * ZOOM_BELOW


def _jobs(health: Mapping[str, Any]) -> str:
    colours = job_colours(health)
    body = []
    for job in mappings(health.get("jobs")):
        rate = number(job.get("failure_rate"))
        colour = colours.get(str(job.get("job")), LAG)
        body.append(
            f'<tr><td class="id"><span class="sw" style="background: {colour}"></span>'
            f"{esc(job.get('job'))}</td>"
            + cell(job.get("runs"), "num")
            + cell(job.get("failed"), "num")
            + cell(f"{100 * rate:.1f}%" if rate is not None else None, "num")
            + cell(job.get("retries"), "num")
            + cell(duration_text(number(job.get("duration_p50_seconds"))), "num")
            + cell(duration_text(number(job.get("duration_p95_seconds"))), "num")
            + "</tr>"
        )
    headers = ["job", "runs", "failed", "failure rate", "retries", "p50", "p95"]
    return table_html(headers, body, "No producing run in the window.")


def health_summary(document: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The summary's lines and warnings about the root table's freshness and runs."""
    health = _health(document)
    if health is None:
        return [], []
    freshness = health.get("freshness")
    fresh: Mapping[str, Any] = freshness if isinstance(freshness, Mapping) else {}
    lines = [f"<li>Freshness of the root table: {_verdict(fresh)}</li>"]
    warnings = []
    late_up = [str(u.get("table")) for u in mappings(fresh.get("late_upstream"))]
    if fresh.get("late") is True or late_up:
        named = f" Late upstream: {esc(', '.join(late_up))}." if late_up else ""
        warnings.append(
            '<p class="warning"><strong>Warning:</strong> the root table is '
            f"{'late' if fresh.get('late') is True else 'fed by late tables'} as of A.{named}</p>"
        )
    failed = sum(int(number(j.get("failed")) or 0) for j in mappings(health.get("jobs")))
    if failed:
        warnings.append(
            f'<p class="warning">Producing runs that failed in the window: {failed}.</p>'
        )
    return lines, warnings


def operations_section(document: Mapping[str, Any]) -> str:
    """The section: verdict, the three plots with their legends, jobs, other tables' freshness."""
    health = _health(document)
    if health is None:
        return (
            '<section id="operations"><h2>Operations</h2>'
            '<p class="missing">No run health in this document.</p></section>'
        )
    freshness = health.get("freshness")
    fresh: Mapping[str, Any] = freshness if isinstance(freshness, Mapping) else {}
    operations = {operation_class(c.get("operation")) for c in mappings(health.get("commits"))}
    op_legend = [(c, label) for key, (c, label) in OPERATION_COLOURS.items() if key in operations]
    jobs = [(colour, job) for job, colour in job_colours(health).items()]
    zoom = zoomed(health)
    first = data_start(health) if zoom else None
    span = (
        f"the {esc(duration_text(number(health.get('window_seconds')) or 0))} before A"
        if not zoom or first is None
        else f"from {esc(format_time(first))} to A: zoomed to the data, which fills only the end "
        f"of the {esc(duration_text(number(health.get('window_seconds'))))} window"
    )
    others = [
        row
        for row in mappings(document.get("freshness"))
        if str(row.get("table")) != str(health.get("table"))
    ]
    return (
        '<section id="operations"><h2>Operations of the root table</h2>'
        f"<p>{_verdict(fresh)}. The plots cover {span} (A = {esc(health.get('as_of'))}); "
        "hovering a mark shows its time, snapshot or run.</p>"
        + (
            "<p>Late upstream: "
            + ", ".join(
                f'<span class="late">{esc(u.get("table"))}</span> (lag '
                f"{esc(duration_text(number(u.get('lag_seconds'))))} against "
                f"{esc(duration_text(number(u.get('sla_seconds'))))})"
                for u in mappings(fresh.get("late_upstream"))
            )
            + "</p>"
            if mappings(fresh.get("late_upstream"))
            else ""
        )
        + "<h3>Freshness against the SLA</h3>"
        f'<div class="plot-frame">{freshness_svg(health, zoom=zoom)}</div>'
        + _swatches([(LAG, "lag (time since the last commit)"), (BAD, "SLA and breaches")])
        + "<h3>Commit cadence</h3>"
        f'<div class="plot-frame">{cadence_svg(health, zoom=zoom)}</div>'
        + _swatches(op_legend)
        + "<h3>Producing runs</h3>"
        f'<div class="plot-frame">{runs_svg(health, zoom=zoom)}</div>'
        + _swatches([*jobs, (BAD, "\u00d7 failed"), (MARK_A, "ringed: a retry (attempt > 1)")])
        + _jobs(health)
        + (
            "<h3>Freshness of the other tables of the report</h3>"
            + table_html(
                ["table", "last commit", "lag", "SLA", "late", "late upstream"],
                _freshness_rows(others),
                "No other table.",
            )
            if others
            else ""
        )
        + "</section>"
    )
