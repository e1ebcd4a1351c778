"""The past of a table: ``lineage``, ``provenance``, ``diff``, ``reproduce``, ``verify``,
``audit``, ``impact`` and ``propagation``, with the CLI's JSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from temporal_lineage.api.auth import READ
from temporal_lineage.api.params import (
    AsOf,
    From,
    KnownAt,
    RefName,
    SettingsDep,
    Since,
    StoreDep,
    Table,
    To,
)
from temporal_lineage.api.responses import LOOKUP_PROBLEMS, READ_PROBLEMS, DocumentedAs, problems
from temporal_lineage.api.responses.changes import ChangePropagation, DiffAnswer, ImpactAnswer
from temporal_lineage.api.responses.graphs import AuditDocument, LineageAnswer, ProvenanceAnswer
from temporal_lineage.api.responses.manifests import Manifest, VerifyAnswer
from temporal_lineage.model import MAIN
from temporal_lineage.query import shapes
from temporal_lineage.query.diff import diff
from temporal_lineage.query.impact import impact as impact_query
from temporal_lineage.query.lineage import Direction
from temporal_lineage.query.lineage import lineage as lineage_query
from temporal_lineage.query.pinning import pinned_tables
from temporal_lineage.query.propagation import propagation as propagation_query
from temporal_lineage.query.provenance import provenance as provenance_query
from temporal_lineage.query.reproduce import build_manifest, verify_manifest
from temporal_lineage.query.whatif import ProposedChange, judge
from temporal_lineage.report import audit_of, render_html
from temporal_lineage.sources.factory import read_options
from temporal_lineage.times import now

router = APIRouter(prefix="/api/v1", dependencies=[READ], tags=["lineage"])

Depth = Annotated[int, Query(ge=1, le=100, description="How many hops to follow")]


@router.get(
    "/tables/{table}/lineage",
    summary="Tables and jobs around a table as of a time",
    responses=problems(*LOOKUP_PROBLEMS),
)
def lineage(
    table: Table,
    store: StoreDep,
    as_of: AsOf,
    known_at: KnownAt,
    direction: Direction = Direction.UPSTREAM,
    depth: Depth = 5,
    ref: RefName = MAIN,
) -> Annotated[dict[str, Any], DocumentedAs(LineageAnswer)]:
    graph = lineage_query(
        store,
        table,
        as_of or now(),
        direction=direction,
        depth=depth,
        known_at=known_at,
        ref_name=ref,
    )
    return shapes.lineage_json(graph)


@router.get(
    "/tables/{table}/provenance",
    summary="Every snapshot that went into a snapshot",
    responses=problems(*LOOKUP_PROBLEMS),
)
def provenance(
    table: Table, store: StoreDep, as_of: AsOf, known_at: KnownAt, ref: RefName = MAIN
) -> Annotated[dict[str, Any], DocumentedAs(ProvenanceAnswer)]:
    closure = provenance_query(store, table, as_of or now(), known_at=known_at, ref_name=ref)
    return shapes.provenance_json(closure)


@router.get(
    "/tables/{table}/diff",
    summary="What changed upstream between two times",
    responses=problems(*LOOKUP_PROBLEMS),
)
def diff_route(
    table: Table,
    store: StoreDep,
    known_at: KnownAt,
    start: From,
    end: To,
) -> Annotated[dict[str, Any], DocumentedAs(DiffAnswer)]:
    return shapes.diff_json(diff(store, table, start, end, known_at=known_at))


@router.get(
    "/tables/{table}/reproduce",
    summary="A manifest that re-reads the data of a time",
    responses={
        200: {
            "model": Manifest,
            "description": "The manifest, as a download",
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="<table>-manifest.json"',
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(*LOOKUP_PROBLEMS, 502),
    },
)
def reproduce(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    ref: RefName = MAIN,
) -> JSONResponse:
    """The manifest, as a download; tables that cannot be read carry their ``error``."""
    instant = as_of or now()
    closure = provenance_query(store, table, instant, known_at=known_at, ref_name=ref)
    pinned = pinned_tables(store, settings, closure)
    manifest = build_manifest(
        pinned, root=str(table), as_of=instant, known_at=known_at, store=store.url, ref=ref
    )
    name = f"{table}-manifest.json".replace("/", "_")
    return JSONResponse(manifest, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(
    "/verify",
    summary="Re-read every table of a manifest and check it",
    responses=problems(*READ_PROBLEMS, 502),
)
def verify(
    settings: SettingsDep, manifest: Annotated[dict[str, Any], Body(description="A manifest")]
) -> Annotated[dict[str, Any], DocumentedAs(VerifyAnswer)]:
    options = {source.name: read_options(source) for source in settings.sources}
    return verify_manifest(manifest, storage_options=options)


@router.get(
    "/tables/{table}/audit",
    summary="A self-contained audit report (HTML, or JSON)",
    responses={
        200: {
            "model": AuditDocument,
            "description": "The HTML report (format=html, the default), or its JSON document",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        **problems(*LOOKUP_PROBLEMS),
    },
)
def audit(
    table: Table,
    store: StoreDep,
    settings: SettingsDep,
    as_of: AsOf,
    known_at: KnownAt,
    format: Literal["html", "json"] = "html",
    depth: Depth = 10,
) -> Response:
    document = audit_of(
        store,
        table,
        as_of or now(),
        known_at=known_at,
        depth=depth,
        governance=settings.governance,
        freshness_rules=settings.freshness,
    )
    if format == "json":
        return JSONResponse(document)
    return HTMLResponse(render_html(document))


@router.get(
    "/tables/{table}/impact",
    summary="Downstream columns of a column (what-if)",
    responses=problems(*LOOKUP_PROBLEMS),
)
def impact(
    table: Table,
    store: StoreDep,
    as_of: AsOf,
    known_at: KnownAt,
    column: Annotated[str, Query(min_length=1, description="Column path, e.g. amount")],
    depth: Depth = 10,
    change: Annotated[
        str | None, Query(description="What if: drop, rename or type:<new type>")
    ] = None,
) -> Annotated[dict[str, Any], DocumentedAs(ImpactAnswer)]:
    proposed = ProposedChange.parse(change) if change else None
    answer = impact_query(store, table, column, as_of=as_of, depth=depth, known_at=known_at)
    verdicts = judge(answer, proposed, answer.column_type) if proposed else None
    return shapes.impact_json(answer, verdicts, change)


@router.get(
    "/tables/{table}/propagation",
    summary="Has each schema change reached downstream?",
    responses=problems(*LOOKUP_PROBLEMS),
)
def propagation(
    table: Table,
    store: StoreDep,
    as_of: AsOf,
    known_at: KnownAt,
    since: Since,
) -> Annotated[list[dict[str, Any]], DocumentedAs(list[ChangePropagation])]:
    found = propagation_query(store, table, since=since, as_of=as_of, known_at=known_at)
    return shapes.propagation_json(found)
