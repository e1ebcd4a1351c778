"""Fixtures of the web UI tests: Debian's Chromium driven by Playwright, real servers.

Chromium comes from Debian (``apt-get install chromium``, done once per session when it is
missing), never from Playwright's browser download. Outside CI a machine without it skips
the browser tests with the reason; with ``CI=true`` they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from temporal_lineage.config import load_settings
from temporal_lineage.ingest import ingest_files, ingest_payload
from temporal_lineage.store import open_store
from temporal_lineage.sync import sync
from temporal_lineage.times import format_time, now
from tests.api.live import ServeProcesses
from warehouse_fixtures.timeline import Timeline

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

WAIT_MS = 30_000


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true requires the browser tests to run: {reason}")
    pytest.skip(reason)


def _apt_install_chromium() -> str:
    """Install Debian's chromium package; returns the last line apt printed."""
    apt = shutil.which("apt-get")
    if apt is None:
        return "apt-get not found (not a Debian system)"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "not root, cannot apt-get install chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [apt, *args], capture_output=True, text=True, env=env, timeout=900, check=False
        )

    done = apt_get("install", "-y", "-q", "chromium")
    if done.returncode != 0:
        apt_get("update", "-q")
        done = apt_get("install", "-y", "-q", "chromium")
    text = (done.stdout + done.stderr).strip()
    return text.splitlines()[-1] if text else f"apt-get exited with {done.returncode}"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, installed with apt-get on first use when missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed ({exc})")
    if not CHROMIUM.exists():
        tail = _apt_install_chromium()
        if not CHROMIUM.exists():
            _unavailable(f"{CHROMIUM} missing and `apt-get install -y chromium` failed: {tail}")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """A headless Chromium for the session (Playwright's ``expect`` waits ``WAIT_MS``)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class PageProblems:
    """Console errors and uncaught exceptions seen by a page."""

    console: list[str]
    uncaught: list[str]

    def assert_none(self) -> None:
        assert self.console == [], self.console
        assert self.uncaught == [], self.uncaught


def open_page(browser: Any, *, accept_downloads: bool = False) -> tuple[Any, Any, PageProblems]:
    """A new context and page (1400x900) recording console errors and page errors."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, accept_downloads=accept_downloads
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    problems = PageProblems([], [])
    page.on(
        "console",
        lambda message: problems.console.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.uncaught.append(str(error)))
    return context, page, problems


