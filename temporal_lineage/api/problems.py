"""Errors as HTTP answers: a status per error class and a one-line ``detail``, never a 5xx
for bad input."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from temporal_lineage.errors import (
    ColumnNotFound,
    ConfigError,
    DataMismatch,
    DataUnavailable,
    InvalidEvent,
    InvalidManifest,
    InvalidMetadata,
    InvalidTime,
    LineageError,
    NotATable,
    PayloadTooLarge,
    RunNotFound,
    SnapshotNotFound,
    SourceUnavailable,
    SqlLineageError,
    StoreError,
    TableNotFound,
    most_specific,
    one_line,
)
from temporal_lineage.storable import text_problem

STATUS: dict[type[LineageError], int] = {
    PayloadTooLarge: 413,
    InvalidEvent: 400,
    ConfigError: 422,
    InvalidTime: 422,
    InvalidManifest: 422,
    SqlLineageError: 422,
    TableNotFound: 404,
    SnapshotNotFound: 404,
    RunNotFound: 404,
    ColumnNotFound: 404,
    NotATable: 404,
    DataUnavailable: 409,
    DataMismatch: 409,
    SourceUnavailable: 502,
    InvalidMetadata: 502,
    StoreError: 503,
}


def status_of(error: LineageError) -> int:
    """The HTTP status of an error: its most specific class in the table, else 400."""
    return most_specific(error, STATUS, 400)


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The error body every endpoint uses: ``{"detail": "<one line>"}``."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _validation_line(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class StorableParameters:
    """ASGI middleware: a path or query parameter holding a NUL (``%00``) or a lone surrogate
    is a 422 naming the parameter, before any route binds it to a store query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = _unstorable_parameter(scope)
            if found is not None:
                await problem(422, found)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unstorable_parameter(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = [("path", str(scope.get("path", ""))), *parse_qsl(query, keep_blank_values=True)]
    for name, value in pairs:
        for what, text in (("parameter name", name), (ascii(name)[1:-1], value)):
            reason = text_problem(text)
            if reason is not None:
                return f"{what}: {reason}"
    return None


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into one-line answers."""
    app.add_middleware(StorableParameters)

    @app.exception_handler(LineageError)
    async def _lineage_error(request: Request, exc: LineageError) -> JSONResponse:
        return problem(status_of(exc), one_line(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, _validation_line(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), getattr(exc, "headers", None))
