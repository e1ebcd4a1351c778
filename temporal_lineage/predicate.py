"""A row predicate as data: which rows of a table a user means (e.g. for a right to erasure).

A small typed tree: a ``Column`` compared with literals (``Comparison``, ``InList``),
``IsNull``, and ``And`` / ``Or`` / ``Not`` over them; never column-to-column comparisons,
functions or arithmetic, so that every format library can push it down and every engine
spells it the same. SQL's three-valued logic applies: a comparison with a null is not true,
and neither is its negation. Dates and timestamps are typed literals (``DATE '2024-01-01'``,
``TIMESTAMP '2024-01-01 00:00:00+00:00'``), as Trino requires.

The sources translate a predicate for their library; ``to_sql`` spells it for an engine
(Spark, Trino, DataFusion), ``text`` canonically.

>>> p = And((Comparison(Column("customer_id"), Op.EQ, 42),
...          InList(Column("country"), ("DE", "FR"))))
>>> print(p)
"customer_id" = 42 AND "country" IN ('DE', 'FR')
>>> columns(p)
('customer_id', 'country')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import cast

from temporal_lineage.errors import BadPredicate, ColumnNotFound


class Op(Enum):
    """A comparison operator, as the predicate's text writes it."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    @property
    def sql(self) -> str:
        """The operator in SQL (``<>`` for ``!=``: the ANSI spelling every engine takes)."""
        return "<>" if self is Op.NE else self.value


class _Text:
    """Prints as the canonical text of the predicate (``text``)."""

    def __str__(self) -> str:
        return text(cast(Predicate, self))


@dataclass(frozen=True)
class Date:
    """A date literal: ``DATE '2024-01-01'`` (ISO ``YYYY-MM-DD``)."""

    iso: str

    def __post_init__(self) -> None:
        try:
            date.fromisoformat(self.iso)
        except ValueError:
            raise BadPredicate(f"not an ISO date (YYYY-MM-DD): {self.iso!r}") from None
        if len(self.iso) != 10:
            raise BadPredicate(f"not an ISO date (YYYY-MM-DD): {self.iso!r}")


@dataclass(frozen=True)
class Timestamp:
    """A timestamp literal: ``TIMESTAMP '2024-01-01 00:00:00+00:00'`` (ISO 8601).

    With a zone offset it compares with zoned columns (Iceberg ``timestamptz``, Delta
    ``timestamp``), without one with local ones (Iceberg ``timestamp``, Delta
    ``timestamp_ntz``).
    """

    iso: str

    def __post_init__(self) -> None:
        try:
            datetime.fromisoformat(self.iso)
        except ValueError:
            raise BadPredicate(f"not an ISO timestamp: {self.iso!r}") from None

    @property
    def zoned(self) -> bool:
        """Whether the literal carries a zone offset."""
        return datetime.fromisoformat(self.iso).tzinfo is not None

    @property
    def normalized(self) -> str:
        """``YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM]``, the form format libraries parse."""
        return datetime.fromisoformat(self.iso).isoformat()


Value = bool | int | float | str | Date | Timestamp
"""A literal a column is compared with (nulls only through ``IsNull``)."""


def _check_value(value: Value) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise BadPredicate(f"not a finite number: {value!r}")
    if not isinstance(value, bool | int | float | str | Date | Timestamp):
        raise BadPredicate(f"not a literal: {value!r}")


@dataclass(frozen=True)
class Column:
    """A top-level column of the table, by its name at the snapshot read."""

    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise BadPredicate("empty column name")


@dataclass(frozen=True)
class Comparison(_Text):
    """``column <op> value``."""

    column: Column
    op: Op
    value: Value

    def __post_init__(self) -> None:
        _check_value(self.value)


@dataclass(frozen=True)
class InList(_Text):
    """``column IN (values)``, or ``NOT IN`` when ``negated``."""

    column: Column
    values: tuple[Value, ...]
    negated: bool = False

    def __post_init__(self) -> None:
        if not self.values:
            raise BadPredicate(f"empty IN list on column {self.column.name!r}")
        for value in self.values:
            _check_value(value)


@dataclass(frozen=True)
class IsNull(_Text):
    """``column IS NULL``, or ``IS NOT NULL`` when ``negated``."""

    column: Column
    negated: bool = False


