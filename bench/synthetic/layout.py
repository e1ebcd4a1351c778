"""Generated rows onto the store's tables: which columns they fill and what each driver gets.

Everything about a column (name, type, nullability, default) is read from the store's own
``Table`` (``temporal_lineage/store/tables.py``), so a migration needs no change here. The
generator states values by column name: instants as epoch microseconds, JSON columns as
Python values, ``None`` as SQL NULL. A nullable column it never names is left to the
database (NULL), a NOT NULL one with a scalar default gets that default.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, Literal

from sqlalchemy import JSON, Column, Table
from sqlalchemy.sql.schema import ScalarElementColumnDefault
from sqlalchemy.types import TypeEngine

from temporal_lineage import jsontext
from temporal_lineage.store.columns import EPOCH, UtcDateTime

Dialect = Literal["sqlite", "postgresql"]
Row = Mapping[str, Any]
"""One generated row: values by column name."""
Encode = Callable[[Any], Any]


def _pg_instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _encoder(kind: TypeEngine[Any], dialect: Dialect) -> Encode | None:
    """What turns a generated value into the driver's, for a column of type ``kind``; None:
    the value as it is."""
    if isinstance(kind, UtcDateTime):
        # UtcDateTime keeps epoch microseconds on SQLite: the generated value itself.
        return None if dialect == "sqlite" else _pg_instant
    if isinstance(kind, JSON):
        return jsontext.dumps
    return None


def _filled_by_database(table: Table, column: Column[Any]) -> bool:
    return (
        column.nullable is True
        or column.server_default is not None
        or column is table.autoincrement_column
    )


@dataclass(frozen=True)
class Layout:
    """How rows naming ``named`` are written to ``table``: the columns, in table order (the
    defaulted ones last), and each row's values for the driver in that order."""

    table: Table
    columns: tuple[str, ...]
    named: tuple[str, ...]
    defaults: tuple[Any, ...]
    encoders: tuple[tuple[int, Encode], ...]

    @classmethod
    def of(cls, table: Table, named: Iterable[str], dialect: Dialect) -> Layout:
        """The layout of rows naming the columns ``named`` of ``table``.

        Raises:
            ValueError: a name is no column of the table, or a NOT NULL column without a
                default is not named.
        """
        wanted = set(named)
        unknown = wanted - set(table.columns.keys())
        if unknown:
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
        given = [c for c in table.columns if c.name in wanted]
        defaulted: list[tuple[str, Any]] = []
        for column in table.columns:
            if column.name in wanted or _filled_by_database(table, column):
                continue
            default = column.default
            if not isinstance(default, ScalarElementColumnDefault):
                raise ValueError(f"{table.name}.{column.name} is NOT NULL: the rows must name it")
            defaulted.append((column.name, default.arg))
        encoders = tuple(
            (index, encode)
            for index, column in enumerate(given)
            if (encode := _encoder(column.type, dialect)) is not None
        )
        return cls(
            table,
            tuple(c.name for c in given) + tuple(name for name, _ in defaulted),
            tuple(c.name for c in given),
            tuple(value for _, value in defaulted),
            encoders,
        )

    def encoder(self) -> Callable[[Row], tuple[Any, ...]]:
        """What turns one row (naming the same columns as the first) into the driver's
        values, in ``columns`` order: C-speed picking when nothing needs converting."""
        named, defaults, encoders = self.named, self.defaults, self.encoders
        pick: Callable[[Row], tuple[Any, ...]] = (
            itemgetter(*named) if len(named) > 1 else lambda row: (row[named[0]],)
        )
        if not encoders and not defaults:
            return pick

        def encode(row: Row) -> tuple[Any, ...]:
            values = pick(row)
            if encoders:
                converted = list(values)
                for index, convert in encoders:
                    if converted[index] is not None:
                        converted[index] = convert(converted[index])
                values = tuple(converted)
            return values + defaults

        return encode


@dataclass(frozen=True)
class Encoded:
    """One table's rows as the driver takes them."""

    table: str
    columns: tuple[str, ...]
    rows: Iterator[tuple[Any, ...]]


def encode(table: Table, rows: Iterable[Row], dialect: Dialect) -> Encoded | None:
    """The rows for the driver of ``dialect``, laid out by the first row's names; None when
    there are no rows."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return None
    layout = Layout.of(table, first, dialect)
    return Encoded(
        table.name, layout.columns, map(layout.encoder(), itertools.chain((first,), iterator))
    )
