"""Tables, snapshots and schemas as of a time (and as known at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from temporal_lineage.model import (
    MAIN,
    SchemaAsOf,
    SchemaHistoryEntry,
    StoredSnapshot,
    TableInfo,
    TableRef,
)
from temporal_lineage.query.links import Producer, producers
from temporal_lineage.query.refs import ref_lineage, snapshot_of_ref
from temporal_lineage.store import Store
from temporal_lineage.times import now


def list_tables(store: Store, *, known_at: datetime | None = None) -> list[TableInfo]:
    """Every table the store knows."""
    with store.reader() as reader:
        return reader.list_tables(known_at)


def list_snapshots(
    store: Store, ref: TableRef, *, known_at: datetime | None = None
) -> list[StoredSnapshot]:
    """Every snapshot ever seen of ``ref``, expired ones included.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.reader() as reader:
        return reader.list_snapshots(reader.get_table(ref), known_at)


def snapshot_as_of(
    store: Store, ref: TableRef, as_of: datetime, *, known_at: datetime | None = None
) -> StoredSnapshot | None:
    """The snapshot of ``ref`` as of ``as_of``: the head whose start is the latest <= A.

    None before the first commit and after the table was dropped.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.reader() as reader:
        return reader.head_as_of(reader.get_table(ref), as_of, known_at)


def schema_as_of(
    store: Store,
    ref: TableRef,
    as_of: datetime,
    *,
    known_at: datetime | None = None,
    ref_name: str = MAIN,
) -> SchemaAsOf | None:
    """The schema of ``ref`` as of ``as_of``: the latest schema change at or before A.

    For a branch or tag (``ref_name``), the schema of the snapshot it pointed at then: the
    schema its data reads back in.

    Raises:
        TableNotFound: the store has never seen ``ref``.
        RefNotFound: the table never had a ref ``ref_name``.
    """
    with store.reader() as reader:
        table = reader.get_table(ref)
        if ref_name == MAIN:
            return reader.schema_as_of(table, as_of, known_at)
        snap = snapshot_of_ref(reader, table, ref_name, as_of, known_at)
        if snap is None or snap.snapshot.schema_id is None:
            return None
        schema = reader.schema_by_id(table, snap.incarnation, snap.snapshot.schema_id)
        if schema is None:
            return None
        return SchemaAsOf(ref, snap.snapshot.schema_id, schema, snap.snapshot.committed_at)


def schema_history(
    store: Store, ref: TableRef, *, known_at: datetime | None = None
) -> list[SchemaHistoryEntry]:
    """Every schema ``ref`` had, in time order, with its typed changes.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.reader() as reader:
        return reader.schema_history(reader.get_table(ref), known_at)


def producers_of(
    store: Store,
    ref: TableRef,
    snapshots: Sequence[StoredSnapshot],
    *,
    known_at: datetime | None = None,
) -> dict[tuple[str, int], Producer]:
    """The producing run of each snapshot, by (incarnation, snapshot id), with its evidence."""
    with store.reader() as reader:
        table = reader.get_table(ref)
        found: dict[tuple[str, int], Producer] = {}
        for incarnation in {s.incarnation for s in snapshots}:
            mine = [s for s in snapshots if s.incarnation == incarnation]
            for snapshot_id, producer in producers(reader, table, mine, known_at).items():
                found[(incarnation, snapshot_id)] = producer
        return found


def snapshots_with_producers(
    store: Store,
    ref: TableRef,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    ref_name: str | None = None,
) -> list[tuple[StoredSnapshot, Producer | None]]:
    """The answer of ``snapshots``: every snapshot (or with ``as_of`` the head then, if any),
    each with its producing run when one is known.

    With ``ref_name``, the snapshots of that branch or tag: with ``as_of`` the one it pointed
    at then, else the one it points at now and its ancestors, oldest first.

    Raises:
        TableNotFound: the store has never seen ``ref``.
        RefNotFound: the table never had a ref ``ref_name``.
    """
    if ref_name is not None:
        with store.reader() as reader:
            table = reader.get_table(ref)
            tip = snapshot_of_ref(reader, table, ref_name, as_of or now(), known_at)
            if tip is None:
                found = []
            elif as_of is not None:
                found = [tip]
            else:
                found = ref_lineage(reader, table, tip, known_at)
    elif as_of is not None:
        head = snapshot_as_of(store, ref, as_of, known_at=known_at)
        found = [head] if head is not None else []
    else:
        found = list_snapshots(store, ref, known_at=known_at)
    links = producers_of(store, ref, found, known_at=known_at)
    return [(s, links.get((s.incarnation, s.snapshot.snapshot_id))) for s in found]
