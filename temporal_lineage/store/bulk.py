"""Many rows at once, straight to the driver: multi-row ``INSERT`` or PostgreSQL ``COPY``.

What an initial sync writes is mostly long runs of rows of one shape (10,000 snapshots,
their keys and head changes). SQLAlchemy's execution machinery and per-row parameter
processing cost several times the database's own work there (``bench/warehouse_sync.py``),
so these writes go to the DBAPI cursor of the caller's transaction, values already
driver-ready, and a failure is raised as the ``DBAPIError`` SQLAlchemy would have raised.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.exc import DBAPIError, StatementError

from temporal_lineage.store.columns import check_tuple_widths

ROWS_PER_INSERT = 250
"""Rows per multi-row ``INSERT``: one statement's overhead shared by many rows, few
distinct statements, and far from SQLite's 32,766 parameters."""
COPY_FROM = 500
"""On PostgreSQL, inserts of at least this many rows go through ``COPY``."""


def bulk_insert(
    db: Driver,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    check: bool = True,
) -> None:
    """Insert many rows, values already driver-ready: multi-row ``INSERT`` statements, or
    ``COPY`` for a long history on PostgreSQL.

    SQLAlchemy's per-row parameter processing costs several times the database's own work
    for the 10,000-row inserts of an initial sync, and one statement per row several times
    a multi-row one (measured in ``bench/warehouse_sync.py``). ``check``: refuse text
    wider than its column before the database sees it (``check_tuple_widths``).
    """
    if not rows:
        return
    if check:
        check_tuple_widths(table, columns, rows)
    if db.dialect == "postgresql" and len(rows) >= COPY_FROM:
        db.copy(table, columns, rows)
        return
    flat = itertools.chain.from_iterable
    full, rest = divmod(len(rows), ROWS_PER_INSERT)
    if full:
        sql = insert_sql(db.dialect, table, tuple(columns), ROWS_PER_INSERT)
        for start in range(0, full * ROWS_PER_INSERT, ROWS_PER_INSERT):
            db.run(sql, tuple(flat(rows[start : start + ROWS_PER_INSERT])))
    if rest:
        sql = insert_sql(db.dialect, table, tuple(columns), rest)
        db.run(sql, tuple(flat(rows[full * ROWS_PER_INSERT :])))


def placeholder(dialect: str) -> str:
    """The driver's parameter mark: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if dialect == "sqlite" else "%s"


@functools.cache
def insert_sql(
    dialect: str,
    table: Table,
    columns: tuple[str, ...],
    rows: int = 1,
    conflict: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> str:
    """The driver SQL of ``INSERT INTO table (columns) VALUES (...)`` for ``rows`` rows, made
    once per shape: the one place the direct writes (sync and events) build their inserts.

    ``conflict``: skip rows whose unique key (these columns) is stored; ``returning``: the
    columns the statement returns.
    """
    mark = placeholder(dialect)
    cast = "::json" if dialect == "postgresql" else ""
    marks = ", ".join(mark + cast if isinstance(table.c[c].type, JSON) else mark for c in columns)
    values = ", ".join([f"({marks})"] * rows)
    sql = f'INSERT INTO "{table.name}" ({_names(columns)}) VALUES {values}'
    if conflict:
        sql += f" ON CONFLICT ({_names(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {_names(returning)}"
    return sql


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


class Driver:
    """The DBAPI cursor of ``conn``'s transaction, its errors raised as SQLAlchemy's own.

    The per-table writes go straight to the driver: SQLAlchemy's execution machinery,
    even for plain SQL text, cost as much as SQLite's own work on a small table. A failure
    is the ``DBAPIError`` subclass SQLAlchemy would have raised (``Store`` maps them).
    """

    def __init__(self, conn: Connection) -> None:
        self.dialect = conn.dialect.name
        self._dialect = conn.dialect
        self._error = conn.dialect.loaded_dbapi.Error
        self._cursor = conn.connection.cursor()

    def run(self, sql: str, params: Sequence[Any]) -> Any:
        """Execute one statement; returns the driver's cursor."""
        try:
            return self._cursor.execute(sql, params)
        except self._error as exc:
            raise self._wrapped(sql, params, exc) from exc

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for every row (the driver's executemany)."""
        try:
            self._cursor.executemany(sql, rows)
        except self._error as exc:
            raise self._wrapped(sql, rows, exc) from exc

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row the statement returns."""
        self.run(sql, params)
        return list(self._cursor.fetchall())

    def one(self, sql: str, params: Sequence[Any]) -> Any:
        """The first column of the one row the statement returns."""
        self.run(sql, params)
        rows = self._cursor.fetchall()  # to the end: no statement left in progress
        assert rows, sql
        return rows[0][0]

    def first(self, sql: str, params: Sequence[Any]) -> Any:
        """The first column of the first row returned, None when there is none."""
        self.run(sql, params)
        rows = self._cursor.fetchall()
        return rows[0][0] if rows else None

    def copy(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """``COPY ... FROM STDIN`` (psycopg) in the same transaction."""
        sql = f'COPY "{table.name}" ({_names(columns)}) FROM STDIN'
        try:
            with self._cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except self._error as exc:
            raise self._wrapped(sql, None, exc) from exc

    def close(self) -> None:
        """Release the cursor."""
        self._cursor.close()

    def _wrapped(self, sql: str, params: Any, exc: Exception) -> StatementError:
        return DBAPIError.instance(sql, params, exc, self._error, dialect=self._dialect)
