"""What changed upstream of a table between two times: "why did my training set change?"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from temporal_lineage.model import JobKey, RunInfo, SchemaChange, TableRef
from temporal_lineage.query import history
from temporal_lineage.query.provenance import Provenance, ProvenanceNode, provenance
from temporal_lineage.store import Store


def _by_table(graph: Provenance) -> dict[str, ProvenanceNode]:
    """One node per table: the newest snapshot of it in the closure."""
    found: dict[str, ProvenanceNode] = {}
    for node in graph.nodes:
        name = str(node.node)
        kept = found.get(name)
        newer = node.snapshot is not None and (
            kept is None
            or kept.snapshot is None
            or node.snapshot.snapshot.committed_at > kept.snapshot.snapshot.committed_at
        )
        if kept is None or newer:
            found[name] = node
    return found


def _snapshot(node: ProvenanceNode | None) -> int | None:
    return node.snapshot.snapshot.snapshot_id if node and node.snapshot else None


class Side(StrEnum):
    """Which of the two closures a table is in."""

    BOTH = "both"
    FROM = "from"
    TO = "to"


@dataclass(frozen=True)
class UpstreamChange:
    """A table of either closure, at its snapshot at A and at B."""

    table: str
    from_snapshot: int | None
    to_snapshot: int | None
    side: Side

    @property
    def changed(self) -> bool:
        """The table's snapshot at B is not the one at A."""
        return self.from_snapshot != self.to_snapshot


@dataclass(frozen=True)
class DatedSchemaChange:
    """A schema change of an upstream table between its snapshots at A and at B."""

    table: str
    schema_id: int
    effective_at: datetime
    change: SchemaChange


@dataclass(frozen=True)
class CodeChange:
    """The run that produced a table's snapshot at A and the one at B."""

    table: str
    job: JobKey
    from_run: RunInfo | None
    to_run: RunInfo | None

    @property
    def sql_changed(self) -> bool:
        """The job's SQL differs."""
        return (self.from_run.sql if self.from_run else None) != (
            self.to_run.sql if self.to_run else None
        )

    @property
    def changed(self) -> bool:
        """Code version or parameters differ."""

        def identity(run: RunInfo | None) -> tuple[str | None, dict[str, Any]] | None:
            return (run.job_version, dict(run.parameters)) if run else None

        return identity(self.from_run) != identity(self.to_run)


@dataclass(frozen=True)
class Diff:
    """What differs upstream of ``table`` between its closures at ``start`` and ``end``."""

    table: TableRef
    start: datetime
    end: datetime
    known_at: datetime | None
    root: UpstreamChange | None
    upstream: tuple[UpstreamChange, ...]
    schema_changes: tuple[DatedSchemaChange, ...]
    code: tuple[CodeChange, ...]


def diff(
    store: Store,
    ref: TableRef,
    start: datetime,
    end: datetime,
    *,
    known_at: datetime | None = None,
) -> Diff:
    """Upstream snapshots, schema changes, code versions and parameters that differ at B vs A.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    before = _by_table(provenance(store, ref, start, known_at=known_at))
    after = _by_table(provenance(store, ref, end, known_at=known_at))
    upstream: list[UpstreamChange] = []
    schema_changes: list[DatedSchemaChange] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        side = Side.BOTH if old and new else (Side.FROM if old else Side.TO)
        upstream.append(UpstreamChange(name, _snapshot(old), _snapshot(new), side))
        either = new or old
        table_ref = either.node.table if either is not None else None
        if table_ref is not None and _snapshot(old) != _snapshot(new):
            schema_changes.extend(_schema_changes(store, table_ref, old, new, known_at))
    return Diff(
        table=ref,
        start=start,
        end=end,
        known_at=known_at,
        root=next((u for u in upstream if u.table == str(ref)), None),
        upstream=tuple(u for u in upstream if u.table != str(ref)),
        schema_changes=tuple(schema_changes),
        code=tuple(_code_changes(before, after)),
    )


def _schema_changes(
    store: Store,
    ref: TableRef,
    old: ProvenanceNode | None,
    new: ProvenanceNode | None,
    known_at: datetime | None,
) -> list[DatedSchemaChange]:
    low = old.snapshot.snapshot.committed_at if old and old.snapshot else None
    high = new.snapshot.snapshot.committed_at if new and new.snapshot else None
    if high is None:
        return []
    return [
        DatedSchemaChange(str(ref), entry.schema_id, entry.effective_at, change)
        for entry in history.schema_history(store, ref, known_at=known_at)
        if (low is None or entry.effective_at > low) and entry.effective_at <= high
        for change in entry.changes
    ]


def _code_changes(
    before: Mapping[str, ProvenanceNode], after: Mapping[str, ProvenanceNode]
) -> list[CodeChange]:
    found = []
    for name in sorted(set(before) | set(after)):
        old_run = before[name].run if name in before else None
        new_run = after[name].run if name in after else None
        job = new_run.job if new_run else old_run.job if old_run else None
        if job is not None:
            found.append(CodeChange(name, job, old_run, new_run))
    return found
