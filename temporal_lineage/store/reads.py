"""Reading the store: tables, snapshots, heads and schemas as of a time, as known at a time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from temporal_lineage.errors import TableNotFound
from temporal_lineage.model import (
    DatedBy,
    Format,
    Schema,
    SchemaAsOf,
    SchemaChange,
    SchemaHistoryEntry,
    Snapshot,
    StoredSnapshot,
    TableInfo,
    TableRef,
)
from temporal_lineage.store import tables as t
from temporal_lineage.store.codec import change_from_row, schema_from_rows


@dataclass(frozen=True)
class StoredTable:
    """A table row: its key, format and where it lives."""

    table_id: int
    ref: TableRef
    format: Format
    location: str
    dropped_at: datetime | None


def known(column: Any, known_at: datetime | None) -> Any:
    """Facts recorded at or before ``known_at`` (all facts when None)."""
    return column <= known_at if known_at is not None else True


def find_table(conn: Connection, ref: TableRef) -> StoredTable | None:
    """The stored table ``ref``, or None."""
    row = conn.execute(
        select(t.tables, t.sources.c.name.label("source_name"))
        .join(t.sources, t.sources.c.id == t.tables.c.source_id)
        .where(t.sources.c.name == ref.source, t.tables.c.identifier == ref.identifier)
    ).first()
    if row is None:
        return None
    return StoredTable(row.id, ref, Format(row.format), row.location, row.dropped_at)


def get_table(conn: Connection, ref: TableRef) -> StoredTable:
    """The stored table ``ref``.

    Raises:
        TableNotFound: the store has never seen it.
    """
    found = find_table(conn, ref)
    if found is None:
        raise TableNotFound(f"unknown table {ref} (run `temporal-lineage tables` to list them)")
    return found


def _snapshot_select() -> Select[Any]:
    return select(t.snapshots, t.incarnations.c.uuid.label("incarnation_uuid")).join(
        t.incarnations, t.incarnations.c.id == t.snapshots.c.incarnation_id
    )


def _stored_snapshot(row: Any, known_at: datetime | None) -> StoredSnapshot:
    expired = row.expired_in_source
    if expired is not None and known_at is not None and expired > known_at:
        expired = None
    return StoredSnapshot(
        snapshot=Snapshot(
            snapshot_id=row.snapshot_id,
            parent_id=row.parent_id,
            committed_at=row.committed_at,
            operation=row.operation,
            schema_id=row.schema_id,
            sequence_number=row.sequence_number,
            summary=row.summary or {},
            branch=row.branch,
        ),
        expired_in_source=expired,
        recorded_at=row.recorded_at,
        incarnation=row.incarnation_uuid,
    )


def list_snapshots(
    conn: Connection, table: StoredTable, known_at: datetime | None = None
) -> list[StoredSnapshot]:
    """Every snapshot of every incarnation of the table, oldest incarnation first.

    Delta versions are listed in version order (in-commit timestamps can go backwards);
    Iceberg snapshots in commit-time order.
    """
    order = (
        [t.snapshots.c.snapshot_id]
        if table.format.numbers_versions
        else [t.snapshots.c.committed_at, t.snapshots.c.sequence_number, t.snapshots.c.snapshot_id]
    )
    rows = conn.execute(
        _snapshot_select()
        .where(
            t.incarnations.c.table_id == table.table_id, known(t.snapshots.c.recorded_at, known_at)
        )
        .order_by(t.incarnations.c.id, *order)
    )
    return [_stored_snapshot(r, known_at) for r in rows]


def head_select(table: StoredTable, as_of: datetime, known_at: datetime | None) -> Select[Any]:
    """The head row in force at ``as_of``: one seek on ``ix_heads_table_started``."""
    return (
        select(t.heads.c.incarnation_id, t.heads.c.snapshot_id)
        .where(
            t.heads.c.table_id == table.table_id,
            t.heads.c.started_at <= as_of,
            known(t.heads.c.recorded_at, known_at),
        )
        .order_by(t.heads.c.started_at.desc(), t.heads.c.id.desc())
        .limit(1)
    )


def _head_row(
    conn: Connection, table: StoredTable, as_of: datetime, known_at: datetime | None
) -> Any:
    return conn.execute(head_select(table, as_of, known_at)).first()


def incarnation_as_of(
    conn: Connection, table: StoredTable, as_of: datetime, known_at: datetime | None = None
) -> int | None:
    """The store key of the table's incarnation alive at ``as_of`` (None: none was)."""
    head = _head_row(conn, table, as_of, known_at)
    return int(head.incarnation_id) if head is not None and head.incarnation_id else None


