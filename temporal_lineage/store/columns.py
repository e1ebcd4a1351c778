"""Column types shared by the store's tables."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, String, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

from temporal_lineage.errors import ValueRefused

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant: ``timestamptz`` on PostgreSQL, epoch microseconds on SQLite.

    SQLite has no time type: integers keep exact microsecond order and cost a fraction of
    SQLAlchemy's text conversion on bulk writes (10,000 snapshots per table are common).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        return time_parameter(value, dialect.name)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return EPOCH + value * MICROSECOND
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def time_parameter(value: datetime | None, dialect_name: str) -> Any:
    """What the driver is given for an instant (bulk writes call this directly)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store: times must be aware (UTC)")
    if dialect_name == "sqlite":
        return (value - EPOCH) // MICROSECOND
    return value.astimezone(UTC)


@functools.cache
def _widths(table: Table) -> tuple[tuple[str, int], ...]:
    return tuple(
        (column.name, column.type.length)
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    )


def check_widths(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Refuse a row whose text is wider than its column, before the database sees it.

    PostgreSQL enforces ``VARCHAR(n)`` and SQLite does not: checking here gives one answer
    on both.

    Raises:
        ValueRefused: naming the table, the column and the widths.
    """
    widths = _widths(table)
    for row in rows:
        for name, width in widths:
            value = row.get(name)
            if isinstance(value, str) and len(value) > width:
                raise _too_wide(table, name, len(value), width)


def check_tuple_widths(table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """``check_widths`` for rows given as tuples in ``columns`` order (bulk inserts): only
    the bounded columns are looked at, each in one pass at C speed, no row copied.

    Raises:
        ValueRefused: naming the table, the column and the widths.
    """
    widths = dict(_widths(table))
    for index, name in enumerate(columns):
        width = widths.get(name)
        if width is None:
            continue
        texts = [v for v in map(itemgetter(index), rows) if isinstance(v, str)]
        longest = max(map(len, texts), default=0)
        if longest > width:
            raise _too_wide(table, name, longest, width)


def _too_wide(table: Table, column: str, length: int, width: int) -> ValueRefused:
    return ValueRefused(
        f"{table.name}.{column}: {length} characters, more than the {width} the store keeps"
    )