@dataclass(frozen=True)
class And(_Text):
    """Every part holds."""

    parts: tuple[Predicate, ...]

    def __post_init__(self) -> None:
        if not self.parts:
            raise BadPredicate("AND of nothing")


@dataclass(frozen=True)
class Or(_Text):
    """Some part holds."""

    parts: tuple[Predicate, ...]

    def __post_init__(self) -> None:
        if not self.parts:
            raise BadPredicate("OR of nothing")


@dataclass(frozen=True)
class Not(_Text):
    """The part is false (not merely unknown)."""

    part: Predicate


Predicate = Comparison | InList | IsNull | And | Or | Not


def _leaves(pred: Predicate) -> Iterator[Comparison | InList | IsNull]:
    if isinstance(pred, And | Or):
        for part in pred.parts:
            yield from _leaves(part)
    elif isinstance(pred, Not):
        yield from _leaves(pred.part)
    else:
        yield pred


def columns(pred: Predicate) -> tuple[str, ...]:
    """The column names the predicate uses, in order of first use, each once.

    >>> columns(Or((IsNull(Column("b")), Not(Comparison(Column("a"), Op.LT, 3)),
    ...             IsNull(Column("b")))))
    ('b', 'a')
    """
    return tuple(dict.fromkeys(leaf.column.name for leaf in _leaves(pred)))


def renamed(pred: Predicate, mapping: Mapping[str, str]) -> Predicate:
    """The same predicate over other column names (names not in ``mapping`` are kept).

    >>> print(renamed(Comparison(Column("user_id"), Op.EQ, 7), {"user_id": "customer_id"}))
    "customer_id" = 7
    """

    def column(c: Column) -> Column:
        return Column(mapping.get(c.name, c.name))

    if isinstance(pred, Comparison):
        return Comparison(column(pred.column), pred.op, pred.value)
    if isinstance(pred, InList):
        return InList(column(pred.column), pred.values, pred.negated)
    if isinstance(pred, IsNull):
        return IsNull(column(pred.column), pred.negated)
    if isinstance(pred, And):
        return And(tuple(renamed(p, mapping) for p in pred.parts))
    if isinstance(pred, Or):
        return Or(tuple(renamed(p, mapping) for p in pred.parts))
    return Not(renamed(pred.part, mapping))


def ansi_quote(name: str) -> str:
    """An identifier in double quotes (ANSI: Trino, DataFusion, PostgreSQL).

    >>> print(ansi_quote('a"b'))
    "a""b"
    """
    return '"' + name.replace('"', '""') + '"'


def ansi_string(value: str) -> str:
    """A string literal with quotes doubled (ANSI: Trino, DataFusion; not Spark).

    >>> ansi_string("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def _literal(value: Value, string: Callable[[str], str]) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Date):
        return f"DATE {string(value.iso)}"
    if isinstance(value, Timestamp):
        return f"TIMESTAMP {string(value.iso)}"
    return string(value)


def to_sql(
    pred: Predicate, quote: Callable[[str], str], string: Callable[[str], str] = ansi_string
) -> str:
    """The predicate as a SQL condition, identifiers through ``quote``, strings ``string``.

    ``string`` defaults to ANSI quoting; Spark SQL needs backslash escapes instead (there
    ``'it''s'`` is the two literals ``'it'`` ``'s'``, concatenated).

    >>> to_sql(Not(Or((Comparison(Column("a"), Op.LT, 3), Comparison(Column("b"), Op.GE, "q")))),
    ...        lambda n: "`" + n + "`")
    "NOT (`a` < 3 OR `b` >= 'q')"
    """

    def spell(p: Predicate, nested: bool) -> str:
        if isinstance(p, Comparison):
            return f"{quote(p.column.name)} {p.op.sql} {_literal(p.value, string)}"
        if isinstance(p, InList):
            values = ", ".join(_literal(v, string) for v in p.values)
            return f"{quote(p.column.name)} {'NOT IN' if p.negated else 'IN'} ({values})"
        if isinstance(p, IsNull):
            return f"{quote(p.column.name)} IS {'NOT NULL' if p.negated else 'NULL'}"
        if isinstance(p, Not):
            return f"NOT ({spell(p.part, False)})"
        joiner = " AND " if isinstance(p, And) else " OR "
        if len(p.parts) == 1:
            return spell(p.parts[0], nested)
        inner = joiner.join(spell(part, True) for part in p.parts)
        return f"({inner})" if nested else inner

    return spell(pred, False)


def text(pred: Predicate) -> str:
    """The canonical text: ANSI SQL, every identifier quoted (what ``parse_predicate`` reads).

    >>> text(InList(Column("id"), (1, 2), negated=True))
    '"id" NOT IN (1, 2)'
    """
    return to_sql(pred, ansi_quote)


def check_columns(pred: Predicate, known: Iterable[str], table: str) -> None:
    """Raise ``ColumnNotFound`` when the predicate names a column ``table`` lacks.

    >>> check_columns(IsNull(Column("x")), ["a", "b"], "lake.raw.events")
    Traceback (most recent call last):
    ...
    temporal_lineage.errors.ColumnNotFound: lake.raw.events has no column 'x' (columns: a, b)
    """
    names = list(known)
    for name in columns(pred):
        if name not in names:
            listed = ", ".join(names) or "none"
            raise ColumnNotFound(f"{table} has no column {name!r} (columns: {listed})")


class Kind(Enum):
    """What literals a column's type compares with (each format maps its type names)."""

    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    STRING = "string"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    TIMESTAMP_TZ = "timestamptz"
    OTHER = "other"

    @property
    def literals(self) -> str:
        """What a predicate may compare a column of this kind with, for messages."""
        return _LITERALS[self]


