"""Running the service: ``/health``, ``/metrics``, and a sync pass on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from temporal_lineage.api.auth import ADMIN, READ
from temporal_lineage.api.responses import DocumentedAs, problems
from temporal_lineage.api.responses.service import (
    Health,
    HealthUnavailable,
    PrometheusText,
    SyncAnswer,
)
from temporal_lineage.api.state import app_state
from temporal_lineage.api.table_metrics import table_metrics_text
from temporal_lineage.errors import one_line
from temporal_lineage.query import shapes
from temporal_lineage.query.propagation import consumers_of
from temporal_lineage.sync import sync
from temporal_lineage.sync_metrics import (
    PROMETHEUS_CONTENT_TYPE,
    freshness,
    freshness_json,
    prometheus_text,
)

router = APIRouter(tags=["service"])


@router.get(
    "/health",
    summary="Ready (200) when the store answers; per-source freshness",
    responses={
        200: {"model": Health},
        503: {"model": HealthUnavailable, "description": "The store does not answer"},
    },
)
def health(request: Request) -> JSONResponse:
    """``{"status", "revision", "scheduler", "sources": [{"source", "last_success_at",
    "lag_seconds", "consecutive_failures", "last_error", ...}]}``; 503 when the store is
    unreachable."""
    state = app_state(request)
    try:
        revision = state.store.current_revision()
        fresh = [freshness_json(f) for f in freshness(state.store, state.settings)]
    except Exception as exc:  # noqa: BLE001 - any failure of the store means not ready
        return JSONResponse({"status": "unavailable", "error": one_line(exc)}, status_code=503)
    scheduler = state.scheduler.worker if state.scheduler is not None else None
    return JSONResponse(
        {"status": "ok", "revision": revision, "scheduler": scheduler, "sources": fresh}
    )


@router.get(
    "/metrics",
    dependencies=[READ],
    summary="Prometheus text: sync passes, freshness and lag per source",
    response_class=PrometheusText,
    responses=problems(401, 503, by_reference=True),
)
def metrics(request: Request) -> Response:
    state = app_state(request)
    body = prometheus_text(state.store, state.settings)
    body += table_metrics_text(state.store, state.settings)
    return Response(body, media_type=PROMETHEUS_CONTENT_TYPE)


@router.post(
    "/api/v1/sync",
    dependencies=[ADMIN],
    summary="One sync pass now (as `sync`)",
    responses=problems(401, 403, 422, 503),
)
async def sync_now(
    request: Request,
    source: Annotated[str | None, Query(description="Only this configured source")] = None,
) -> Annotated[dict[str, Any], DocumentedAs(SyncAnswer)]:
    state = app_state(request)

    def run() -> dict[str, Any]:
        report = sync(state.store, state.settings, source=source)
        document = shapes.sync_report_json(report)
        document["schema_changes"] = shapes.change_consumers_json(
            consumers_of(state.store, report.schema_changes)
        )
        return document

    return await run_in_threadpool(run)
