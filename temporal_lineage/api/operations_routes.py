"""Operations over HTTP: ``freshness``, a table's run health and a job's run health, with the
CLI's JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from temporal_lineage.api.auth import READ
from temporal_lineage.api.params import AsOf, KnownAt, SettingsDep, StoreDep, Table
from temporal_lineage.api.responses import LOOKUP_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.operations import (
    JobHealthAnswer,
    TableFreshness,
    TableHealthAnswer,
)
from temporal_lineage.config import parse_duration
from temporal_lineage.errors import ConfigError
from temporal_lineage.model import TableRef
from temporal_lineage.query.freshness import freshness as freshness_query
from temporal_lineage.query.operations_shapes import freshness_json, health_json, job_json
from temporal_lineage.query.run_health import DEFAULT_WINDOW, job_health, table_health
from temporal_lineage.times import now

router = APIRouter(prefix="/api/v1", tags=["operations"])

Window = Annotated[
    str | None, Query(description="How far back from as_of: 24h, 7d, 30d (default 30d)")
]


def _window(value: str | None) -> timedelta:
    return parse_duration(value, where="window") if value else DEFAULT_WINDOW


@router.get(
    "/freshness",
    summary="Last commit, lag and SLA of a table (or every table) as of a time",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def freshness(
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    table: Annotated[
        str | None, Query(description="One table, <source>.<identifier> (default: every table)")
    ] = None,
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[TableFreshness])]:
    tables = None
    if table:
        try:
            tables = [TableRef.from_user_string(table)]
        except ValueError as exc:
            raise ConfigError(f"table: {exc}") from exc
    answer = freshness_query(
        store, tables, as_of=as_of or now(), known_at=known_at, rules=settings.freshness
    )
    return freshness_json(answer)


@router.get(
    "/tables/{table}/health",
    summary="A table's commits, lag against its SLA and producing runs over a window",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def health(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    window: Window = None,
) -> Annotated[dict[str, Any], DocumentedAs(TableHealthAnswer)]:
    answer = table_health(
        store,
        table,
        as_of=as_of or now(),
        known_at=known_at,
        window=_window(window),
        rules=settings.freshness,
    )
    return health_json(answer)


@router.get(
    "/jobs/{job:path}/health",
    summary="A job's runs over a window: durations, failure rate, retries",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def job(
    job: Annotated[str, Path(description="namespace/name (slashes kept as they are)")],
    store: StoreDep,
    as_of: AsOf,
    known_at: KnownAt,
    window: Window = None,
) -> Annotated[dict[str, Any], DocumentedAs(JobHealthAnswer)]:
    answer = job_health(store, job, as_of=as_of or now(), known_at=known_at, window=_window(window))
    return job_json(answer)