_LITERALS = {
    Kind.INTEGER: "an integer",
    Kind.FLOAT: "a number",
    Kind.DECIMAL: "a number",
    Kind.STRING: "a string",
    Kind.BOOLEAN: "TRUE or FALSE",
    Kind.DATE: "DATE 'YYYY-MM-DD'",
    Kind.TIMESTAMP: "TIMESTAMP '...' without a zone offset",
    Kind.TIMESTAMP_TZ: "TIMESTAMP '...' with a zone offset",
    Kind.OTHER: "nothing (only IS [NOT] NULL)",
}


@dataclass(frozen=True)
class ColumnType:
    """A column's type as the format spells it (``long``, ``decimal(10,2)``) and its kind."""

    name: str
    kind: Kind
    scale: int = 0
    """Digits after the point, for decimals: a literal with more would be rounded."""


def _fits(value: Value, column: ColumnType) -> bool:
    kind = column.kind
    if isinstance(value, bool):
        return kind is Kind.BOOLEAN
    if isinstance(value, int):
        return kind in (Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL)
    if isinstance(value, float):
        if kind is Kind.DECIMAL:
            digits = repr(value).partition(".")[2]
            return "e" not in repr(value) and len(digits.rstrip("0")) <= column.scale
        return kind is Kind.FLOAT
    if isinstance(value, Date):
        return kind is Kind.DATE
    if isinstance(value, Timestamp):
        wanted = Kind.TIMESTAMP_TZ if value.zoned else Kind.TIMESTAMP
        return kind is wanted
    return kind is Kind.STRING


def check_types(pred: Predicate, types: Mapping[str, ColumnType], table: str) -> None:
    """Raise ``BadPredicate`` when a literal cannot be compared with its column exactly.

    Each library converts mismatched literals its own way (or fails mid-read), so the
    counts would differ between engines: a string compared with a number, a fraction with
    an integer or with a decimal of smaller scale, a date written as a plain string.

    >>> types = {"id": ColumnType("long", Kind.INTEGER)}
    >>> try:
    ...     check_types(Comparison(Column("id"), Op.EQ, "42"), types, "t")
    ... except BadPredicate as exc:
    ...     print(exc)
    bad predicate on t: "id" = '42': column 'id' is long: compare it with an integer
    """
    for leaf in _leaves(pred):
        column = types.get(leaf.column.name)
        if column is None or isinstance(leaf, IsNull):
            continue
        values = (leaf.value,) if isinstance(leaf, Comparison) else leaf.values
        if not all(_fits(value, column) for value in values):
            raise BadPredicate(
                f"bad predicate on {table}: {text(leaf)}: column {leaf.column.name!r} is "
                f"{column.name}: compare it with {column.kind.literals}"
            )
