"""The vocabulary of temporal-lineage as frozen values; nothing here imports a library object."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

CONTAINER_TYPES = frozenset({"list", "array", "map"})
"""Nested types whose children are slots (element, key, value) rather than named fields."""


class Format(StrEnum):
    """A table format."""

    ICEBERG = "iceberg"
    DELTA = "delta"

    @property
    def numbers_versions(self) -> bool:
        """Snapshot ids are version numbers in commit order (Delta); otherwise they are
        opaque and commit time orders them (Iceberg)."""
        return self is Format.DELTA


@dataclass(frozen=True, order=True)
class TableRef:
    """A table reference: ``<source>.<identifier>``, e.g. ``lake.raw.events``.

    The source name never contains a dot; the identifier may (Iceberg namespaces, nested
    Delta folders, folder names such as ``delta-1.2.1``).
    """

    source: str
    identifier: str

    def __post_init__(self) -> None:
        if not self.source or "." in self.source or not self.identifier:
            raise ValueError(f"not a table reference: {self.source!r}.{self.identifier!r}")

    @classmethod
    def from_user_string(cls, text: str) -> TableRef:
        """Parse ``source.identifier``.

        >>> TableRef.from_user_string("lake.raw.events")
        TableRef(source='lake', identifier='raw.events')
        """
        source, sep, identifier = text.strip().partition(".")
        if not sep:
            raise ValueError(f"not a table reference (expected <source>.<identifier>): {text!r}")
        return cls(source, identifier)

    def to_user_string(self) -> str:
        """The form users type and every answer shows."""
        return f"{self.source}.{self.identifier}"

    def __str__(self) -> str:
        return self.to_user_string()


@dataclass(frozen=True)
class Field:
    """One column or nested field of a schema, identified by ``id`` where the format has ids."""

    id: int | None
    path: tuple[str, ...]
    type: str
    nullable: bool
    doc: str | None = None
    physical_name: str | None = None

    @property
    def name(self) -> str:
        """The field's own name (last element of its path)."""
        return self.path[-1]

    @property
    def dotted_path(self) -> str:
        """The path joined with dots, as answers show it."""
        return ".".join(self.path)


@dataclass(frozen=True)
class Schema:
    """The ordered, flattened (depth-first) fields of one schema."""

    fields: tuple[Field, ...]

    @property
    def has_field_ids(self) -> bool:
        """True when every named field carries an id (Iceberg, Delta with column mapping).

        Delta gives no ids to the element / key / value slots of arrays and maps: those are
        identified through their parent.
        """
        types = {f.path: f.type for f in self.fields}
        return bool(self.fields) and all(
            f.id is not None for f in self.fields if types.get(f.path[:-1]) not in CONTAINER_TYPES
        )

    def fingerprint(self) -> str:
        """A digest of what makes two schemas the same columns (not other field metadata)."""
        canonical = [
            [f.id, list(f.path), f.type, f.nullable, f.doc, f.physical_name] for f in self.fields
        ]
        return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


class ChangeKind(StrEnum):
    """What happened to one field between two consecutive schema versions."""

    ADDED = "added"
    DROPPED = "dropped"
    RENAMED = "renamed"
    TYPE_CHANGED = "type_changed"
    NULLABILITY_CHANGED = "nullability_changed"
    DOC_CHANGED = "doc_changed"
    MOVED = "moved"


@dataclass(frozen=True)
class SchemaChange:
    """A typed diff record: one change of one field."""

    kind: ChangeKind
    field_id: int | None
    path: tuple[str, ...]
    old_path: tuple[str, ...] | None
    old_type: str | None
    new_type: str | None
    hint: str | None = None


class DatedBy(StrEnum):
    """How exactly the time a schema became current is known."""

    METADATA_LOG = "metadata_log"
    """The last-updated-ms of the metadata file that made the schema current."""
    COMMIT = "commit"
    """The commit (Delta version) that carried the new schema."""
    EARLIEST_SNAPSHOT = "earliest_snapshot"
    """Bounded by the earliest snapshot written with that schema (older record gone)."""
    NOTICED = "noticed"
    """No better record: the time of the metadata file where the poller first saw it."""


@dataclass(frozen=True)
class Snapshot:
    """One commit of a table (Iceberg snapshot, Delta version)."""

    snapshot_id: int
    parent_id: int | None
    committed_at: datetime
    operation: str | None
    schema_id: int | None
    sequence_number: int | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    branch: str | None = None
    """The branch the snapshot was written on, when not main (Iceberg branches)."""


