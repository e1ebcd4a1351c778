"""Inserts built once per table and dialect, run through the driver (the event write path).

An OpenLineage event is a handful of small inserts; SQLAlchemy's per-statement work (building
the construct, its cache key, the execution context's parameter processing) cost several
times the database's own for a request of one event (bench/http_service.py). Here the SQL
text is made once, the values are converted by the columns' own SQLAlchemy types (so they
are stored exactly as ``insert(table)`` would store them), and the driver runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table

from temporal_lineage.store import bulk

_Processor = Callable[[Any], Any] | None
_PREPARED: dict[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], Any] = {}


class PreparedInsert:
    """``INSERT INTO table (columns) VALUES (...)``, optionally skipping rows whose unique
    ``conflict`` keys are stored and returning ``returning`` columns (one row at a time)."""

    def __init__(
        self,
        dialect: Dialect,
        table: Table,
        columns: Sequence[str],
        conflict: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> None:
        self.columns = tuple(columns)
        self.sql = bulk.insert_sql(
            dialect.name, table, self.columns, conflict=tuple(conflict), returning=tuple(returning)
        )
        self._processors: list[tuple[str, _Processor]] = [
            (c, table.c[c].type._cached_bind_processor(dialect)) for c in columns
        ]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's parameters for one row (missing columns are None)."""
        return tuple(
            (process(row.get(name)) if process is not None else row.get(name))
            for name, process in self._processors
        )

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert every row (the driver's executemany)."""
        if rows:
            conn.exec_driver_sql(self.sql, [self.values(row) for row in rows])

    def run_one(self, conn: Connection, row: Mapping[str, Any]) -> Any:
        """Insert one row; its ``returning`` values (None when it was skipped)."""
        return conn.exec_driver_sql(self.sql, self.values(row)).first()


def prepared(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> PreparedInsert:
    """The prepared insert for this table, columns and dialect (made on first use)."""
    key = (conn.dialect.name, table.name, tuple(columns), tuple(conflict), tuple(returning))
    found = _PREPARED.get(key)
    if found is None:
        found = _PREPARED[key] = PreparedInsert(conn.dialect, table, columns, conflict, returning)
    assert isinstance(found, PreparedInsert)
    return found