def snapshot_in(
    conn: Connection, incarnation_id: int, snapshot_id: int, known_at: datetime | None = None
) -> StoredSnapshot | None:
    """Snapshot ``snapshot_id`` of one incarnation (by its store key), if stored."""
    row = conn.execute(
        _snapshot_select().where(
            t.snapshots.c.incarnation_id == incarnation_id,
            t.snapshots.c.snapshot_id == snapshot_id,
            known(t.snapshots.c.recorded_at, known_at),
        )
    ).first()
    return _stored_snapshot(row, known_at) if row is not None else None


def head_as_of(
    conn: Connection, table: StoredTable, as_of: datetime, known_at: datetime | None = None
) -> StoredSnapshot | None:
    """The table's current snapshot at ``as_of`` (the head whose start is the latest <= A)."""
    head = _head_row(conn, table, as_of, known_at)
    if head is None or head.snapshot_id is None:
        return None
    return snapshot_in(conn, head.incarnation_id, head.snapshot_id, known_at)


def current_heads(conn: Connection, known_at: datetime | None = None) -> dict[int, int | None]:
    """Every table's latest head (snapshot id, None when dropped), by table id."""
    latest = (
        select(
            t.heads.c.table_id,
            t.heads.c.snapshot_id,
            func.row_number()
            .over(
                partition_by=t.heads.c.table_id,
                order_by=(t.heads.c.started_at.desc(), t.heads.c.id.desc()),
            )
            .label("rank"),
        )
        .where(known(t.heads.c.recorded_at, known_at))
        .subquery()
    )
    rows = conn.execute(select(latest.c.table_id, latest.c.snapshot_id).where(latest.c.rank == 1))
    return {r.table_id: r.snapshot_id for r in rows}


def list_tables(conn: Connection, known_at: datetime | None = None) -> list[TableInfo]:
    """Every table the store knows, with its snapshot count and current snapshot."""
    counts: dict[int, int] = {
        table_id: count
        for table_id, count in conn.execute(
            select(t.incarnations.c.table_id, func.count(t.snapshots.c.id))
            .join(t.snapshots, t.snapshots.c.incarnation_id == t.incarnations.c.id)
            .where(known(t.snapshots.c.recorded_at, known_at))
            .group_by(t.incarnations.c.table_id)
        )
    }
    heads = current_heads(conn, known_at)
    rows = conn.execute(
        select(t.tables, t.sources.c.name.label("source_name"))
        .join(t.sources, t.sources.c.id == t.tables.c.source_id)
        .where(known(t.tables.c.recorded_at, known_at))
        .order_by(t.sources.c.name, t.tables.c.identifier)
    )
    return [
        TableInfo(
            ref=TableRef(r.source_name, r.identifier),
            format=Format(r.format),
            location=r.location,
            snapshots=int(counts.get(r.id, 0)),
            current_snapshot=heads.get(r.id),
        )
        for r in rows
    ]


def schema_head_select(
    table: StoredTable, as_of: datetime, known_at: datetime | None
) -> Select[Any]:
    """The schema head in force at ``as_of`` (its schema version key, start and schema id;
    no schema version for a dropped table)."""
    return (
        select(
            t.schema_heads.c.schema_version_pk,
            t.schema_heads.c.effective_at,
            t.schema_versions.c.schema_id,
        )
        .outerjoin(t.schema_versions, t.schema_versions.c.id == t.schema_heads.c.schema_version_pk)
        .where(
            t.schema_heads.c.table_id == table.table_id,
            t.schema_heads.c.effective_at <= as_of,
            known(t.schema_heads.c.recorded_at, known_at),
        )
        .order_by(t.schema_heads.c.effective_at.desc(), t.schema_heads.c.id.desc())
        .limit(1)
    )


def schema_as_of(
    conn: Connection, table: StoredTable, as_of: datetime, known_at: datetime | None = None
) -> SchemaAsOf | None:
    """The table's current schema at ``as_of`` (latest schema change at or before it)."""
    head = conn.execute(schema_head_select(table, as_of, known_at)).first()
    if head is None or head.schema_version_pk is None:
        return None
    fields = schema_of_version(conn, head.schema_version_pk)
    return SchemaAsOf(table.ref, int(head.schema_id), fields, head.effective_at)


def schema_timeline(conn: Connection, table_id: int) -> list[tuple[datetime, int | None]]:
    """Every schema head of the table as now known, as (start, schema version key; None for
    a drop), in the order ``schema_head_select`` picks from: the head in force at a time is
    the last one starting at or before it."""
    rows = conn.execute(
        select(t.schema_heads.c.effective_at, t.schema_heads.c.schema_version_pk)
        .where(t.schema_heads.c.table_id == table_id)
        .order_by(t.schema_heads.c.effective_at, t.schema_heads.c.id)
    )
    return [(row.effective_at, row.schema_version_pk) for row in rows]


