"""Reading refs (branches and tags) as of a time, in the incarnation alive then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from temporal_lineage.model import Ref, RefKind, StoredRef
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import StoredTable, incarnation_as_of, known


def ref_from_row(row: Any) -> Ref | None:
    """The ``Ref`` a ``refs`` row says (None for a removal)."""
    if row.snapshot_id is None:
        return None
    return Ref(
        row.name,
        RefKind(row.kind),
        int(row.snapshot_id),
        row.max_ref_age_ms,
        row.max_snapshot_age_ms,
        row.min_snapshots_to_keep,
    )


def _states(
    conn: Connection,
    table: StoredTable,
    known_at: datetime | None,
    incarnation_id: int | None = None,
) -> list[StoredRef]:
    """Every state of the table's refs (of one incarnation when given), each with when it
    ended; removals end a state and are not listed themselves."""
    query = (
        select(t.refs, t.incarnations.c.uuid)
        .join(t.incarnations, t.incarnations.c.id == t.refs.c.incarnation_id)
        .where(t.refs.c.table_id == table.table_id, known(t.refs.c.recorded_at, known_at))
        .order_by(t.refs.c.incarnation_id, t.refs.c.name, t.refs.c.started_at, t.refs.c.id)
    )
    if incarnation_id is not None:
        query = query.where(t.refs.c.incarnation_id == incarnation_id)
    rows = conn.execute(query).all()
    found: list[StoredRef] = []
    # Each row with the one after it (None after the last; nothing for no rows).
    for row, following in zip(rows, [*rows[1:], None], strict=False):
        ref = ref_from_row(row)
        if ref is None:
            continue
        same = following is not None and (following.incarnation_id, following.name) == (
            row.incarnation_id,
            row.name,
        )
        ended = following.started_at if same and following is not None else None
        found.append(StoredRef(ref, row.started_at, ended, row.uuid))
    return found


def ref_history(
    conn: Connection, table: StoredTable, known_at: datetime | None = None
) -> list[StoredRef]:
    """Every state every ref of the table had, oldest first, each with when it ended."""
    return sorted(_states(conn, table, known_at), key=lambda r: (r.started_at, r.ref.name))


def refs_in(
    conn: Connection,
    table: StoredTable,
    incarnation_id: int,
    as_of: datetime,
    known_at: datetime | None = None,
) -> list[StoredRef]:
    """The refs of one incarnation (by its store key) alive at ``as_of``, by name."""
    alive = [
        r
        for r in _states(conn, table, known_at, incarnation_id)
        if r.started_at <= as_of and (r.ended_at is None or r.ended_at > as_of)
    ]
    return sorted(alive, key=lambda r: r.ref.name)


def refs_as_of(
    conn: Connection, table: StoredTable, as_of: datetime, known_at: datetime | None = None
) -> list[StoredRef]:
    """The refs alive at ``as_of`` in the incarnation alive then, by name."""
    incarnation = incarnation_as_of(conn, table, as_of, known_at)
    return [] if incarnation is None else refs_in(conn, table, incarnation, as_of, known_at)


def ref_names(conn: Connection, table: StoredTable, known_at: datetime | None = None) -> set[str]:
    """Every ref name the table ever had (in any incarnation)."""
    return set(
        conn.execute(
            select(t.refs.c.name)
            .where(t.refs.c.table_id == table.table_id, known(t.refs.c.recorded_at, known_at))
            .distinct()
        ).scalars()
    )
