"""Running the service: ``/health``, ``/metrics``, and a sync pass on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from temporal_lineage.api.auth import ADMIN
from temporal_lineage.api.state import app_state
from temporal_lineage.query import shapes
from temporal_lineage.query.propagation import consumers_of
from temporal_lineage.sync import sync

router = APIRouter(tags=["service"])


@router.get("/health", summary="Ready when the store answers (200), else 503")
def health(request: Request) -> JSONResponse:
    state = app_state(request)
    try:
        revision = state.store.current_revision()
    except Exception as exc:  # noqa: BLE001 - any failure of the store means not ready
        return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "revision": revision})


@router.post("/api/v1/sync", dependencies=[ADMIN], summary="One sync pass now (as `sync`)")
async def sync_now(
    request: Request,
    source: Annotated[str | None, Query(description="Only this configured source")] = None,
) -> dict[str, Any]:
    state = app_state(request)

    def run() -> dict[str, Any]:
        report = sync(state.store, state.settings, source=source)
        document = shapes.sync_report_json(report)
        document["schema_changes"] = shapes.change_consumers_json(
            consumers_of(state.store, report.schema_changes)
        )
        return document

    return await run_in_threadpool(run)
