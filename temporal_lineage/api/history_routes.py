"""Tables, snapshots, schemas and runs as of a time: ``tables``, ``snapshots``, ``schema``,
``schema-history`` and ``run``, with the CLI's JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from temporal_lineage.api.auth import READ
from temporal_lineage.api.params import AsOf, KnownAt, RefName, SettingsDep, StoreDep, Table
from temporal_lineage.api.responses import LOOKUP_PROBLEMS, READ_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.history import (
    RefRow,
    RunAnswer,
    SchemaAnswer,
    SchemaVersion,
    SnapshotRow,
    TableRow,
)
from temporal_lineage.model import MAIN
from temporal_lineage.query import history, shapes
from temporal_lineage.query.readability import unreadable
from temporal_lineage.query.refs import refs_of
from temporal_lineage.query.runs import run_detail
from temporal_lineage.times import now

router = APIRouter(prefix="/api/v1", dependencies=[READ], tags=["history"])


@router.get("/tables", summary="Every table the store knows", responses=problems(*READ_PROBLEMS))
def tables(
    store: StoreDep,
    known_at: KnownAt,
    q: Annotated[str | None, Query(description="Only tables whose name contains this")] = None,
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[TableRow])]:
    rows = [shapes.table_json(t) for t in history.list_tables(store, known_at=known_at)]
    if q:
        needle = q.lower()
        rows = [row for row in rows if needle in row["table"].lower()]
    return rows


@router.get(
    "/tables/{table}/snapshots",
    summary="Every snapshot, or the head as of a time",
    responses=problems(*LOOKUP_PROBLEMS, 502),
)
def snapshots(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    ref: Annotated[
        str | None,
        Query(max_length=255, description="A branch or tag: its snapshot, or its history"),
    ] = None,
    check_readable: Annotated[
        bool, Query(description="Check each snapshot can still be read at the source")
    ] = False,
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[SnapshotRow])]:
    found = history.snapshots_with_producers(
        store, table, as_of=as_of, known_at=known_at, ref_name=ref
    )
    causes = unreadable(store, settings, table, [s for s, _ in found]) if check_readable else None
    return shapes.snapshot_rows(found, causes)


@router.get(
    "/tables/{table}/schema",
    summary="The schema as of a time, with field ids",
    responses=problems(*LOOKUP_PROBLEMS),
)
def schema(
    table: Table, store: StoreDep, as_of: AsOf, known_at: KnownAt, ref: RefName = MAIN
) -> Annotated[dict[str, Any] | None, DocumentedAs(SchemaAnswer | None)]:
    answer = history.schema_as_of(store, table, as_of or now(), known_at=known_at, ref_name=ref)
    return shapes.schema_json(answer) if answer is not None else None


@router.get(
    "/tables/{table}/refs",
    summary="Branches and tags over time, or alive at a time",
    responses=problems(*LOOKUP_PROBLEMS),
)
def refs(
    table: Table, store: StoreDep, as_of: AsOf, known_at: KnownAt
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[RefRow])]:
    return [shapes.ref_json(r) for r in refs_of(store, table, as_of=as_of, known_at=known_at)]


@router.get(
    "/tables/{table}/schema-history",
    summary="Every schema, with typed changes",
    responses=problems(*LOOKUP_PROBLEMS),
)
def schema_history(
    table: Table, store: StoreDep, known_at: KnownAt
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[SchemaVersion])]:
    return [
        shapes.schema_history_json(e)
        for e in history.schema_history(store, table, known_at=known_at)
    ]


@router.get(
    "/runs/{run_id}",
    summary="A run: job, state, code, inputs and outputs",
    responses=problems(*LOOKUP_PROBLEMS),
)
def run(
    run_id: str, store: StoreDep, known_at: KnownAt
) -> Annotated[dict[str, Any], DocumentedAs(RunAnswer)]:
    return shapes.run_json(run_detail(store, run_id, known_at=known_at))