def schema_of_version(conn: Connection, schema_version_pk: int) -> Schema:
    """The fields of one stored schema version."""
    rows = conn.execute(
        select(t.schema_fields)
        .where(t.schema_fields.c.schema_version_pk == schema_version_pk)
        .order_by(t.schema_fields.c.position)
    ).all()
    return schema_from_rows(rows)


def schema_history(
    conn: Connection, table: StoredTable, known_at: datetime | None = None
) -> list[SchemaHistoryEntry]:
    """Every schema the table had, in time order, with the changes from the one before."""
    heads = conn.execute(
        select(
            t.schema_heads.c.id,
            t.schema_heads.c.effective_at,
            t.schema_heads.c.dated_by,
            t.schema_heads.c.snapshot_id,
            t.schema_versions.c.schema_id,
            t.incarnations.c.uuid,
        )
        .join(t.schema_versions, t.schema_versions.c.id == t.schema_heads.c.schema_version_pk)
        .join(t.incarnations, t.incarnations.c.id == t.schema_heads.c.incarnation_id)
        .where(
            t.schema_heads.c.table_id == table.table_id,
            known(t.schema_heads.c.recorded_at, known_at),
        )
        .order_by(t.schema_heads.c.effective_at, t.schema_heads.c.id)
    ).all()
    changes: dict[int, list[SchemaChange]] = defaultdict(list)
    if heads:
        for row in conn.execute(
            select(t.schema_changes)
            .where(t.schema_changes.c.schema_head_pk.in_([h.id for h in heads]))
            .order_by(t.schema_changes.c.id)
        ):
            changes[row.schema_head_pk].append(change_from_row(row))
    return [
        SchemaHistoryEntry(
            schema_id=h.schema_id,
            effective_at=h.effective_at,
            dated_by=DatedBy(h.dated_by),
            snapshot_id=h.snapshot_id,
            changes=tuple(changes[h.id]),
            incarnation=h.uuid,
        )
        for h in heads
    ]


def find_snapshot(
    conn: Connection,
    table: StoredTable,
    snapshot_id: int,
    known_at: datetime | None = None,
    *,
    before: datetime | None = None,
    incarnation: str | None = None,
) -> StoredSnapshot | None:
    """Snapshot ``snapshot_id`` of the table (of the latest incarnation that has it by then,
    or of ``incarnation``)."""
    query = snapshot_select(table, snapshot_id, known_at, before=before, incarnation=incarnation)
    row = conn.execute(query).first()
    return _stored_snapshot(row, known_at) if row is not None else None


def snapshot_select(
    table: StoredTable,
    snapshot_id: int,
    known_at: datetime | None = None,
    *,
    before: datetime | None = None,
    incarnation: str | None = None,
) -> Select[Any]:
    """The select of ``find_snapshot``: one row at most."""
    query = _snapshot_select().where(
        t.incarnations.c.table_id == table.table_id,
        t.snapshots.c.snapshot_id == snapshot_id,
        known(t.snapshots.c.recorded_at, known_at),
    )
    if before is not None:
        query = query.where(t.snapshots.c.committed_at <= before)
    if incarnation is not None:
        query = query.where(t.incarnations.c.uuid == incarnation)
    return query.order_by(t.incarnations.c.id.desc()).limit(1)


def table_cursor(conn: Connection, table: StoredTable) -> str | None:
    """Where the table's last read stopped (its format's own cursor, e.g. a metadata file)."""
    value = conn.execute(select(t.tables.c.cursor).where(t.tables.c.id == table.table_id)).scalar()
    return str(value) if value is not None else None


def schema_by_id(
    conn: Connection, table: StoredTable, incarnation: str, schema_id: int
) -> Schema | None:
    """Schema ``schema_id`` of one incarnation of the table."""
    pk = conn.execute(
        select(t.schema_versions.c.id)
        .join(t.incarnations, t.incarnations.c.id == t.schema_versions.c.incarnation_id)
        .where(
            t.incarnations.c.table_id == table.table_id,
            t.incarnations.c.uuid == incarnation,
            t.schema_versions.c.schema_id == schema_id,
        )
    ).scalar()
    if pk is None:
        return None
    return schema_of_version(conn, pk)


def current_incarnation(conn: Connection, table: StoredTable) -> str | None:
    """The uuid of the incarnation the source has now (None once the table was dropped)."""
    return conn.execute(
        select(t.incarnations.c.uuid)
        .join(t.tables, t.tables.c.current_incarnation_id == t.incarnations.c.id)
        .where(t.tables.c.id == table.table_id)
    ).scalar()
