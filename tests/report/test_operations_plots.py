"""The audit page's operations plots: valid SVG whose marks stand where the health answer says
(one tick and one bar count per commit, the SLA line at its value, breaches where the lag is
above it, one mark per run), and the section the audit report gains, on both databases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.ingest import ingest_files
from temporal_lineage.model import TableRef
from temporal_lineage.operations_config import FreshnessRule
from temporal_lineage.report import audit_of, render_html
from temporal_lineage.report.operations_page import operations_section, zoomed
from temporal_lineage.report.operations_plots import (
    WIDTH,
    breaches,
    cadence_svg,
    freshness_svg,
    lag_points,
    runs_svg,
)
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from temporal_lineage.times import format_time, now
from tests.report.test_page import _parse
from warehouse_fixtures.timeline import Timeline

A = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = timedelta(days=2)


def _t(moment: datetime) -> str:
    text = format_time(moment)
    assert text is not None
    return text


def _health() -> dict[str, Any]:
    """Commits every 8 hours from A - 40h; the last at A - 10h, so A is 10h after it.

    With an SLA of 6h the lag is above it for the last 2h of each gap and the final 4h.
    """
    commits = [A - timedelta(hours=h) for h in (40, 32, 24, 18, 10)]
    series: list[dict[str, Any]] = []
    previous = A - WINDOW - timedelta(hours=1)
    for at in commits:
        series.append({"at": _t(at), "lag_seconds": (at - previous).total_seconds()})
        series.append({"at": _t(at), "lag_seconds": 0.0})
        previous = at
    series.append({"at": _t(A), "lag_seconds": (A - previous).total_seconds()})
    runs = [
        {
            "run": f"r{i}",
            "job": "etl/build" if i != 3 else "etl/backfill",
            "state": "FAIL" if i == 2 else "COMPLETE",
            "started_at": _t(at - timedelta(minutes=10 * (i + 1))),
            "ended_at": _t(at),
            "duration_seconds": 600.0 * (i + 1),
            "attempt": 2 if i == 4 else 1,
        }
        for i, at in enumerate(commits)
    ]
    runs.append(
        {
            "run": "r-open",
            "job": "etl/build",
            "state": "RUNNING",
            "started_at": _t(A - HOUR),
            "ended_at": None,
            "duration_seconds": None,
            "attempt": 1,
        }
    )
    return {
        "table": "lake.features.daily",
        "as_of": _t(A),
        "window_seconds": WINDOW.total_seconds(),
        "commits": [
            {"snapshot": 100 + i, "committed_at": _t(at), "operation": op, "run": f"r{i}"}
            for i, (at, op) in enumerate(
                zip(commits, ["append", "append", "overwrite", "delete", "append"], strict=True)
            )
        ]
        # Before the window: drawn nowhere.
        + [{"snapshot": 9, "committed_at": _t(A - 3 * WINDOW), "operation": "append", "run": None}],
        "freshness": {
            "table": "lake.features.daily",
            "last_commit": _t(commits[-1]),
            "lag_seconds": 36000.0,
            "sla_seconds": 21600.0,
            "late": True,
            "late_upstream": [
                {
                    "table": "lake.raw.clicks",
                    "last_commit": _t(A - 30 * HOUR),
                    "lag_seconds": 108000.0,
                    "sla_seconds": 3600.0,
                    "late": True,
                }
            ],
        },
        "lag_series": series,
        "runs": runs,
        "jobs": [
            {
                "job": "etl/build",
                "runs": 5,
                "failed": 1,
                "failure_rate": 0.25,
                "retries": 1,
                "duration_p50_seconds": 1800.0,
                "duration_p95_seconds": 2900.0,
            },
            {
                "job": "etl/backfill",
                "runs": 1,
                "failed": 0,
                "failure_rate": 0.0,
                "retries": 0,
                "duration_p50_seconds": 2400.0,
                "duration_p95_seconds": 2400.0,
            },
        ],
    }


def _svg(text: str) -> ET.Element:
    root = ET.fromstring(text)  # valid XML, or this raises
    assert root.tag == "svg"
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find("title") is not None
    return root


def _x(moment: datetime, left: float = 64, right: float = WIDTH - 88) -> float:
    """Where an instant lands on the plots' shared time axis (window start to A)."""
    return left + (moment - (A - WINDOW)) / WINDOW * (right - left)


