"""Branches and tags as of a time: what a ref pointed at, and the history of every ref.

``main`` is the table's head (the snapshot-log); any other name is a stored ref of the
incarnation alive at the time asked.
"""

from __future__ import annotations

from datetime import datetime

from temporal_lineage.errors import RefNotFound, SnapshotNotFound
from temporal_lineage.model import MAIN, StoredRef, StoredSnapshot, TableRef
from temporal_lineage.store import Store, StoredTable, StoreReader


def snapshot_of_ref(
    reader: StoreReader,
    table: StoredTable,
    name: str,
    as_of: datetime,
    known_at: datetime | None = None,
) -> StoredSnapshot | None:
    """The snapshot ref ``name`` of ``table`` pointed at as of ``as_of`` (None: none then).

    Raises:
        RefNotFound: the table never had a ref of that name.
        SnapshotNotFound: the ref pointed at a snapshot the store never saw.
    """
    if name == MAIN:
        return reader.head_as_of(table, as_of, known_at)
    names = reader.ref_names(table, known_at)
    if name not in names:
        known = ", ".join(sorted({MAIN, *names}))
        raise RefNotFound(f"{table.ref} has no branch or tag {name!r} (known: {known})")
    incarnation = reader.incarnation_as_of(table, as_of, known_at)
    if incarnation is None:
        return None
    alive = {r.ref.name: r for r in reader.refs_in(table, incarnation, as_of, known_at)}
    found = alive.get(name)
    if found is None:
        return None
    snap = reader.snapshot_in(incarnation, found.ref.snapshot_id, known_at)
    if snap is None:
        raise SnapshotNotFound(
            f"{table.ref}: {name} pointed at snapshot {found.ref.snapshot_id}, "
            "which the store never saw (expired before it was first synced)"
        )
    return snap


def ref_lineage(
    reader: StoreReader, table: StoredTable, tip: StoredSnapshot, known_at: datetime | None = None
) -> list[StoredSnapshot]:
    """``tip`` and its stored ancestors in its incarnation, oldest first (a branch's history)."""
    mine = {
        s.snapshot.snapshot_id: s
        for s in reader.list_snapshots(table, known_at)
        if s.incarnation == tip.incarnation
    }
    chain: list[StoredSnapshot] = []
    current: StoredSnapshot | None = tip
    while current is not None and len(chain) <= len(mine):
        chain.append(current)
        parent = current.snapshot.parent_id
        current = mine.get(parent) if parent is not None else None
    return chain[::-1]


def refs_of(
    store: Store,
    ref: TableRef,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> list[StoredRef]:
    """The answer of ``refs``: every ref state ever (or with ``as_of`` those alive then).

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.reader() as reader:
        table = reader.get_table(ref)
        if as_of is None:
            return reader.ref_history(table, known_at)
        return reader.refs_as_of(table, as_of, known_at)
