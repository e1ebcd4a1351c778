"""Inserts built once per table and dialect, run through the driver (the event write path).

An OpenLineage event is a handful of small inserts; SQLAlchemy's per-statement work (building
the construct, its cache key, the execution context's parameter processing) cost several
times the database's own for a request of one event (bench/http_service.py). Here the SQL
text is made once, the values are converted by the columns' own SQLAlchemy types (so they
are stored exactly as ``insert(table)`` would store them), and the driver runs it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table

from temporal_lineage.store import bulk
from temporal_lineage.store.columns import check_tuple_widths

_Key = tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_PREPARED: dict[_Key, PreparedInsert] = {}


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
        self._table = table
        self._shape = (dialect.name, table, self.columns)
        self._clauses = {"conflict": tuple(conflict), "returning": tuple(returning)}
        self.sql = bulk.insert_sql(*self._shape, **self._clauses)
        processors = [table.c[c].type._cached_bind_processor(dialect) for c in self.columns]
        self._processed: list[tuple[int, Callable[[Any], Any]]] = [
            (index, process) for index, process in enumerate(processors) if process is not None
        ]

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's parameters for one row (missing columns are None)."""
        values = list(map(row.get, self.columns))
        for index, process in self._processed:
            values[index] = process(values[index])
        return tuple(values)

    def run(self, db: bulk.Driver, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert every row (the driver's executemany).

        Raises:
            ValueRefused: a text is wider than its column (nothing is inserted).
        """
        if rows:
            db.many(self.sql, self._checked(rows))

    def returned(self, db: bulk.Driver, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert every row, ``bulk.ROWS_PER_INSERT`` rows per statement; every row the
        statements return (in no promised order: return a key to match them by).

        Raises:
            ValueRefused: a text is wider than its column (nothing is inserted).
        """
        found: list[Any] = []
        flat = itertools.chain.from_iterable
        values = self._checked(rows)
        for start in range(0, len(values), bulk.ROWS_PER_INSERT):
            chunk = values[start : start + bulk.ROWS_PER_INSERT]
            sql = bulk.insert_sql(*self._shape, len(chunk), **self._clauses)
            found.extend(db.all(sql, tuple(flat(chunk))))
        return found

    def _checked(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows' driver parameters, once no text is wider than its column: checked here
        for all rows at once, column by column (a check per queued row was 5% of a large
        file's ingestion)."""
        values = [self.values(row) for row in rows]
        check_tuple_widths(self._table, self.columns, values)
        return values


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
    return found
