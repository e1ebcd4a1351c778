"""Snapshot lookups for many keys at once: one statement per batch instead of one (or two)
per key, for the walks that resolve a whole level of a graph together.

Each key is still answered by an index seek: the batch is a ``UNION ALL`` of the single
lookups' ``LIMIT 1`` selects, tagged with the key's position.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, literal, select, tuple_, union_all

from temporal_lineage.model import SchemaAsOf, StoredSnapshot
from temporal_lineage.store import tables as t
from temporal_lineage.store.codec import schema_from_rows
from temporal_lineage.store.reads import (
    StoredTable,
    _snapshot_select,
    _stored_snapshot,
    head_select,
    known,
    schema_head_select,
    snapshot_select,
)

_BATCH = 200
"""Keys per statement (SQLite caps a compound select at 500 terms)."""


def _batches(values: Sequence[Any]) -> Iterable[tuple[int, Sequence[Any]]]:
    for start in range(0, len(values), _BATCH):
        yield start, values[start : start + _BATCH]


def _first_rows(conn: Connection, selects: Sequence[Select[Any]]) -> list[Any]:
    """The first row of each select (None when it has none), in one statement."""
    tagged = [
        select(literal(index).label("tl_key"), *query.subquery().c)
        for index, query in enumerate(selects)
    ]
    found: list[Any] = [None] * len(selects)
    if not tagged:
        return found
    compound = tagged[0] if len(tagged) == 1 else union_all(*tagged)
    for row in conn.execute(compound):
        found[row.tl_key] = row
    return found


def heads_as_of(
    conn: Connection,
    wanted: Sequence[tuple[StoredTable, datetime]],
    known_at: datetime | None = None,
) -> list[StoredSnapshot | None]:
    """``head_as_of`` of each (table, instant), in order (None: no head, or dropped)."""
    heads: list[Any] = []
    for _, chunk in _batches(wanted):
        heads.extend(
            _first_rows(
                conn,
                [head_select(table, as_of, known_at) for table, as_of in chunk],
            )
        )
    keys = sorted(
        {
            (h.incarnation_id, h.snapshot_id)
            for h in heads
            if h is not None and h.snapshot_id is not None
        }
    )
    snapshots: dict[tuple[int, int], StoredSnapshot] = {}
    for _, chunk in _batches(keys):
        rows = conn.execute(
            _snapshot_select().where(
                tuple_(t.snapshots.c.incarnation_id, t.snapshots.c.snapshot_id).in_(chunk),
                known(t.snapshots.c.recorded_at, known_at),
            )
        )
        for row in rows:
            snapshots[(row.incarnation_id, row.snapshot_id)] = _stored_snapshot(row, known_at)
    return [
        snapshots.get((h.incarnation_id, h.snapshot_id))
        if h is not None and h.snapshot_id is not None
        else None
        for h in heads
    ]


def snapshots_before(
    conn: Connection,
    wanted: Sequence[tuple[StoredTable, int, datetime | None]],
    known_at: datetime | None = None,
) -> list[StoredSnapshot | None]:
    """``find_snapshot(table, snapshot_id, before=...)`` of each key, in order."""
    found: list[StoredSnapshot | None] = []
    for _, chunk in _batches(wanted):
        selects = [
            snapshot_select(table, snapshot_id, known_at, before=before)
            for table, snapshot_id, before in chunk
        ]
        found.extend(
            _stored_snapshot(row, known_at) if row is not None else None
            for row in _first_rows(conn, selects)
        )
    return found


def schemas_as_of(
    conn: Connection,
    wanted: Sequence[tuple[StoredTable, datetime]],
    known_at: datetime | None = None,
) -> list[SchemaAsOf | None]:
    """``schema_as_of`` of each (table, instant), in order: the schema heads in one
    statement per batch, then the fields of every distinct schema in one."""
    heads: list[Any] = []
    for _, chunk in _batches(wanted):
        heads.extend(
            _first_rows(
                conn,
                [schema_head_select(table, as_of, known_at) for table, as_of in chunk],
            )
        )
    versions = sorted(
        {h.schema_version_pk for h in heads if h is not None and h.schema_version_pk is not None}
    )
    fields: dict[int, list[Any]] = {pk: [] for pk in versions}
    for _, chunk in _batches(versions):
        for row in conn.execute(
            select(t.schema_fields)
            .where(t.schema_fields.c.schema_version_pk.in_(chunk))
            .order_by(t.schema_fields.c.schema_version_pk, t.schema_fields.c.position)
        ):
            fields[row.schema_version_pk].append(row)
    schemas = {pk: schema_from_rows(rows) for pk, rows in fields.items()}
    return [
        SchemaAsOf(table.ref, int(h.schema_id), schemas[h.schema_version_pk], h.effective_at)
        if h is not None and h.schema_version_pk is not None
        else None
        for (table, _), h in zip(wanted, heads, strict=True)
    ]
