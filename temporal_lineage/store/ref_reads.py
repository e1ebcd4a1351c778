"""Reading refs (branches and tags) as of a time, in the incarnation alive then."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from temporal_lineage.model import StoredRef
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import StoredTable, incarnation_as_of, known
from temporal_lineage.store.ref_writes import ref_from_row


def ref_history(
    conn: Connection, table: StoredTable, known_at: datetime | None = None
) -> list[StoredRef]:
    """Every state every ref of the table had, oldest first, each with when it ended.

    Removals end a state and are not listed themselves.
    """
    rows = conn.execute(
        select(t.refs, t.incarnations.c.uuid)
        .join(t.incarnations, t.incarnations.c.id == t.refs.c.incarnation_id)
        .where(t.refs.c.table_id == table.table_id, known(t.refs.c.recorded_at, known_at))
        .order_by(t.refs.c.incarnation_id, t.refs.c.name, t.refs.c.started_at, t.refs.c.id)
    ).all()
    found: list[StoredRef] = []
    for index, row in enumerate(rows):
        ref = ref_from_row(row)
        if ref is None:
            continue
        following = rows[index + 1] if index + 1 < len(rows) else None
        same = following is not None and (
            following.incarnation_id == row.incarnation_id and following.name == row.name
        )
        ended = following.started_at if same and following is not None else None
        found.append(StoredRef(ref, row.started_at, ended, row.uuid))
    found.sort(key=lambda r: (r.started_at, r.ref.name))
    return found


def refs_as_of(
    conn: Connection, table: StoredTable, as_of: datetime, known_at: datetime | None = None
) -> list[StoredRef]:
    """The refs alive at ``as_of`` in the incarnation alive then, by name."""
    incarnation = incarnation_as_of(conn, table, as_of, known_at)
    if incarnation is None:
        return []
    uuid = conn.execute(
        select(t.incarnations.c.uuid).where(t.incarnations.c.id == incarnation)
    ).scalar_one()
    alive = [
        r
        for r in ref_history(conn, table, known_at)
        if r.incarnation == uuid
        and r.started_at <= as_of
        and (r.ended_at is None or r.ended_at > as_of)
    ]
    return sorted(alive, key=lambda r: r.ref.name)


def ref_names(conn: Connection, table: StoredTable, known_at: datetime | None = None) -> set[str]:
    """Every ref name the table ever had (in any incarnation)."""
    return set(
        conn.execute(
            select(t.refs.c.name)
            .where(t.refs.c.table_id == table.table_id, known(t.refs.c.recorded_at, known_at))
            .distinct()
        ).scalars()
    )
