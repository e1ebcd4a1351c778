"""Answers about change: ``diff`` (upstream between two times), ``impact`` (downstream of a
column, what-if) and ``propagation`` (has each schema change reached downstream?)
(``query/diff.py`` and ``query/shapes.py`` build them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from temporal_lineage.api.responses.common import (
    FreeMap,
    Instant,
    SchemaChange,
    Wire,
    optional_key,
)
from temporal_lineage.model import RunState
from temporal_lineage.openlineage.column_edges import EdgeOrigin
from temporal_lineage.query.diff import Side


class DiffTable(Wire):
    """A table of either provenance: its snapshot at A and at B."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    from_snapshot: int | None = Field(description="Its newest snapshot in the closure at A")
    to_snapshot: int | None = Field(description="Its newest snapshot in the closure at B")
    changed: bool = Field(description="Whether the two differ")
    in_: Side = Field(
        alias="in", description="Which closure has the table: both, only A's, only B's"
    )


class _DiffChangeHead(Wire):
    table: str = Field(description="The table whose schema changed")
    schema_id: int = Field(description="The schema the change led to")
    effective_at: Instant = Field(description="When that schema became current")


class DiffSchemaChange(SchemaChange, _DiffChangeHead):
    """A schema change of an upstream table between its snapshots at A and B."""


class CodeChange(Wire):
    """The run that produced a table at A and at B, and what differs in its code identity."""

    table: str = Field(description="The table produced")
    job: str = Field(description="The job, namespace/name (B's when both)")
    from_run: str | None = Field(description="The producer at A")
    to_run: str | None = Field(description="The producer at B")
    from_code_version: str | None = Field(description="Its code version at A")
    to_code_version: str | None = Field(description="Its code version at B")
    from_job_version: str | None = Field(description="Its code identity digest at A")
    to_job_version: str | None = Field(description="Its code identity digest at B")
    sql_changed: bool = Field(description="Whether the SQL differs")
    from_parameters: FreeMap | None = Field(description="The parameters at A")
    to_parameters: FreeMap | None = Field(description="The parameters at B")
    changed: bool = Field(description="Whether the job version or the parameters differ")


class DiffAnswer(Wire):
    """What changed upstream of a table between its heads at A and at B."""

    table: str = Field(description="The table asked about")
    from_: Instant = Field(alias="from", description="The earlier time (A)")
    to: Instant = Field(description="The later time (B)")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    root: DiffTable | None = Field(description="The table itself at A and B")
    upstream: list[DiffTable] = Field(description="Every other table of either closure")
    schema_changes: list[DiffSchemaChange] = Field(description="Upstream schema changes")
    code: list[CodeChange] = Field(description="Producers and their code at A and B")


class AffectedColumn(Wire):
    """A downstream column reached from the column asked about, through column lineage."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    column: str = Field(description="The column's dotted path")
    field_id: int | None = Field(description="Its field id (null where the format has none)")
    job: str = Field(description="The job computing it, namespace/name")
    run: str = Field(description="The run that showed the column edge")
    depth: int = Field(description="Hops from the column asked about")
    kind: str = Field(description="The transformation type (DIRECT, INDIRECT)")
    subtype: str | None = Field(description="E.g. IDENTITY, AGGREGATION, JOIN, FILTER")
    origin: EdgeOrigin = Field(description="Where the column edge was read from")
    via: str = Field(description="The upstream table.column it was reached from")
    breaks: bool | None = optional_key(
        "Only with change=: whether the change breaks it (null: cannot tell)"
    )
    reason: str | None = optional_key("Only with change=: why")


class ImpactAnswer(Wire):
    """Everything downstream of one column as of a time (with change=, what would break)."""

    table: str = Field(description="The table asked about")
    column: str = Field(description="The column asked about")
    field_id: int | None = Field(description="Its field id (null where the format has none)")
    as_of: Instant = Field(description="The time asked about")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    change: str | None = Field(description="The proposed change, as given (drop, rename, ...)")
    affected: list[AffectedColumn] = Field(description="The downstream columns")


class PropagatedChange(SchemaChange):
    """A schema change of the table, and when it took effect."""

    effective_at: Instant = Field(description="When the change took effect")


class DownstreamRun(Wire):
    """A run of a consumer since the change."""

    run: str = Field(description="The run id")
    state: RunState = Field(description="Its state")
    started_at: Instant | None = Field(description="When it started")


class DownstreamColumn(Wire):
    """One downstream column of a change, and whether the change has reached it."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    column: str = Field(description="The column's dotted path")
    job: str = Field(description="The job computing it, namespace/name")
    depth: int = Field(description="Hops from the changed column")
    status: Literal["adopted", "pending", "broken"] = Field(
        description="adopted: a successful run since; pending: none yet; broken: it failed"
    )
    reason: str = Field(description="Why that status")
    runs: list[DownstreamRun] = Field(description="The runs the status rests on")


class ChangePropagation(Wire):
    """A schema change of the table and its downstream columns."""

    change: PropagatedChange = Field(description="The change")
    downstream: list[DownstreamColumn] = Field(description="Its consumers and their status")
