"""Access over HTTP: ``GET /api/v1/access`` (the ``access`` CLI's JSON) and the Iceberg REST
catalog's metrics endpoint, ``POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics``
(also without ``{prefix}``), so an Iceberg client whose REST catalog is this service, or
that forwards its reports here, records every scan and commit it makes.

The body is a ReportMetricsRequest as the Java ``RESTMetricsReporter`` sends it (a
ScanReport or a CommitReport with ``report-type``); the answer is 204, as the REST spec
gives. The principal of a report is ``metadata.principal`` (or ``metadata.user``) when the
client names one (it speaks for the user it scans for), else the name of the token that
posted it (else ``token <prefix>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from temporal_lineage import jsontext
from temporal_lineage.api.auth import READ, require
from temporal_lineage.api.params import KnownAt, StoreDep, time_param
from temporal_lineage.api.responses import LOOKUP_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.access import AccessRead
from temporal_lineage.api.state import app_state
from temporal_lineage.errors import ConfigError, InvalidEvent
from temporal_lineage.model import TableRef
from temporal_lineage.query.access import access as access_query
from temporal_lineage.query.access_shapes import access_json
from temporal_lineage.store.access_writes import MetricsReport
from temporal_lineage.store.tokens import Scope, TokenInfo
from temporal_lineage.times import now

router = APIRouter(tags=["access"])

NAMESPACE_SEPARATOR = "\x1f"
"""Multipart namespaces in a REST path are joined by the unit separator (``%1F``)."""
PRINCIPAL_KEYS = ("principal", "user")
"""Report metadata keys naming who scanned, first found wins."""

_SCAN_REQUIRED = (
    "table-name",
    "snapshot-id",
    "filter",
    "schema-id",
    "projected-field-ids",
    "projected-field-names",
    "metrics",
)
_COMMIT_REQUIRED = ("table-name", "snapshot-id", "sequence-number", "operation", "metrics")

_METRICS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "An Iceberg REST ReportMetricsRequest (a ScanReport or a "
                "CommitReport with report-type scan-report or commit-report)",
                "required": ["report-type"],
                "additionalProperties": True,
            }
        }
    },
}

From = Annotated[datetime | None, time_param("from", "Reads from this time on.")]
To = Annotated[datetime | None, time_param("to", "Reads up to this time.")]
WriteToken = Annotated[TokenInfo | None, Depends(require(Scope.WRITE))]


@router.get(
    "/api/v1/access",
    summary="Who read a table in a window: run, job, principal, snapshot, columns, evidence",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def access(
    store: StoreDep,
    known_at: KnownAt,
    start: From,
    end: To,
    table: Annotated[str, Query(description="<source>.<identifier>", min_length=1)],
    column: Annotated[str | None, Query(description="Only reads of this column")] = None,
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[AccessRead])]:
    try:
        ref = TableRef.from_user_string(table)
    except ValueError as exc:
        raise ConfigError(f"table: {exc}") from exc
    reads = access_query(store, ref, start=start, end=end, column=column, known_at=known_at)
    return access_json(reads)


def _field(body: dict[str, Any], key: str, kind: str) -> Any:
    value = body.get(key)
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
    }[kind]
    if not ok:
        raise InvalidEvent(f"{key}: not {'an' if kind[0] in 'aeiou' else 'a'} {kind}")
    return value


def _metrics(value: dict[str, Any]) -> dict[str, Any]:
    for name, result in value.items():
        counter = isinstance(result, dict) and {"unit", "value"} <= result.keys()
        timer = isinstance(result, dict) and {"time-unit", "count", "total-duration"} <= (
            result.keys()
        )
        if not (counter or timer):
            raise InvalidEvent(f"metrics.{name}: not a CounterResult or a TimerResult")
    return value


def parse_metrics_report(
    data: bytes | str,
    namespace: str,
    table: str,
    prefix: str | None = None,
    token: TokenInfo | None = None,
) -> MetricsReport:
    """A ReportMetricsRequest body, validated against the REST spec's ScanReport and
    CommitReport (required keys and their types).

    Raises:
        InvalidEvent: not JSON, or a key is missing or mistyped; one line naming the key.
    """
    try:
        body = jsontext.loads(data)
    except ValueError as exc:
        raise InvalidEvent(f"body: not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidEvent("body: not a JSON object (a ReportMetricsRequest)")
    kind = body.get("report-type")
    required = {"scan-report": _SCAN_REQUIRED, "commit-report": _COMMIT_REQUIRED}.get(
        kind if isinstance(kind, str) else ""
    )
    if kind is None:
        raise InvalidEvent("report-type: missing")
    if required is None:
        raise InvalidEvent(f"report-type: {kind!r} is not scan-report or commit-report")
    for key in required:
        if key not in body or body[key] is None:
            raise InvalidEvent(f"{key}: missing (required in a {kind})")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidEvent("metadata: not an object")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise InvalidEvent(f"metadata.{key}: not a string")
    metrics = _metrics(_field(body, "metrics", "object"))
    principal = next((metadata[k] for k in PRINCIPAL_KEYS if metadata.get(k, "").strip()), None)
    if principal is None and token is not None:
        principal = token.name or f"token {token.prefix}"
    common: dict[str, Any] = {
        "namespace": ".".join(namespace.split(NAMESPACE_SEPARATOR)),
        "name": table,
        "table_name": _field(body, "table-name", "string"),
        "prefix": prefix,
        "snapshot_id": _field(body, "snapshot-id", "integer"),
        "principal": principal,
        "metrics": metrics,
        "metadata": metadata,
    }
    if kind == "commit-report":
        return MetricsReport(
            kind="commit",
            operation=_field(body, "operation", "string"),
            sequence_number=_field(body, "sequence-number", "integer"),
            **common,
        )
    ids = _field(body, "projected-field-ids", "array")
    names = _field(body, "projected-field-names", "array")
    for index, value in enumerate(ids):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidEvent(f"projected-field-ids[{index}]: not an integer")
    for index, value in enumerate(names):
        if not isinstance(value, str):
            raise InvalidEvent(f"projected-field-names[{index}]: not a string")
    expression = body["filter"]
    if not isinstance(expression, bool | dict | str):
        raise InvalidEvent("filter: not an Expression (true, false or an object)")
    return MetricsReport(
        kind="scan",
        schema_id=_field(body, "schema-id", "integer"),
        projected_field_ids=tuple(ids),
        projected_field_names=tuple(names),
        filter=jsontext.dumps(expression),
        **common,
    )


async def _report(
    request: Request, namespace: str, table: str, prefix: str | None, token: TokenInfo | None
) -> Response:
    report = parse_metrics_report(await request.body(), namespace, table, prefix, token)
    store = app_state(request).store
    await run_in_threadpool(store.record_metrics_reports, [report], now())
    return Response(status_code=204)


_METRICS_ANSWERS: dict[int | str, dict[str, Any]] = {
    204: {"description": "The report was recorded"},
    **problems(400, 401, 403, 422, 503),
}
Namespace = Annotated[str, Path(description="The namespace, levels separated by %1F")]
TableName = Annotated[str, Path(description="The table's name")]


@router.post(
    "/v1/namespaces/{namespace}/tables/{table}/metrics",
    summary="Iceberg REST metrics reporting: record a scan or commit report (no prefix)",
    status_code=204,
    responses=_METRICS_ANSWERS,
    openapi_extra={"requestBody": _METRICS_BODY},
)
async def report_metrics(
    request: Request, namespace: Namespace, table: TableName, token: WriteToken
) -> Response:
    return await _report(request, namespace, table, None, token)


@router.post(
    "/v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
    summary="Iceberg REST metrics reporting: record a scan or commit report",
    status_code=204,
    responses=_METRICS_ANSWERS,
    openapi_extra={"requestBody": _METRICS_BODY},
)
async def report_metrics_prefixed(
    request: Request,
    prefix: Annotated[str, Path(description="The catalog prefix (e.g. a source name)")],
    namespace: Namespace,
    table: TableName,
    token: WriteToken,
) -> Response:
    return await _report(request, namespace, table, prefix, token)