def _value_ticks(root: ET.Element) -> dict[str, float]:
    """Each label of the value axis -> the y of its grid line."""
    axis = root.find("g[@class='value-axis']")
    assert axis is not None
    lines = axis.findall("line")
    texts = axis.findall("text")
    return {
        t.text or "": float(line.get("y1") or "nan") for line, t in zip(lines, texts, strict=False)
    }


def test_freshness_plot_draws_the_sla_at_its_value_and_fills_the_breaches() -> None:
    root = _svg(freshness_svg(_health()))
    (sla,) = [e for e in root.iter("line") if e.get("class") == "sla-line"]
    assert sla.get("data-sla-seconds") == "21600"
    # The 6h SLA sits exactly on the 6h grid line of the value axis.
    ticks = _value_ticks(root)
    assert float(sla.get("y1") or 0) == pytest.approx(ticks["6h"])
    assert ticks["0s"] > ticks["6h"] > ticks["12h"]  # up is longer
    # The saw-tooth: one point per lag sample, drawn left to right.
    (line,) = [e for e in root.iter("polyline") if e.get("class") == "lag"]
    points = [tuple(map(float, p.split(","))) for p in (line.get("points") or "").split()]
    assert len(points) == len(_health()["lag_series"])
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert points[-1][0] == pytest.approx(_x(A), abs=0.1)
    # Breaches: the last 2h of the 8h gaps (A-34h..A-32h, A-26h..A-24h), the gap
    # A-18h..A-10h (A-12h..A-10h) and the final A-4h..A.
    polygons = [e for e in root.iter("polygon") if e.get("class") == "breach"]
    starts = sorted(
        min(float(p.split(",")[0]) for p in (g.get("points") or "").split()) for g in polygons
    )
    expected = [A - timedelta(hours=h) for h in (34, 26, 12, 4)]
    # The first commit's lag (25h since a commit before the window) is a breach too.
    assert len(starts) == len(expected) + 1
    assert starts[1:] == pytest.approx([_x(m) for m in expected], abs=0.15)
    assert root.findtext(".//text[@class='lag-at-a']") == "10h"


def test_breaches_of_a_saw_tooth() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC)
    series = [
        {"at": _t(day), "lag_seconds": 0},
        {"at": _t(day + 10 * HOUR), "lag_seconds": 36000},
        {"at": _t(day + 10 * HOUR), "lag_seconds": 0},
        {"at": _t(day + 12 * HOUR), "lag_seconds": 7200},
    ]
    (group,) = breaches(lag_points(series), 6 * 3600)
    assert [(t - day) / HOUR for t, _ in group] == [6, 10, 10]
    assert breaches(lag_points(series), 11 * 3600) == []


def test_a_far_sla_is_written_above_the_plot_not_drawn_to_scale() -> None:
    health = _health()
    health["freshness"]["sla_seconds"] = 30 * 86400.0
    root = _svg(freshness_svg(health))
    assert [e for e in root.iter("line") if e.get("class") == "sla-line"] == []
    (mark,) = [e for e in root.iter("g") if e.get("class") == "sla off-scale"]
    assert mark.get("data-sla-seconds") == "2592000"
    assert [e for e in root.iter("polygon")] == []
    assert "30d" in "".join(mark.itertext())


def test_cadence_counts_each_commit_of_the_window_once() -> None:
    root = _svg(cadence_svg(_health()))
    bars = [g for g in root.iter("g") if g.get("class") == "bar"]
    # Two days: hourly bars, one per commit here.
    assert sum(int(g.get("data-count") or 0) for g in bars) == 5
    ticks = [e for e in root.iter("line") if e.get("class") == "commit-tick"]
    assert len(ticks) == 5
    commit_times = [A - timedelta(hours=h) for h in (40, 32, 24, 18, 10)]
    assert sorted(float(t.get("x1") or 0) for t in ticks) == pytest.approx(
        [_x(m) for m in commit_times], abs=0.1
    )
    colours = {r.get("data-operation") for g in bars for r in g.iter("rect")}
    assert colours == {"append", "overwrite", "delete"}
    heights = {float(r.get("height") or 0) for g in bars for r in g.iter("rect")}
    assert len(heights) == 1  # one commit each: bars of one height


