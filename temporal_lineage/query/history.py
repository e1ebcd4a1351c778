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
from temporal_lineage.store import Store, reads
from temporal_lineage.times import now


def list_tables(store: Store, *, known_at: datetime | None = None) -> list[TableInfo]:
    """Every table the store knows."""
    with store.connect() as conn:
        return reads.list_tables(conn, known_at)


def list_snapshots(
    store: Store, ref: TableRef, *, known_at: datetime | None = None
) -> list[StoredSnapshot]:
    """Every snapshot ever seen of ``ref``, expired ones included.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.connect() as conn:
        return reads.list_snapshots(conn, reads.get_table(conn, ref), known_at)


def snapshot_as_of(
    store: Store, ref: TableRef, as_of: datetime, *, known_at: datetime | None = None
) -> StoredSnapshot | None:
    """The snapshot of ``ref`` as of ``as_of``: the head whose start is the latest <= A.

    None before the first commit and after the table was dropped.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.connect() as conn:
        return reads.head_as_of(conn, reads.get_table(conn, ref), as_of, known_at)


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
    with store.connect() as conn:
        table = reads.get_table(conn, ref)
        if ref_name == MAIN:
            return reads.schema_as_of(conn, table, as_of, known_at)
        snap = snapshot_of_ref(conn, table, ref_name, as_of, known_at)
        if snap is None or snap.snapshot.schema_id is None:
            return None
        schema = reads.schema_by_id(conn, table, snap.incarnation, snap.snapshot.schema_id)
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
    with store.connect() as conn:
        return reads.schema_history(conn, reads.get_table(conn, ref), known_at)


def producers_of(
    store: Store,
    ref: TableRef,
    snapshots: Sequence[StoredSnapshot],
    *,
    known_at: datetime | None = None,
) -> dict[tuple[str, int], Producer]:
    """The producing run of each snapshot, by (incarnation, snapshot id), with its evidence."""
    with store.connect() as conn:
        table = reads.get_table(conn, ref)
        found: dict[tuple[str, int], Producer] = {}
        for incarnation in {s.incarnation for s in snapshots}:
            mine = [s for s in snapshots if s.incarnation == incarnation]
            for snapshot_id, producer in producers(conn, table, mine, known_at).items():
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
        with store.connect() as conn:
            table = reads.get_table(conn, ref)
            tip = snapshot_of_ref(conn, table, ref_name, as_of or now(), known_at)
            if tip is None:
                found = []
            elif as_of is not None:
                found = [tip]
            else:
                found = ref_lineage(conn, table, tip, known_at)
    elif as_of is not None:
        head = snapshot_as_of(store, ref, as_of, known_at=known_at)
        found = [head] if head is not None else []
    else:
        found = list_snapshots(store, ref, known_at=known_at)
    links = producers_of(store, ref, found, known_at=known_at)
    return [(s, links.get((s.incarnation, s.snapshot.snapshot_id))) for s in found]