MAIN = "main"
"""The ref "the head of T" always means."""


class RefKind(StrEnum):
    """A named ref of a table besides its main head."""

    BRANCH = "branch"
    TAG = "tag"


@dataclass(frozen=True)
class Ref:
    """A branch or tag pointing at a snapshot, with its retention settings."""

    name: str
    kind: RefKind
    snapshot_id: int
    max_ref_age_ms: int | None = None
    max_snapshot_age_ms: int | None = None
    min_snapshots_to_keep: int | None = None


@dataclass(frozen=True)
class RefsAt:
    """Every ref but main as one metadata file of the table had them, and when it was written.

    A name missing from ``refs`` had been removed (or never existed) by ``at``.
    """

    at: datetime
    refs: tuple[Ref, ...]


@dataclass(frozen=True)
class StoredRef:
    """A ref as the store knows it over time: what it pointed at from ``started_at`` on."""

    ref: Ref
    started_at: datetime
    ended_at: datetime | None
    """When it moved or was removed (None: still so as of the question)."""
    incarnation: str


@dataclass(frozen=True)
class HeadChange:
    """From ``started_at`` on, ``snapshot_id`` was the table's current snapshot."""

    snapshot_id: int
    started_at: datetime


@dataclass(frozen=True)
class SchemaTransition:
    """A schema became the table's current one at ``effective_at``.

    ``schema_id`` is the format's id where it has one (Iceberg); otherwise the store numbers
    distinct schemas in order of first appearance.
    """

    schema: Schema
    effective_at: datetime
    dated_by: DatedBy
    schema_id: int | None = None
    snapshot_id: int | None = None


@dataclass(frozen=True)
class TextRepair:
    """A string of a table's metadata stored with unstorable characters replaced (U+FFFD)."""

    field: str
    """Where it was, e.g. ``version 3: commitInfo.userName``."""
    detail: str
    """What was replaced, e.g. ``not valid Unicode: lone surrogate U+D800 at character 3``."""


@dataclass(frozen=True)
class TableState:
    """What a source read of one table: the facts the sync persists."""

    ref: TableRef
    format: Format
    incarnation: str
    location: str
    cursor: str
    snapshots: tuple[Snapshot, ...]
    heads: tuple[HeadChange, ...]
    transitions: tuple[SchemaTransition, ...]
    schemas: Mapping[int, Schema] = field(default_factory=dict)
    """Every schema the source still lists, by id (Iceberg); empty for Delta."""
    retained_from: int | None = None
    """Snapshots are complete from here: stored ones the source no longer has are expired.

    ``None`` with ``snapshots_complete`` means the snapshot list is the whole history the
    source keeps (Iceberg); for Delta it is the oldest version still readable.
    """
    snapshots_complete: bool = False
    format_version: int | None = None
    repairs: tuple[TextRepair, ...] = ()
    """Strings of the metadata read that were kept with characters replaced."""
    ref_states: tuple[RefsAt, ...] = ()
    """The refs besides main, per metadata file read, oldest first (empty: nothing to say)."""


@dataclass(frozen=True)
class TableInfo:
    """A stored table, as ``tables`` lists it."""

    ref: TableRef
    format: Format
    location: str
    snapshots: int
    current_snapshot: int | None


@dataclass(frozen=True)
class StoredSnapshot:
    """A snapshot as the store knows it."""

    snapshot: Snapshot
    expired_in_source: datetime | None
    recorded_at: datetime
    incarnation: str


@dataclass(frozen=True)
class SchemaAsOf:
    """The schema of a table at a time."""

    ref: TableRef
    schema_id: int
    schema: Schema
    effective_at: datetime


@dataclass(frozen=True)
class SchemaHistoryEntry:
    """One schema version in a table's history, with its changes from the previous one."""

    schema_id: int
    effective_at: datetime
    dated_by: DatedBy
    snapshot_id: int | None
    changes: tuple[SchemaChange, ...]
    incarnation: str


@dataclass(frozen=True)
class TableError:
    """A table that could not be synced, and why."""

    table: str
    error: str


@dataclass(frozen=True)
class TableRepair:
    """A table synced with a string of its metadata repaired: which field, what was replaced."""

    table: str
    field: str
    detail: str