# --- servers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A running ``temporal-lineage serve`` and what the tests need to know about it."""

    url: str
    config: Path
    store_url: str

    def api(self, path: str, token: str | None = None, **params: Any) -> Any:
        """GET an API answer as JSON (to compare the pages with)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        query = {k: v for k, v in params.items() if v is not None}
        response = httpx.get(f"{self.url}/api/v1/{path}", params=query, headers=headers)
        response.raise_for_status()
        return response.json()

    def cli(self, *args: str) -> str:
        """Run a ``temporal-lineage`` command against this server's config and store."""
        done = subprocess.run(
            [sys.executable, "-m", "temporal_lineage", *args]
            + ["--config", str(self.config), "--store", self.store_url],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout


@pytest.fixture(scope="session")
def serve() -> Iterator[Any]:
    """Start ``temporal-lineage serve`` processes; all are stopped at the end of the session."""
    processes = ServeProcesses()

    def start(config: Path, store_url: str, *, open_reads: bool) -> Server:
        options = ["--store", store_url, *(["--open-reads"] if open_reads else [])]
        url, _ = processes.start(config, *options)
        return Server(url, config, store_url)

    try:
        yield start
    finally:
        processes.stop()


@pytest.fixture(scope="session")
def open_server(serve: Any, sample_store: SampleStore) -> Server:
    """The sample store served with open reads."""
    server: Server = serve(sample_store.config, sample_store.store_url, open_reads=True)
    return server


@dataclass(frozen=True)
class SampleStore:
    """The sample warehouse synced into a SQLite store, then its events ingested."""

    config: Path
    store_url: str
    synced_at: str
    """A time after the sync and before the events were ingested (for known-at)."""


@pytest.fixture(scope="session")
def sample_store(warehouse: Timeline, tmp_path_factory: pytest.TempPathFactory) -> SampleStore:
    """The shared sample warehouse in a store of the UI tests' own."""
    folder = tmp_path_factory.mktemp("ui-store")
    store_url = f"sqlite:///{folder / 'lineage.db'}"
    config = warehouse.root / "lineage.yaml"
    settings = load_settings(config, store=store_url)
    store = open_store(store_url)
    try:
        assert sync(store, settings).errors == []
        time.sleep(0.05)
        synced_at = format_time(now())
        time.sleep(0.05)
        assert ingest_files(store, [warehouse.events_path]).rejected == []
    finally:
        store.close()
    assert synced_at is not None
    return SampleStore(config, store_url, synced_at)


# --- a 200-table lineage graph ----------------------------------------------------------

CHAIN_LAYERS = 20
CHAIN_WIDTH = 10
PRODUCER = "https://example.com/tests/ui"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def chain_table(layer: int, column: int) -> str:
    """The folder (and identifier) of one table of the synthetic graph."""
    return f"l{layer:02d}_c{column}"


def _chain_inputs(layer: int, column: int) -> list[tuple[int, int]]:
    if layer == 0:
        return []
    if layer == CHAIN_LAYERS:
        return [(CHAIN_LAYERS - 1, c) for c in range(CHAIN_WIDTH)]
    return [(layer - 1, column), (layer - 1, (column + 3) % CHAIN_WIDTH)]


def _event(kind: str, run_id: str, job: str, at: datetime, **datasets: Any) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": format_time(at),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT,
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": "synthetic", "name": job, "facets": {}},
        "inputs": datasets.get("inputs", []),
        "outputs": datasets.get("outputs", []),
    }


@pytest.fixture(scope="session")
def chain_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """199 small Delta tables in 20 layers plus one final table reading the last layer.

    Every table has one commit carrying its run id; every run's events name its inputs and
    output. Returns (config, store URL, the root table's reference).
    """
    import pyarrow as pa
    from deltalake import CommitProperties, write_deltalake

    root = tmp_path_factory.mktemp("chain")
    config = root / "lineage.yaml"
    config.write_text("sources:\n  - {name: syn, format: delta, root: delta}\n")
    store_url = f"sqlite:///{root / 'lineage.db'}"
    cells = [(layer, c) for layer in range(CHAIN_LAYERS) for c in range(CHAIN_WIDTH)][:-1]
    cells.append((CHAIN_LAYERS, 0))
    started = now() - timedelta(minutes=5)
    events: list[dict[str, Any]] = []
    for layer, column in cells:
        name = "final" if layer == CHAIN_LAYERS else chain_table(layer, column)
        run_id = str(uuid.uuid4())
        write_deltalake(
            root / "delta" / name,
            pa.table({"v": pa.array([layer * 100 + column], pa.int64())}),
            commit_properties=CommitProperties(custom_metadata={"lineage.run-id": run_id}),
        )
        inputs = [
            {"namespace": "syn", "name": chain_table(*cell), "facets": {}}
            for cell in _chain_inputs(layer, column)
            if cell in cells
        ]
        outputs = [{"namespace": "syn", "name": name, "facets": {}}]
        job = f"build-{name}"
        events.append(_event("START", run_id, job, started, inputs=inputs, outputs=outputs))
        events.append(_event("COMPLETE", run_id, job, now(), inputs=inputs, outputs=outputs))
    settings = load_settings(config, store=store_url)
    store = open_store(store_url)
    try:
        assert sync(store, settings).errors == []
        report = ingest_payload(store, "\n".join(json.dumps(e) for e in events), origin="ui-test")
        assert report.rejected == []
    finally:
        store.close()
    return config, store_url, "syn.final"
