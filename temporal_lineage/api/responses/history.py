"""Answers about what the store remembers of tables: ``tables``, ``snapshots``, ``schema``,
``schema-history``, ``refs`` and ``run`` (``query/shapes.py`` builds them)."""

from __future__ import annotations

from pydantic import Field

from temporal_lineage.api.responses.common import (
    EvidenceList,
    FreeMap,
    Instant,
    SchemaChange,
    Wire,
    optional_key,
)
from temporal_lineage.model import DatedBy, Format, RefKind, RunState


class TableRow(Wire):
    """A table the store knows."""

    table: str = Field(description="The table reference, <source>.<identifier>")
    format: Format = Field(description="The table format")
    location: str = Field(description="Where the table lives (path or URI)")
    snapshots: int = Field(description="How many snapshots the store remembers")
    current_snapshot: int | None = Field(description="The head now (null before any commit)")


class RowCounts(Wire):
    """What a commit did to the rows, from its own metadata (null: not recorded)."""

    added: int | None = Field(description="Rows added")
    removed: int | None = Field(description="Rows gone: deleted, or the old side of updates")
    updated: int | None = Field(description="Rows updated")
    deleted: int | None = Field(description="Rows marked deleted (delete files, vectors)")
    delete_files: int | None = Field(description="Delete files or deletion vectors added")


class SnapshotRow(Wire):
    """One commit of a table, with the run that produced it and why that is believed."""

    snapshot: int = Field(description="Iceberg snapshot id / Delta version")
    parent: int | None = Field(description="The parent snapshot (null for the first)")
    committed_at: Instant = Field(description="When it was committed")
    operation: str | None = Field(description="The format's operation (append, WRITE, ...)")
    schema_id: int | None = Field(description="The schema its data was written with")
    run: str | None = Field(description="The run that produced it (null: unknown)")
    evidence: EvidenceList = Field(description="Why that run is believed to be the producer")
    expired_in_source: Instant | None = Field(
        description="Since when the source no longer has it (null: it still does)"
    )
    incarnation: str = Field(description="The table's incarnation (table-uuid / metaData.id)")
    branch: str | None = Field(description="The branch it was written on, when not main")
    data_change: bool = Field(description="False when it kept every row (compaction, ...)")
    restores: int | None = Field(description="The version a Delta RESTORE brought back")
    rows: RowCounts = Field(description="What it did to the rows")
    summary: FreeMap = Field(
        description="The commit's own metadata (Iceberg summary, Delta commitInfo)"
    )
    readable: bool = optional_key(
        "Only with check_readable=true: whether the source can still read it"
    )
    unreadable_because: str | None = optional_key(
        "Only with check_readable=true: why it cannot be read (null when it can)"
    )


class SchemaField(Wire):
    """One column or nested field, flattened depth first."""

    id: int | None = Field(description="The field id (null where the format has none)")
    name: str = Field(description="The field's own name")
    path: str = Field(description="Its dotted path from the top level")
    type: str = Field(description="Its type as the format names it (struct for parents)")
    nullable: bool = Field(description="Whether it may hold nulls")
    doc: str | None = Field(description="Its documentation, if any")


class SchemaAnswer(Wire):
    """The schema of a table as of a time."""

    table: str = Field(description="The table reference")
    schema_id: int = Field(description="Iceberg schema-id, or the store's number for Delta")
    effective_at: Instant = Field(description="When this schema became the current one")
    fields: list[SchemaField] = Field(description="Every field, depth first")


class SchemaVersion(Wire):
    """One schema of a table's history, with its changes from the previous one."""

    schema_id: int = Field(description="Iceberg schema-id, or the store's number for Delta")
    effective_at: Instant = Field(description="When it became the current schema")
    dated_by: DatedBy = Field(description="How exactly that time is known")
    snapshot: int | None = Field(description="The commit that carried it (Delta)")
    incarnation: str = Field(description="The table's incarnation")
    changes: list[SchemaChange] = Field(description="What changed, field by field")


class RefRow(Wire):
    """A branch or tag, what it pointed at, from when until when."""

    name: str = Field(description="The ref's name")
    kind: RefKind = Field(description="Branch or tag")
    snapshot: int = Field(description="The snapshot it pointed at")
    from_: Instant = Field(alias="from", description="Since when")
    until: Instant | None = Field(description="Until when (null: still so)")
    incarnation: str = Field(description="The table's incarnation")
    max_ref_age_ms: int | None = Field(description="Retention: the ref's maximum age")
    max_snapshot_age_ms: int | None = Field(description="Retention: snapshots' maximum age")
    min_snapshots_to_keep: int | None = Field(description="Retention: snapshots kept at least")


class RunInput(Wire):
    """A dataset the run read, at the snapshot it read."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    matched: bool = Field(description="Whether the dataset is a table the store knows")
    snapshot: int | None = Field(description="The snapshot read (null: not known)")
    committed_at: Instant | None = Field(description="When that snapshot was committed")
    evidence: EvidenceList = Field(description="Why that snapshot is believed")


class RunOutputSnapshot(Wire):
    """A snapshot the run wrote."""

    snapshot: int = Field(description="Iceberg snapshot id / Delta version")
    committed_at: Instant = Field(description="When it was committed")
    evidence: EvidenceList = Field(description="Why the run is believed to have written it")


class RunOutput(Wire):
    """A dataset the run wrote, with the snapshots linked to the run (tables only)."""

    table: str = Field(description="The table reference, or namespace/name of a dataset")
    matched: bool = Field(description="Whether the dataset is a table the store knows")
    snapshots: list[RunOutputSnapshot] = Field(description="The snapshots it wrote")


class RunAnswer(Wire):
    """A run: its job, state, code, what it read and what it wrote."""

    run: str = Field(description="The OpenLineage run id")
    job: str = Field(description="The job, namespace/name")
    state: RunState = Field(description="The state of its latest event")
    started_at: Instant | None = Field(description="When it started")
    ended_at: Instant | None = Field(description="When it ended")
    parent_run: str | None = Field(description="The parent run id")
    code_version: str | None = Field(description="The code version (e.g. a git SHA)")
    job_version: str | None = Field(description="A digest of the code identity")
    sql: str | None = Field(description="The job's SQL")
    parameters: FreeMap = Field(description="The run's parameters")
    known_at: Instant | None = Field(description="Facts recorded after this were ignored")
    duration_seconds: float | None = optional_key(
        "From its first event to its terminal one (null while running)"
    )
    attempt: int | None = optional_key(
        "Which try it was: Airflow's try_number, else its rank among its job's runs with "
        "the same parent run or nominal time"
    )
    inputs: list[RunInput] = Field(description="What it read")
    outputs: list[RunOutput] = Field(description="What it wrote")
