"""The one "insert unless it is already there" of the store, for both databases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_new(conn: Connection, table: Table, keys: Sequence[str]) -> Insert:
    """An ``INSERT`` into ``table`` that skips a row whose unique ``keys`` are already stored
    (racing writers tolerated: the second insert of the same key is a no-op)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
