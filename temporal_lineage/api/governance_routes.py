"""Governance over HTTP: ``classification``, ``policy`` (check), ``tags`` (write scope) and
``erasure`` (its verification records a fact: write scope), with the CLI's JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from temporal_lineage.api.auth import READ, WRITE
from temporal_lineage.api.params import AsOf, KnownAt, SettingsDep, StoreDep, Table, time_param
from temporal_lineage.api.responses import LOOKUP_PROBLEMS, READ_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.governance import (
    ClassificationAnswer,
    ErasureAnswer,
    GraphTagsAnswer,
    PolicyAnswer,
    TagWritten,
)
from temporal_lineage.model import TagAction
from temporal_lineage.query.classification import classification as classification_query
from temporal_lineage.query.classification import lineage_tags
from temporal_lineage.query.erasure import erasure as erasure_query
from temporal_lineage.query.erasure_verify import record_verification
from temporal_lineage.query.governance_shapes import (
    classification_json,
    erasure_json,
    graph_tags_json,
    policy_json,
)
from temporal_lineage.query.lineage import Direction
from temporal_lineage.query.policy import policy_check
from temporal_lineage.query.tagging import write_tag
from temporal_lineage.times import format_time, now, parse_time

router = APIRouter(prefix="/api/v1", tags=["governance"])

Where = Annotated[str, Query(description='The subject, e.g. "customer_id = 42"', min_length=1)]
ErasureSince = Annotated[
    datetime | None, time_param("since", "Only snapshots committed from this time on.")
]


@router.get(
    "/tables/{table}/classification",
    summary="Every column's tags as of a time, with how, origin and path",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def classification(
    table: Table, store: StoreDep, settings: SettingsDep, as_of: AsOf, known_at: KnownAt
) -> Annotated[dict[str, Any], DocumentedAs(ClassificationAnswer)]:
    answer = classification_query(store, settings.governance, table, as_of or now(), known_at)
    return classification_json(answer)


@router.get(
    "/tables/{table}/lineage/tags",
    summary="The tags of every table of a lineage graph as of a time (for drawing them)",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def lineage_tags_route(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    direction: Direction = Direction.UPSTREAM,
    depth: Annotated[int, Query(ge=1, le=100, description="How many hops to follow")] = 5,
) -> Annotated[dict[str, Any], DocumentedAs(GraphTagsAnswer)]:
    at = as_of or now()
    answers = lineage_tags(store, settings.governance, table, at, known_at, direction, depth)
    return {
        "as_of": format_time(at),
        "known_at": format_time(known_at),
        "tables": graph_tags_json(answers),
    }


@router.get(
    "/policy",
    summary="The policies of lineage.yaml as of a time (ok false: some are violated)",
    responses=problems(*READ_PROBLEMS),
    dependencies=[READ],
)
def policy(
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    name: Annotated[str | None, Query(alias="policy", description="One policy only")] = None,
) -> Annotated[dict[str, Any], DocumentedAs(PolicyAnswer)]:
    report = policy_check(store, settings.governance, as_of or now(), known_at, name)
    return policy_json(report)


@router.post(
    "/tags",
    summary="A manual tag fact: add or remove TAG on TABLE or TABLE.COLUMN from a time on",
    status_code=201,
    responses=problems(400, 403, *LOOKUP_PROBLEMS),
    dependencies=[WRITE],
)
def tags(
    store: StoreDep,
    target: Annotated[str, Body(description="TABLE or TABLE.COLUMN")],
    tag: Annotated[str, Body(description="The tag")],
    action: Annotated[TagAction, Body(description="add or remove")] = TagAction.ADD,
    from_: Annotated[str | None, Body(alias="from", description="Valid from (default now)")] = None,
    reason: Annotated[str | None, Body(description="Why")] = None,
) -> Annotated[dict[str, Any], DocumentedAs(TagWritten)]:
    written = write_tag(
        store,
        target,
        tag,
        action,
        effective_at=parse_time(from_) if from_ else None,
        reason=reason,
        source="http",
    )
    return {
        "fact": written.fact_id,
        "table": str(written.table),
        "column": written.column,
        "field_id": written.field_id,
        "tag": written.tag,
        "action": written.action.value,
        "from": format_time(written.effective_at),
        "recorded_at": format_time(written.recorded_at),
    }


@router.get(
    "/tables/{table}/erasure",
    summary="Where a data subject's rows still live, snapshot by snapshot",
    responses=problems(*LOOKUP_PROBLEMS),
    dependencies=[READ],
)
def erasure(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    where: Where,
    since: ErasureSince,
    probe: Annotated[bool, Query(description="Count rows of readable snapshots")] = True,
) -> Annotated[dict[str, Any], DocumentedAs(ErasureAnswer)]:
    answer = erasure_query(store, settings, table, where, since=since, probe=probe)
    return erasure_json(answer)


@router.post(
    "/tables/{table}/erasure/verify",
    summary="Re-run the erasure check and record the result as a fact",
    status_code=201,
    responses={**problems(403, *LOOKUP_PROBLEMS), 201: {"model": ErasureAnswer}},
    dependencies=[WRITE],
)
def erasure_verify(
    table: Table, store: StoreDep, settings: SettingsDep, where: Where, since: ErasureSince
) -> JSONResponse:
    answer = erasure_query(store, settings, table, where, since=since, probe=True)
    record_verification(store, answer, "probe")
    return JSONResponse(erasure_json(answer), status_code=201)
