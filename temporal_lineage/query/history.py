"""Tables, snapshots and schemas as of a time (and as known at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from temporal_lineage.model import (
    SchemaAsOf,
    SchemaHistoryEntry,
    StoredSnapshot,
    TableInfo,
    TableRef,
)
from temporal_lineage.query.links import Producer, producers
from temporal_lineage.store import Store, reads


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
    store: Store, ref: TableRef, as_of: datetime, *, known_at: datetime | None = None
) -> SchemaAsOf | None:
    """The schema of ``ref`` as of ``as_of``: the latest schema change at or before A.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.connect() as conn:
        return reads.schema_as_of(conn, reads.get_table(conn, ref), as_of, known_at)


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
) -> list[tuple[StoredSnapshot, Producer | None]]:
    """The answer of ``snapshots``: every snapshot (or with ``as_of`` the head then, if any),
    each with its producing run when one is known.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    if as_of is not None:
        head = snapshot_as_of(store, ref, as_of, known_at=known_at)
        found = [head] if head is not None else []
    else:
        found = list_snapshots(store, ref, known_at=known_at)
    links = producers_of(store, ref, found, known_at=known_at)
    return [(s, links.get((s.incarnation, s.snapshot.snapshot_id))) for s in found]
