"""The table health page end to end: headless Debian Chromium against ``temporal-lineage
serve`` over the sample warehouse, with freshness SLAs that make ``lake.raw.*`` late.

Every plot is compared with the API's answer for the same times: one tick and one bar count
per commit, one mark per producing run (failures as crosses, retries ringed), the SLA line
at its value; the late upstream tables, the quality verdict and the triage causes are those
the API gives. Screenshots at 1400 and 1920 px are kept in the test's folder.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from temporal_lineage.times import format_time, parse_time
from tests.api.browser_support import SampleStore, Server, open_page
from warehouse_fixtures.timeline import Timeline

TRAINING = "deltas.training_set"
EVENTS = "lake.raw.events"
FRESHNESS = """
freshness:
  - {table: "lake.raw.*", sla: 1s}
  - {table: "*", sla: 1d}
"""


@pytest.fixture(scope="module")
def health_server(
    serve: Any,
    sample_store: SampleStore,
    warehouse: Timeline,
    tmp_path_factory: pytest.TempPathFactory,
) -> Server:
    """The sample store served with open reads and the SLAs of ``FRESHNESS``."""
    text = sample_store.config.read_text().replace(
        "root: delta ", f"root: {warehouse.root / 'delta'} "
    )
    assert str(warehouse.root / "delta") in text
    config = tmp_path_factory.mktemp("health-config") / "lineage.yaml"
    config.write_text(text + FRESHNESS)
    server: Server = serve(config, sample_store.store_url, open_reads=True)
    return server


@pytest.fixture(scope="module")
def as_of(health_server: Server) -> str:
    """Two seconds after the store's last commit: the raw tables' 1 s SLA is broken then."""
    last = max(
        parse_time(s["committed_at"])
        for t in health_server.api("tables")
        for s in health_server.api(f"tables/{t['table']}/snapshots")
    )
    shown = format_time(last + timedelta(seconds=2))
    assert shown is not None
    return shown


def _ready(page: Any, table: str) -> None:
    page.locator(f'[data-testid=health-page][data-state=ready][data-table="{table}"]').wait_for()
    for plot in ("freshness-plot", "cadence-plot", "runs-plot"):
        page.locator(f"[data-testid={plot}]").wait_for()


def _health_url(server: Server, table: str, as_of: str, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"as_of": as_of, **extra}.items())
    return f"{server.url}/ui/#/health/{table}?{query}"


def test_search_leads_to_the_health_page_and_the_plots_match_the_api(
    browser: Any, health_server: Server, as_of: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    page.goto(health_server.url + "/ui/")
    page.get_by_test_id("table-search").fill("training")
    expect(page.get_by_test_id("table-row")).to_have_count(1)
    page.get_by_test_id("table-row").get_by_test_id("table-health-link").click()
    _ready(page, TRAINING)

    page.goto(_health_url(health_server, TRAINING, as_of, window="1d", zoom="1"))
    page.locator(f'[data-testid=health-page][data-state=ready][data-as-of="{as_of}"]').wait_for()
    _ready(page, TRAINING)
    health = health_server.api(f"tables/{TRAINING}/health", as_of=as_of, window="1d")
    assert len(health["commits"]) >= 5 and len(health["runs"]) >= 5

    # Cadence: one tick per commit, the bars count every commit once.
    ticks = page.locator("[data-testid=commit-tick]")
    expect(ticks).to_have_count(len(health["commits"]))
    assert sorted(ticks.evaluate_all("els => els.map(e => e.dataset.snapshot)")) == sorted(
        str(c["snapshot"]) for c in health["commits"]
    )
    counts = page.locator("[data-testid=commit-bar]").evaluate_all(
        "els => els.map(e => Number(e.dataset.count))"
    )
    assert sum(counts) == len(health["commits"])

    # Freshness: the saw-tooth, the SLA line at its value, the late upstream named and linked.
    fresh = health["freshness"]
    assert fresh["sla_seconds"] == 86400 and fresh["late"] is False
    # A day's SLA over lags of seconds is not drawn to scale: it would flatten the lag.
    expect(page.get_by_test_id("sla-off-scale")).to_have_attribute("data-sla-seconds", "86400")
    expect(page.get_by_test_id("sla-line")).to_have_count(0)
    plotted = [p for p in health["lag_series"] if p["lag_seconds"] is not None]
    expect(page.get_by_test_id("lag-point")).to_have_count(len(plotted))
    expect(page.get_by_test_id("late-badge")).to_have_text("on time")
    late_up = [u["table"] for u in fresh["late_upstream"]]
    assert EVENTS in late_up
    links = page.get_by_test_id("late-upstream-link")
    expect(links).to_have_count(len(late_up))
    assert links.evaluate_all("els => els.map(e => e.dataset.table)") == late_up
    expect(page.get_by_test_id("upstream-verdict")).to_contain_text(f"{len(late_up)} late upstream")

    # Runs: one mark per run, the failed ones crossed, the retries ringed; one row per job.
    marks = page.get_by_test_id("run-mark")
    expect(marks).to_have_count(len(health["runs"]))
    failed = [r["run"] for r in health["runs"] if r["state"] in ("FAIL", "ABORT")]
    assert failed, "the sample warehouse has a failed run of the training set"
    crossed = page.locator("[data-testid=run-mark].failed").evaluate_all(
        "els => els.map(e => e.dataset.run)"
    )
    assert sorted(crossed) == sorted(failed)
    retried = [r for r in health["runs"] if r["attempt"] > 1]
    expect(page.locator("[data-testid=run-mark] .retry-ring")).to_have_count(len(retried))
    expect(page.get_by_test_id("job-row")).to_have_count(len(health["jobs"]))
    expect(page.get_by_test_id("runs-verdict")).to_contain_text(
        f"{sum(j['failed'] for j in health['jobs'])} of {sum(j['runs'] for j in health['jobs'])}"
    )

    # Quality and triage as the API answers them.
    quality = health_server.api(f"tables/{TRAINING}/quality", as_of=as_of)
    expect(page.get_by_test_id("suspect-badge")).to_have_text(
        "suspect" if quality["suspect"] else "not suspect"
    )
    expect(page.get_by_test_id("because-row")).to_have_count(len(quality["because"]))
    triage = health_server.api(f"tables/{TRAINING}/triage", at=as_of, window="24h")
    ranked = sorted(triage["causes"], key=lambda c: c["rank"])
    assert len(ranked) > 10, "the sample warehouse changes a lot upstream of the training set"
    causes = page.get_by_test_id("triage-cause")
    expect(causes).to_have_count(10)  # the ten likeliest first
    kinds = "els => els.map(e => [e.dataset.rank, e.dataset.kind])"
    assert causes.evaluate_all(kinds) == [[str(c["rank"]), c["kind"]] for c in ranked[:10]]
    page.get_by_test_id("triage-more").click()
    expect(causes).to_have_count(len(ranked))
    assert causes.evaluate_all(kinds) == [[str(c["rank"]), c["kind"]] for c in ranked]
    failed_causes = [c for c in ranked if c["kind"] == "failed_run"]
    assert failed_causes
    page.locator("[data-testid=cause-filter][data-kind=failed_run]").click()
    expect(causes).to_have_count(len(failed_causes))
    first = causes.first
    expect(first.get_by_test_id("cause-kind")).to_have_text("failed run")
    expect(first.get_by_test_id("cause-detail")).to_contain_text(
        failed_causes[0]["detail"].split("; score")[0]
    )
    page.get_by_test_id("triage-window").select_option("1h")
    page.wait_for_url("**triage=1h**")
    narrow = health_server.api(f"tables/{TRAINING}/triage", at=as_of, window="1h")
    page.locator("[data-testid=health-page][data-state=ready]").wait_for()
    expect(page.get_by_test_id("triage-summary")).to_contain_text(f"{len(narrow['causes'])} change")
    expect(causes).to_have_count(min(10, len(narrow["causes"])))
    problems.assert_none()
    context.close()


def test_a_late_table_shows_its_breach_and_is_reached_from_the_lineage_page(
    browser: Any, health_server: Server, as_of: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    context, page, problems = open_page(browser)
    page.goto(f"{health_server.url}/ui/#/table/{TRAINING}?as_of={as_of}")
    page.locator("[data-testid=lineage-page][data-state=ready]").wait_for()
    page.locator(f'[data-testid=graph-node][data-table="{EVENTS}"]').click()
    panel = page.locator(f'[data-testid=node-panel][data-state=ready][data-table="{EVENTS}"]')
    panel.get_by_test_id("panel-health-link").click()
    _ready(page, EVENTS)
    assert f"as_of={as_of}" in page.url
    # Seconds of data in a 30 day window: drawn zoomed, and the page says so.
    expect(page.locator("[data-testid=health-page][data-zoomed=true]")).to_have_count(1)
    expect(page.get_by_test_id("zoom-note")).to_contain_text("zoomed")
    page.get_by_test_id("health-zoom").uncheck()
    expect(page.locator("[data-testid=health-page][data-zoomed=false]")).to_have_count(1)
    assert "zoom=0" in page.url
    page.get_by_test_id("health-zoom").check()
    assert "zoom=1" in page.url
    health = health_server.api(f"tables/{EVENTS}/health", as_of=as_of)
    assert health["freshness"]["late"] is True and health["freshness"]["sla_seconds"] == 1
    expect(page.get_by_test_id("late-badge")).to_have_text("late")
    # The 1 s SLA is drawn to scale, at the height of the lag it stands for.
    sla = page.get_by_test_id("sla-line")
    expect(sla).to_have_attribute("data-sla-seconds", "1")
    plot = page.get_by_test_id("freshness-plot")
    top, bottom, y_max = plot.evaluate(
        "svg => { const a = svg.querySelector('.plot-area');"
        " return [a.y.baseVal.value, a.y.baseVal.value + a.height.baseVal.value,"
        " Number(svg.dataset.yMax)]; }"
    )
    assert float(sla.get_attribute("y1")) == pytest.approx(bottom - (bottom - top) / y_max, abs=0.5)
    expect(page.get_by_test_id("freshness-verdict")).to_contain_text("late")
    # Each stretch of the saw-tooth above the 1 s SLA is filled.
    gaps = sum(
        1
        for before, after in zip(health["lag_series"], health["lag_series"][1:], strict=False)
        if before["lag_seconds"] == 0 and after["lag_seconds"] > 1
    )
    assert page.get_by_test_id("breach-area").count() >= max(gaps, 1)
    page.screenshot(path=str(tmp_path / "health-late.png"), full_page=True)
    problems.assert_none()
    context.close()


@pytest.mark.parametrize("width,height", [(1400, 900), (1920, 1080)])
def test_the_health_page_reads_at_desktop_widths(
    browser: Any, health_server: Server, as_of: str, tmp_path: Path, width: int, height: int
) -> None:
    """The plots fill their cards at their own pixel size (text stays 11.5 px), nothing
    overflows sideways, and the screenshot is kept for a look."""
    context, page, problems = open_page(browser)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(_health_url(health_server, TRAINING, as_of, window="1d", zoom="1"))
    _ready(page, TRAINING)
    shot = tmp_path / f"health-{width}x{height}.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
    measured = page.evaluate(
        """() => [...document.querySelectorAll('svg.plot')].map(svg => {
            const box = svg.parentElement.getBoundingClientRect();
            const drawn = svg.getBoundingClientRect();
            const label = svg.querySelector('.time-axis text');
            return {
                plot: svg.dataset.testid, box: box.width, drawn: drawn.width,
                viewBox: svg.viewBox.baseVal.width,
                font: label ? label.getBoundingClientRect().height : 0,
                page: document.documentElement.scrollWidth, window: window.innerWidth,
            };
        })"""
    )
    assert {m["plot"] for m in measured} == {"freshness-plot", "cadence-plot", "runs-plot"}
    for m in measured:
        assert abs(m["drawn"] - m["box"]) <= 8, m
        assert m["viewBox"] == m["drawn"], m  # drawn at 1:1, not scaled
        assert 10 <= m["font"] <= 18, m
        assert m["page"] <= m["window"], m
    problems.assert_none()
    context.close()
