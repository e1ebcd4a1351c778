"""The FastAPI application: the CLI's answers under ``/api/v1``, the OpenLineage endpoint,
``/health``, ``/metrics`` and the web UI (static files under ``/ui/``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from scheduler import start_background
from temporal_lineage import __version__
from temporal_lineage.api import (
    access_routes,
    governance_routes,
    history_routes,
    hygiene_routes,
    ingest_routes,
    layout_routes,
    lineage_routes,
    operations_routes,
    problems,
    quality_routes,
    service_routes,
)
from temporal_lineage.api.state import AppState
from temporal_lineage.config import Settings, load_settings
from temporal_lineage.store import Store, open_store

UI_DIR = Path(__file__).parent / "ui"


def create_app(
    settings: Settings,
    *,
    read_open: bool | None = None,
    store: Store | None = None,
) -> FastAPI:
    """The app serving ``settings`` (``read_open`` overrides ``service.open_reads``).

    The store is opened (and migrated) here, so a bad store URL fails before serving. With
    ``service.scheduler`` (and sources configured) the app runs the background sync while
    it is up (from its startup to its shutdown).
    """
    if read_open is not None:
        settings = replace(settings, service=replace(settings.service, open_reads=read_open))
    state = AppState(settings, store if store is not None else open_store(settings.store_url))
    owns_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.service.scheduler and settings.sources:
            state.scheduler = start_background(settings, state.store)
        try:
            yield
        finally:
            if state.scheduler is not None:
                state.scheduler.shutdown()
                state.scheduler = None
            state.events.close()
            if owns_store:
                state.store.close()

    app = FastAPI(
        title="temporal-lineage",
        version=__version__,
        description="The exact, bitemporal memory of an Iceberg / Delta lakehouse.",
        lifespan=lifespan,
    )
    app.state.lineage = state
    problems.install(app)
    # The OpenLineage endpoint first: every posted event is matched against the routes in
    # this order, and it was the last of about thirty (bench/http_service.py).
    for module in (
        ingest_routes,
        history_routes,
        governance_routes,
        access_routes,
        lineage_routes,
        operations_routes,
        quality_routes,
        hygiene_routes,
        layout_routes,
        service_routes,
    ):
        app.include_router(module.router)
    if UI_DIR.is_dir():
        app.mount("/ui", StaticFiles(directory=UI_DIR, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    return app


def worker_app(spec: Mapping[str, Any]) -> FastAPI:
    """The app of one ``serve --workers N`` worker process (uvicorn's factory, given the
    settings ``serve`` resolved: ``config``, ``store`` and ``service``)."""
    settings = load_settings(spec["config"], store=spec["store"])
    service = replace(settings.service, **spec["service"])
    return create_app(replace(settings, service=service))
