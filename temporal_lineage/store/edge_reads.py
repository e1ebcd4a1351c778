"""Stored column edges, read by the table their input belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from temporal_lineage.model import NodeRef
from temporal_lineage.store import tables as t
from temporal_lineage.store.reads import StoredTable, known
from temporal_lineage.store.run_reads import stored_tables


@dataclass(frozen=True)
class ColumnEdgeRow:
    """One stored column edge (names as the run reported them)."""

    run_id: str
    origin: str
    kind: str
    subtype: str | None
    input_table: StoredTable | None
    input_field: str
    output_node: NodeRef
    output_table: StoredTable | None
    output_field: str
    masking: bool | None = None
    """The producer's facet says the output masks the input."""


def column_edges_from(
    conn: Connection, table_ids: set[int], known_at: datetime | None
) -> list[ColumnEdgeRow]:
    """Every column edge whose input is one of these tables."""
    return _edges(conn, t.column_edges.c.input_table_id.in_(table_ids), known_at)


def column_edges_into(
    conn: Connection, table_ids: set[int], known_at: datetime | None
) -> list[ColumnEdgeRow]:
    """Every column edge whose output is one of these tables."""
    return _edges(conn, t.column_edges.c.output_table_id.in_(table_ids), known_at)


def _edges(conn: Connection, where: Any, known_at: datetime | None) -> list[ColumnEdgeRow]:
    edges = t.column_edges.c
    condition = [where, known(edges.recorded_at, known_at)]
    if known_at is not None:
        condition.append(edges.matched_at <= known_at)
    rows = conn.execute(select(t.column_edges).where(*condition).order_by(edges.id)).all()
    tables = stored_tables(
        conn,
        {r.input_table_id for r in rows if r.input_table_id}
        | {r.output_table_id for r in rows if r.output_table_id},
    )
    return [
        ColumnEdgeRow(
            run_id=r.run_id,
            origin=r.origin,
            kind=r.kind,
            subtype=r.subtype,
            input_table=tables.get(r.input_table_id),
            input_field=r.input_field,
            output_node=(
                NodeRef(tables[r.output_table_id].ref)
                if r.output_table_id in tables
                else NodeRef(None, r.output_namespace, r.output_name)
            ),
            output_table=tables.get(r.output_table_id) if r.output_table_id else None,
            output_field=r.output_field,
            masking=r.masking,
        )
        for r in rows
    ]
