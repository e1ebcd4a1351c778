"""Data quality and root-cause triage over HTTP, with the CLI's JSON."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from temporal_lineage.api.auth import READ
from temporal_lineage.api.params import AsOf, KnownAt, SettingsDep, StoreDep, Table, time_param
from temporal_lineage.api.responses import LOOKUP_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.quality import QualityAnswer, TriageAnswer
from temporal_lineage.config import parse_duration
from temporal_lineage.query.quality import quality as quality_query
from temporal_lineage.query.quality_shapes import quality_json
from temporal_lineage.query.triage import triage as triage_query
from temporal_lineage.query.triage_shapes import triage_json
from temporal_lineage.times import now

router = APIRouter(prefix="/api/v1", tags=["quality"])

TRIAGE_WINDOW = timedelta(hours=24)
At = Annotated[datetime | None, time_param("at", "When it broke.", required=True)]
Window = Annotated[str | None, Query(description="How far back from at: 24h, 7d (default 24h)")]


@router.get(
    "/tables/{table}/quality",
    summary="A table's data-quality results as of a time; whether it is suspect, and why",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def quality(
    table: Table, store: StoreDep, as_of: AsOf, known_at: KnownAt
) -> Annotated[dict[str, Any], DocumentedAs(QualityAnswer)]:
    return quality_json(quality_query(store, table, as_of=as_of or now(), known_at=known_at))


@router.get(
    "/tables/{table}/triage",
    summary="What changed upstream of a table in the window before a time, most likely first",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def triage(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    at: At,
    known_at: KnownAt,
    window: Window = None,
) -> Annotated[dict[str, Any], DocumentedAs(TriageAnswer)]:
    assert at is not None  # required: the parameter refuses an absent one
    span = parse_duration(window, where="window") if window else TRIAGE_WINDOW
    answer = triage_query(
        store, table, at=at, window=span, known_at=known_at, rules=settings.freshness
    )
    return triage_json(answer)
