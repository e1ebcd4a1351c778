"""Persisting refs (branches and tags) as facts over time: a row per change, never an edit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from temporal_lineage.model import Ref, RefsAt
from temporal_lineage.store import tables as t
from temporal_lineage.store.columns import check_widths
from temporal_lineage.store.ref_reads import ref_from_row


def _latest(
    conn: Connection, table_id: int, incarnation_id: int
) -> tuple[dict[str, Ref | None], datetime | None]:
    """Each ref name's latest stored state in the incarnation (None: removed), and the
    latest time any of them changed."""
    ranked = (
        select(
            t.refs,
            func.row_number()
            .over(
                partition_by=t.refs.c.name,
                order_by=(t.refs.c.started_at.desc(), t.refs.c.id.desc()),
            )
            .label("rank"),
        )
        .where(t.refs.c.table_id == table_id, t.refs.c.incarnation_id == incarnation_id)
        .subquery()
    )
    found: dict[str, Ref | None] = {}
    latest: datetime | None = None
    for row in conn.execute(select(ranked).where(ranked.c.rank == 1)):
        found[row.name] = ref_from_row(row)
        latest = row.started_at if latest is None else max(latest, row.started_at)
    return found, latest


def write_refs(
    conn: Connection,
    table_id: int,
    incarnation_id: int,
    states: Sequence[RefsAt],
    now: datetime,
    *,
    fresh: bool = False,
) -> int:
    """Append a row for every ref that moved, appeared or was removed across ``states``.

    States no newer than the latest stored change are history already told (a table read
    again whole). A ref pointing at a snapshot the store never saw (expired before) is
    kept all the same: the ref is a fact of its own. Returns the rows written.

    ``fresh``: the incarnation was created in this transaction (no ref of it is stored).
    """
    if not states:
        return 0
    last: dict[str, Ref | None] = {}
    latest: datetime | None = None
    if not fresh:
        last, latest = _latest(conn, table_id, incarnation_id)
    rows: list[dict[str, object]] = []
    for state in states:
        if latest is not None and state.at <= latest:
            continue
        now_refs = {ref.name: ref for ref in state.refs}
        for name in sorted(set(last) | set(now_refs)):
            before, after = last.get(name), now_refs.get(name)
            changed = after if after is not None else before
            if before == after or changed is None:
                continue
            kind = changed.kind
            rows.append(
                {
                    "table_id": table_id,
                    "incarnation_id": incarnation_id,
                    "name": name,
                    "kind": kind.value,
                    "snapshot_id": after.snapshot_id if after else None,
                    "started_at": state.at,
                    "max_ref_age_ms": after.max_ref_age_ms if after else None,
                    "max_snapshot_age_ms": after.max_snapshot_age_ms if after else None,
                    "min_snapshots_to_keep": after.min_snapshots_to_keep if after else None,
                    "recorded_at": now,
                }
            )
            last[name] = after
    if rows:
        check_widths(t.refs, rows)
        conn.execute(insert(t.refs), rows)
    return len(rows)
