"""The service running: background sync inside the app, /health freshness, /metrics text,
and `serve` as a real process (one worker and several)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from deltalake import write_deltalake
from fastapi.testclient import TestClient

from temporal_lineage.api import create_app
from temporal_lineage.config import Settings, SourceConfig
from temporal_lineage.model import Format
from temporal_lineage.store import open_store
from temporal_lineage.store.tokens import Scope
from tests.api.conftest import make_token
from tests.api.live import free_port


def _delta_settings(tmp_path: Path, store_url: str, interval: float) -> Settings:
    root = tmp_path / "delta"
    write_deltalake(str(root / "orders"), pa.table({"id": [1, 2]}))
    source = SourceConfig(
        name="deltas",
        format=Format.DELTA,
        root=str(root),
        poll_interval=timedelta(seconds=interval),
    )
    return Settings(store_url=store_url, sources=(source,))


def _until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_background_sync_runs_inside_the_app(tmp_path: Path, store_url: str) -> None:
    settings = _delta_settings(tmp_path, store_url, interval=0.3)
    app = create_app(settings)
    store = app.state.lineage.store
    token = make_token(store, Scope.READ)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, headers=headers) as client:
        _until(lambda: client.get("/api/v1/tables").json() != [])
        write_deltalake(str(tmp_path / "delta" / "orders"), pa.table({"id": [3]}), mode="append")
        _until(lambda: len(client.get("/api/v1/tables/deltas.orders/snapshots").json()) == 2)
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["scheduler"]
        (fresh,) = health["sources"]
        assert fresh["source"] == "deltas" and fresh["last_success_at"] is not None
        assert fresh["consecutive_failures"] == 0 and fresh["lag_seconds"] >= 0
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'source="deltas"' in metrics.text
        assert TestClient(app).get("/metrics").status_code == 401  # reads need a token
    assert app.state.lineage.scheduler is None  # stopped with the app


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`temporal-lineage serve --workers 2` over a Delta root with a 0.3 s poll interval."""
    write_deltalake(str(tmp_path / "delta" / "orders"), pa.table({"id": [1, 2]}))
    config = tmp_path / "lineage.yaml"
    config.write_text(
        f"store: sqlite:///{tmp_path / 'store.db'}\n"
        "sources:\n  - {name: deltas, format: delta, root: delta, poll_interval: 0.3s}\n",
        encoding="utf-8",
    )
    token = make_token(open_store(f"sqlite:///{tmp_path / 'store.db'}"), Scope.READ)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "temporal_lineage", "serve", "--config", str(config)]
        + ["--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _healthy(base, process))
        yield base, token, tmp_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        assert process.returncode == 0 or b"Traceback" not in out, out.decode()[-2000:]


def _healthy(base: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"serve exited: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_with_two_workers_and_one_scheduler(served: tuple[str, str, Path]) -> None:
    base, token, folder = served
    headers = {"Authorization": f"Bearer {token}"}
    _until(lambda: httpx.get(f"{base}/api/v1/tables", headers=headers).json() != [])
    write_deltalake(str(folder / "delta" / "orders"), pa.table({"id": [3]}), mode="append")
    url = f"{base}/api/v1/tables/deltas.orders/snapshots"
    _until(lambda: len(httpx.get(url, headers=headers).json()) == 2)
    assert httpx.get(f"{base}/api/v1/tables").status_code == 401
    fresh = httpx.get(f"{base}/health").json()["sources"]
    assert [f["source"] for f in fresh] == ["deltas"] and fresh[0]["last_success_at"]
    openapi = httpx.get(f"{base}/openapi.json").json()
    assert "/api/v1/lineage" in openapi["paths"]
    page = httpx.get(f"{base}/", follow_redirects=True)
    assert page.status_code == 200 and "<html" in page.text.lower()
