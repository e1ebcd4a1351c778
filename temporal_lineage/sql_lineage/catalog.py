"""The input schemas as of a run, keyed the way one SQL dialect resolves names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.schema import MappingSchema

from temporal_lineage.errors import SqlLineageError

Schemas = Mapping[str, Sequence[str]]
"""Input table name (as the SQL writes it) -> its column names as of the run."""

_PAD = "\x00"
"""Leading part of shorter keys: sqlglot needs one nesting depth, and no SQL names this."""

_UNKNOWN_TYPE = "UNKNOWN"


def display_name(identifier: exp.Identifier) -> str:
    """An identifier as answers show it: lower-cased unless quoted.

    >>> display_name(exp.to_identifier("Events")), display_name(exp.to_identifier("Events", True))
    ('events', 'Events')
    """
    return identifier.name if identifier.quoted else identifier.name.lower()


def display_table(table: exp.Table) -> str:
    """A table as the SQL writes it, without alias, each part shown by :func:`display_name`.

    >>> display_table(exp.to_table("Lake.RAW.events"))
    'lake.raw.events'
    """
    return ".".join(
        display_name(part) if isinstance(part, exp.Identifier) else part.sql()
        for part in table.parts
    )


def spelling(columns: Mapping[str, str], name: str) -> str | None:
    """The schema spelling of a column the SQL resolved to ``name``, or None if absent.

    A quoted reference keeps its case, so it also matches the schema spelling exactly.

    >>> spelling({"country": "Country"}, "country"), spelling({"country": "Country"}, "Country")
    ('Country', 'Country')
    """
    spelled = columns.get(name)
    if spelled is None and name in columns.values():
        return name
    return spelled


class InputSchemas:
    """Column names per input table, normalised for one dialect, with their schema spelling.

    >>> from sqlglot.dialects.dialect import Dialect
    >>> inputs = InputSchemas({"raw.Events": ["userId", "ts"]}, Dialect.get_or_raise("spark"))
    >>> dict(inputs.columns(exp.to_table("raw.events")) or {})
    {'userid': 'userId', 'ts': 'ts'}
    """

    def __init__(self, schemas: Schemas | None, dialect: Dialect) -> None:
        self._dialect = dialect
        tables: dict[tuple[str, ...], dict[str, str]] = {}
        for key, columns in (schemas or {}).items():
            parts = self._key_parts(key)
            spelled = {self.normalize(str(column)): str(column) for column in columns}
            if spelled:
                tables[parts] = spelled
        depth = max((len(parts) for parts in tables), default=0)
        nested: dict[str, object] = {}
        self._spellings: dict[int, dict[str, str]] = {}
        for parts, spelled in tables.items():
            node = nested
            for part in (_PAD,) * (depth - len(parts)) + parts[:-1]:
                child = node.setdefault(part, {})
                assert isinstance(child, dict)
                node = child
            typed = dict.fromkeys(spelled, _UNKNOWN_TYPE)
            node[parts[-1]] = typed
            # sqlglot hands back this very mapping from `find`: its identity names the table.
            self._spellings[id(typed)] = spelled
        self.schema = MappingSchema(nested, dialect=dialect, normalize=False)
        """The same schemas for sqlglot's optimizer (already normalised)."""

    def normalize(self, column: str) -> str:
        """A schema column name as the dialect resolves an unquoted (or needed-quote) reference.

        >>> from sqlglot.dialects.dialect import Dialect
        >>> InputSchemas(None, Dialect.get_or_raise("snowflake")).normalize("amount")
        'AMOUNT'
        """
        return self._dialect.normalize_identifier(exp.to_identifier(column)).name

    def columns(self, table: exp.Table) -> Mapping[str, str] | None:
        """Normalised name -> schema spelling for an input table, or None without a schema."""
        if not isinstance(table.this, exp.Identifier) or len(self._spellings) == 0:
            return None
        try:
            found = self.schema.find(table, raise_on_missing=False)
        except SqlglotError:
            return None
        return self._spellings.get(id(found)) if isinstance(found, dict) else None

    def written_columns(self, table: exp.Table | str) -> list[str] | None:
        """The schema spelling of a written table's columns, in order, or None without one.

        Unlike :meth:`columns` the table need not be normalised (it is not part of the
        qualified query): an INSERT's target, or a table name the caller gives.
        """
        try:
            parts = self._key_parts(table) if isinstance(table, str) else self._parts(table)
        except SqlLineageError:
            return None
        if not self._spellings or not parts:
            return None
        normalized = exp.Table(
            this=exp.to_identifier(parts[-1]),
            db=exp.to_identifier(parts[-2]) if len(parts) > 1 else None,
            catalog=exp.to_identifier(parts[-3]) if len(parts) > 2 else None,
        )
        columns = self.columns(normalized)
        return list(columns.values()) if columns is not None else None

    def _key_parts(self, key: str) -> tuple[str, ...]:
        try:
            table = exp.to_table(key, dialect=self._dialect)
        except SqlglotError as exc:
            raise SqlLineageError(f"schemas: {key!r} is not a table name ({exc})") from exc
        if not isinstance(table.this, exp.Identifier) or len(table.parts) > 3:
            raise SqlLineageError(f"schemas: {key!r} is not a [catalog.]db.table name")
        return self._parts(table)

    def _parts(self, table: exp.Table) -> tuple[str, ...]:
        return tuple(
            self._dialect.normalize_identifier(_as_table_part(part)).name for part in table.parts
        )


def _as_table_part(part: exp.Expr) -> exp.Identifier:
    identifier = part.copy() if isinstance(part, exp.Identifier) else exp.to_identifier(part.name)
    identifier.meta["is_table"] = True
    return identifier
