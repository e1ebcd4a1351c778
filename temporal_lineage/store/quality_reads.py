"""Stored data-quality facts and the windowed reads root-cause triage needs (snapshots and
schema changes of many tables within a time window), as known at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from temporal_lineage.model import DatedBy, SchemaChange, SchemaHistoryEntry, StoredSnapshot
from temporal_lineage.store import tables as t
from temporal_lineage.store.codec import change_from_row
from temporal_lineage.store.reads import StoredTable, _snapshot_select, _stored_snapshot, known
from temporal_lineage.store.run_reads import stored_tables

_CHUNK = 400


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


@dataclass(frozen=True)
class QualityFact:
    """One stored data-quality result: of a dataset a run read (``input``) or wrote
    (``output``), or of the run itself (``run``: the ``test`` facet, ``table`` None)."""

    fact_id: int
    run_id: str
    direction: str
    table: StoredTable | None
    snapshot_id: int | None
    """The snapshot the event pinned (Iceberg report or numeric version), if it did."""
    kind: str
    check: str
    column: str | None
    success: bool | None
    value: Any
    event_time: datetime
    recorded_at: datetime


def _window(column: Any, since: datetime | None, until: datetime) -> list[Any]:
    condition = [column <= until]
    if since is not None:
        condition.append(column >= since)
    return condition


def quality_facts(
    conn: Connection,
    table_ids: Collection[int],
    *,
    since: datetime | None,
    until: datetime,
    known_at: datetime | None,
    failed_only: bool = False,
) -> list[QualityFact]:
    """The results about these tables stated in ``[since, until]`` (event time), and the
    run-level results of every run that read or wrote one of them, oldest first."""
    c = t.quality_facts.c
    base = [*_window(c.event_time, since, until), known(c.recorded_at, known_at)]
    if failed_only:
        base.append(c.success.is_(False))
    rows: list[Any] = []
    for chunk in _chunks(table_ids):
        dataset = [*base, c.table_id.in_(chunk)]
        if known_at is not None:
            dataset.append(c.matched_at <= known_at)
        rows.extend(conn.execute(select(t.quality_facts).where(*dataset)))
        touching = select(t.run_datasets.c.run_id).where(
            t.run_datasets.c.table_id.in_(chunk), known(t.run_datasets.c.recorded_at, known_at)
        )
        rows.extend(
            conn.execute(
                select(t.quality_facts).where(
                    *base, c.direction == "run", c.run_id.in_(touching.scalar_subquery())
                )
            )
        )
    unique = {r.id: r for r in rows}
    ordered = sorted(unique.values(), key=lambda r: (r.event_time, r.id))
    tables = stored_tables(conn, {r.table_id for r in ordered if r.table_id is not None})
    return [
        QualityFact(
            fact_id=r.id,
            run_id=r.run_id,
            direction=r.direction,
            table=tables.get(r.table_id) if r.table_id is not None else None,
            snapshot_id=r.snapshot_id,
            kind=r.kind,
            check=r.check_name,
            column=r.column_name,
            success=r.success,
            value=r.value,
            event_time=r.event_time,
            recorded_at=r.recorded_at,
        )
        for r in ordered
    ]


def snapshots_between(
    conn: Connection,
    table_ids: Collection[int],
    since: datetime,
    until: datetime,
    known_at: datetime | None,
) -> dict[int, list[StoredSnapshot]]:
    """The snapshots of these tables committed in ``[since, until]``, by table id, in
    commit-time order."""
    s = t.snapshots.c
    found: dict[int, list[StoredSnapshot]] = defaultdict(list)
    for chunk in _chunks(table_ids):
        query = (
            _snapshot_select()
            .add_columns(t.incarnations.c.table_id.label("owner_table_id"))
            .where(
                t.incarnations.c.table_id.in_(chunk),
                *_window(s.committed_at, since, until),
                known(s.recorded_at, known_at),
            )
            .order_by(s.committed_at, s.id)
        )
        for row in conn.execute(query):
            found[row.owner_table_id].append(_stored_snapshot(row, known_at))
    return found


def schema_changes_between(
    conn: Connection,
    table_ids: Collection[int],
    since: datetime,
    until: datetime,
    known_at: datetime | None,
) -> dict[int, list[SchemaHistoryEntry]]:
    """The schema versions of these tables that took effect in ``[since, until]``, with their
    changes from the one before, by table id, in time order."""
    h = t.schema_heads.c
    heads: list[Any] = []
    for chunk in _chunks(table_ids):
        heads.extend(
            conn.execute(
                select(
                    h.id,
                    h.table_id,
                    h.effective_at,
                    h.dated_by,
                    h.snapshot_id,
                    t.schema_versions.c.schema_id,
                    t.incarnations.c.uuid,
                )
                .join(t.schema_versions, t.schema_versions.c.id == h.schema_version_pk)
                .join(t.incarnations, t.incarnations.c.id == h.incarnation_id)
                .where(
                    h.table_id.in_(chunk),
                    *_window(h.effective_at, since, until),
                    known(h.recorded_at, known_at),
                )
            )
        )
    changes: dict[int, list[SchemaChange]] = defaultdict(list)
    for chunk in _chunks(head.id for head in heads):
        for row in conn.execute(
            select(t.schema_changes)
            .where(t.schema_changes.c.schema_head_pk.in_(chunk))
            .order_by(t.schema_changes.c.id)
        ):
            changes[row.schema_head_pk].append(change_from_row(row))
    found: dict[int, list[SchemaHistoryEntry]] = defaultdict(list)
    for head in sorted(heads, key=lambda r: (r.effective_at, r.id)):
        found[head.table_id].append(
            SchemaHistoryEntry(
                schema_id=head.schema_id,
                effective_at=head.effective_at,
                dated_by=DatedBy(head.dated_by),
                snapshot_id=head.snapshot_id,
                changes=tuple(changes[head.id]),
                incarnation=head.uuid,
            )
        )
    return found


def run_starts(
    conn: Connection, run_ids: Collection[str], known_at: datetime | None
) -> dict[str, datetime]:
    """Each run's start: the time of its first event (as ``run_infos`` has it), one
    statement per chunk."""
    c = t.run_states.c
    found: dict[str, datetime] = {}
    for chunk in _chunks(run_ids):
        query = (
            select(c.run_id, func.min(c.event_time))
            .where(c.run_id.in_(chunk), known(c.recorded_at, known_at))
            .group_by(c.run_id)
        )
        found.update({run_id: started for run_id, started in conn.execute(query)})
    return found
