"""The API over real stores: the sample warehouse synced and its events ingested."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from temporal_lineage.api import create_app
from temporal_lineage.config import Settings, load_settings
from temporal_lineage.ingest import ingest_files
from temporal_lineage.store import Store, open_store
from temporal_lineage.store.tokens import Scope, create_token
from temporal_lineage.sync import sync
from temporal_lineage.times import now

# The browser tests' fixtures live here so that every module driving Chromium shares one
# session Playwright (a second sync_playwright in the same thread fails).
from tests.api.browser_support import (  # noqa: F401
    browser,
    chromium_path,
    open_server,
    sample_store,
    serve,
)
from warehouse_fixtures.timeline import Timeline


def synced_settings(store_url: str, warehouse: Timeline) -> Settings:
    """The warehouse's settings on ``store_url``, synced and with its events ingested (the
    background scheduler off: these tests sync when they mean to)."""
    loaded = load_settings(warehouse.root / "lineage.yaml")
    service = replace(loaded.service, scheduler=False)
    settings = replace(loaded, store_url=store_url, service=service)
    store = open_store(store_url)
    try:
        assert sync(store, settings).errors == []
        assert ingest_files(store, [warehouse.events_path]).rejected == []
    finally:
        store.close()
    return settings


@pytest.fixture
def settings(store_url: str, warehouse: Timeline) -> Settings:
    """The sample warehouse in a fresh store, on SQLite and on PostgreSQL."""
    return synced_settings(store_url, warehouse)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The app over that store (tokens required for reads)."""
    built = create_app(settings)
    yield built
    built.state.lineage.store.close()


def make_token(store: Store, scope: Scope) -> str:
    """A fresh token of ``scope``."""
    with store.begin() as conn:
        return create_token(conn, scope, now(), f"test-{scope.value}")


@pytest.fixture
def tokens(app: FastAPI) -> dict[Scope, str]:
    """One token of each scope."""
    store = app.state.lineage.store
    return {scope: make_token(store, scope) for scope in Scope}


@pytest.fixture
def client(app: FastAPI, tokens: dict[Scope, str]) -> Iterator[TestClient]:
    """A client sending the read token."""
    with TestClient(app, headers={"Authorization": f"Bearer {tokens[Scope.READ]}"}) as c:
        yield c