@dataclass(frozen=True)
class Skipped:
    """A path below a source root that is not a table."""

    source: str
    path: str
    reason: str


@dataclass(frozen=True)
class TableSyncResult:
    """What one table's sync added."""

    ref: TableRef
    new_snapshots: int = 0
    new_schema_versions: int = 0
    expired: int = 0
    changed: bool = False
    schema_changes: tuple[TableSchemaChange, ...] = ()


@dataclass(frozen=True)
class TableSchemaChange:
    """A schema change a sync found, and when it took effect."""

    ref: TableRef
    effective_at: datetime
    change: SchemaChange


@dataclass
class SyncReport:
    """The summary of one sync pass."""

    tables: int = 0
    new_snapshots: int = 0
    new_schema_versions: int = 0
    errors: list[TableError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    schema_changes: list[TableSchemaChange] = field(default_factory=list)
    failed_sources: list[str] = field(default_factory=list)
    """Sources that could not be listed at all (a scheduler backs off from these)."""
    repairs: list[TableRepair] = field(default_factory=list)
    """Tables stored with unstorable characters of their metadata replaced."""


class RunState(StrEnum):
    """OpenLineage run states; a run's state is that of its latest event by event time."""

    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAIL = "FAIL"
    ABORT = "ABORT"
    OTHER = "OTHER"


class EvidenceKind(StrEnum):
    """How a link between a snapshot and a run is known, strongest first."""

    COMMIT_PROPERTY = "commit_property"
    """The run id (or an engine's id of the run) is in the commit itself."""
    DATASET_VERSION = "dataset_version"
    """An OpenLineage version facet or Iceberg commit/scan report names the snapshot."""
    INFERRED = "inferred"
    """Time window: the only candidate run, or an input's head at the run's start."""
    RUN_EVENT = "openlineage_event"
    """A table-level edge: the run's OpenLineage events list both datasets."""
    DATA_UNCHANGED = "data_unchanged"
    """A commit that kept every row (compaction, metadata only): its data is its parent's."""
    RESTORED = "restored"
    """A Delta RESTORE: its data is the restored version's."""
    PUBLISHED = "published"
    """An Iceberg cherry-pick (write-audit-publish): its new data is the staged snapshot's."""


@dataclass(frozen=True)
class Evidence:
    """Why a link is believed: its kind and a human-readable detail."""

    kind: EvidenceKind
    detail: str


@dataclass(frozen=True)
class JobKey:
    """An OpenLineage job: (namespace, name)."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class RunInfo:
    """A run as known at a time: its job, state, window and code identity."""

    run_id: str
    job: JobKey
    state: RunState
    started_at: datetime | None
    ended_at: datetime | None
    parent_run_id: str | None
    code_version: str | None
    sql: str | None
    parameters: Mapping[str, Any]
    job_version: str | None
    """A digest of the code identity (git SHA, SQL, parameters); None when none was given."""

    @property
    def duration(self) -> timedelta | None:
        """``run_duration`` of its window."""
        return run_duration(self.started_at, self.ended_at)


def run_duration(started_at: datetime | None, ended_at: datetime | None) -> timedelta | None:
    """From a run's first event to its terminal one: None while running, and None for a run
    known only from its terminal event (Airflow's DAG run under ``dags test``: a zero length
    would be made up).

    >>> from datetime import UTC
    >>> run_duration(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    datetime.timedelta(seconds=300)
    >>> run_duration(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)) is None
    True
    """
    if started_at is None or ended_at is None or ended_at <= started_at:
        return None
    return ended_at - started_at


@dataclass(frozen=True)
class NodeRef:
    """A lineage node: a stored table, or a dataset no table was matched to."""

    table: TableRef | None
    namespace: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        if self.table is not None:
            return str(self.table)
        return f"{self.namespace}/{self.name}"


class TagOrigin(StrEnum):
    """Where a classification fact comes from."""

    OPENLINEAGE = "openlineage"
    """A ``tags`` facet of an OpenLineage event."""
    RULE = "rule"
    """A ``classify:`` rule of lineage.yaml, applied to every schema version."""
    MANUAL = "manual"
    """``tag add`` / ``tag remove`` (CLI or HTTP)."""


class TagAction(StrEnum):
    """A tag fact starts a tag's validity or ends it (nothing is deleted)."""

    ADD = "add"
    REMOVE = "remove"
