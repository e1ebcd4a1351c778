"""Cost hygiene over HTTP: ``/api/v1/hygiene``, with the CLI's JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from temporal_lineage.api.auth import READ
from temporal_lineage.api.params import AsOf, KnownAt, SettingsDep, StoreDep
from temporal_lineage.api.responses import READ_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.hygiene import HygieneAnswer
from temporal_lineage.governance_config import parse_age
from temporal_lineage.query.hygiene import hygiene as hygiene_query
from temporal_lineage.query.hygiene_shapes import hygiene_json
from temporal_lineage.times import now

router = APIRouter(prefix="/api/v1", tags=["operations"])


@router.get(
    "/hygiene",
    summary="Unused tables by size, redundant jobs, small commits, retained snapshots",
    responses=problems(*READ_PROBLEMS),
    dependencies=[READ],
)
def hygiene(
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    window: Annotated[
        str | None,
        Query(description="How far back from as_of: 7d, 30d, 12w (default: hygiene.window)"),
    ] = None,
) -> Annotated[dict[str, Any], DocumentedAs(HygieneAnswer)]:
    answer = hygiene_query(
        store,
        as_of=as_of or now(),
        window=parse_age(window, "window") if window else None,
        known_at=known_at,
        settings=settings.hygiene,
    )
    return hygiene_json(answer)