def test_runs_plot_marks_failures_retries_and_open_runs() -> None:
    root = _svg(runs_svg(_health()))
    runs = [g for g in root.iter("g") if g.get("class") == "run"]
    assert len(runs) == 6
    failed = [g for g in runs if g.get("data-state") == "FAIL"]
    assert len(failed) == 1 and failed[0].find("path[@class='failed']") is not None
    assert len([g for g in runs if g.find("circle[@class='retry']") is not None]) == 1
    (still,) = [g for g in runs if g.find("circle[@class='open']") is not None]
    assert float(still.get("data-seconds") or 0) == 3600  # running for an hour by A
    # The longest run (50 min) at 50/60 of the way from 0s up to the 1h grid line.
    ticks = _value_ticks(root)
    ended = [g for g in runs if g is not still]
    tallest = max(ended, key=lambda g: float(g.get("data-seconds") or 0))
    assert float(tallest.get("data-seconds") or 0) == 3000
    dot = tallest.find("circle")
    assert dot is not None
    expected = ticks["0s"] - 3000 / 3600 * (ticks["0s"] - ticks["1h"])
    assert float(dot.get("cy") or 0) == pytest.approx(expected, abs=0.1)


def test_missing_or_broken_health_draws_notes_not_errors() -> None:
    assert "No run health" in operations_section({})
    for broken in ({}, {"as_of": "soon", "window_seconds": "x", "commits": 3}):
        for draw in (freshness_svg, cadence_svg, runs_svg):
            root = _svg(draw(broken))
            assert "no window" in "".join(root.itertext())


def test_the_section_shows_late_upstream_and_zooms_only_when_the_data_is_at_the_end() -> None:
    health = _health()
    section = operations_section({"health": health, "freshness": [health["freshness"]]})
    _parse(f"<html><body>{section}</body></html>")
    assert section.count("<svg") == 3
    assert "lake.raw.clicks" in section and '<span class="late">late</span>' in section
    assert not zoomed(health)
    health["window_seconds"] = 90 * 86400.0
    assert zoomed(health)
    assert "zoomed to the data" in operations_section({"health": health})


@pytest.fixture
def settings(warehouse: Timeline, store: Store) -> Settings:
    loaded = load_settings(warehouse.root / "lineage.yaml")
    assert sync(store, loaded).errors == []
    assert ingest_files(store, [warehouse.events_path]).rejected == []
    return loaded


def test_audit_report_gains_the_health_of_its_root(store: Store, settings: Settings) -> None:
    rules = (
        FreshnessRule("lake.raw.*", timedelta(seconds=1)),
        FreshnessRule("*", timedelta(days=1)),
    )
    ref = TableRef.from_user_string("deltas.training_set")
    document = audit_of(store, ref, now(), known_at=None, depth=10, freshness_rules=rules)
    health = document["health"]
    assert health["table"] == "deltas.training_set"
    assert health["commits"] and health["runs"] and health["jobs"]
    assert health["freshness"]["sla_seconds"] == 86400
    assert "lake.raw.events" in [u["table"] for u in health["freshness"]["late_upstream"]]
    fresh = {f["table"]: f for f in document["freshness"]}
    assert fresh["deltas.training_set"] == health["freshness"]
    assert fresh["lake.raw.events"]["late"] is True
    page = render_html(document)
    _parse(page)
    section = page[page.index('<section id="operations">') :]
    assert section.count("<svg") == 3
    assert '<a href="#operations">' in page
    assert page.count("<svg") == 4  # the provenance graph and the three plots
    assert "lake.raw.events" in section
    assert "fed by late tables" in page  # the summary's warning
