"""The drop-in OpenLineage endpoint: events as the ``openlineage-python`` HTTP transport
posts them (JSON body, optional gzip, ``Authorization: Bearer``).

A payload is all or nothing: one invalid event rejects it whole with the reason, so a
client that retries never leaves half of a payload behind.
"""

from __future__ import annotations

import zlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from temporal_lineage.api.auth import WRITE
from temporal_lineage.api.problems import problem
from temporal_lineage.api.responses import Problem, problems
from temporal_lineage.api.responses.service import IngestAnswer
from temporal_lineage.api.state import app_state
from temporal_lineage.errors import InvalidEvent, PayloadTooLarge
from temporal_lineage.ingest import IngestReport, Payload

router = APIRouter(prefix="/api/v1", dependencies=[WRITE], tags=["openlineage"])

_EVENT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "One OpenLineage RunEvent, DatasetEvent or JobEvent",
                "additionalProperties": True,
            }
        }
    },
}
_BATCH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": True},
                "description": "OpenLineage events (a JSON array; NDJSON is accepted too)",
            }
        }
    },
}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"model": IngestAnswer, "description": "Every event was stored"},
    **problems(400, 401, 403, 413),
    422: {"model": Problem, "description": "An event is invalid: nothing of the payload stored"},
    **problems(503),
}


async def _body(request: Request, limit: int) -> bytes:
    """The request body, decompressed, refusing more than ``limit`` bytes either way."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes exceeds the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    data = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise InvalidEvent(f"unsupported Content-Encoding {encoding!r} (use gzip or none)")
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidEvent(f"body is not valid {encoding}: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"decompressed body exceeds the {limit}-byte limit")
    if not inflater.eof:
        raise InvalidEvent(f"body is truncated {encoding}")
    return out


def _answer(report: IngestReport) -> JSONResponse:
    if report.rejected:
        first = report.rejected[0].error
        more = f" (+{len(report.rejected) - 1} more)" if len(report.rejected) > 1 else ""
        return problem(422, f"{first}{more}; nothing stored")
    return JSONResponse(
        {"accepted": report.accepted, "duplicates": report.duplicates},
        status_code=201,
    )


async def _ingest(request: Request, *, single: bool) -> JSONResponse:
    state = app_state(request)
    limit = int(state.settings.service.max_body_mb * 1024 * 1024)
    data = await _body(request, limit)
    payload = Payload(data, f"POST {request.url.path}", single=single)
    return _answer(await state.events.ingest(payload))


@router.post(
    "/lineage",
    summary="Store one OpenLineage event (drop-in for the openlineage-python HTTP transport)",
    status_code=201,
    responses=_ANSWERS,
    openapi_extra={"requestBody": _EVENT_BODY},
)
async def lineage(request: Request) -> JSONResponse:
    return await _ingest(request, single=True)


@router.post(
    "/lineage/batch",
    summary="Store several OpenLineage events, all or nothing",
    status_code=201,
    responses=_ANSWERS,
    openapi_extra={"requestBody": _BATCH_BODY},
)
async def lineage_batch(request: Request) -> JSONResponse:
    return await _ingest(request, single=False)
