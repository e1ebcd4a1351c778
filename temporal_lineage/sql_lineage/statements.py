"""One SQL statement as the query whose projections produce its output columns."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError

from temporal_lineage.errors import SqlLineageError
from temporal_lineage.sql_lineage.catalog import display_name

NAMED = "tl_named"
"""Meta key on every column the SQL writes by name (absent on columns ``*`` expands to)."""

USING = "tl_using"
"""Meta key on a join: the column names of its USING list (sqlglot rewrites it to ON)."""

SUPPORTED = "SELECT, INSERT ... SELECT, CREATE TABLE/VIEW AS SELECT, MERGE INTO"


@dataclass(frozen=True)
class Statement:
    """A statement's query and how its projections map to output columns.

    The first ``len(names)`` projections are the outputs named by the statement (INSERT and
    CREATE column lists, MERGE assignments); the ``conditions`` projections after them are
    MERGE conditions, not outputs; any further projections are outputs named by their alias.
    """

    kind: str
    """SELECT, INSERT, CREATE or MERGE."""
    query: exp.Query | None
    """None when nothing is selected (INSERT ... VALUES)."""
    target: exp.Table | None
    names: tuple[str, ...] = ()
    conditions: int = 0
    by_position: bool = False
    """INSERT without a column list: outputs take the target's columns by position."""
    target_columns: tuple[str, ...] = ()
    """Columns of the target the statement names (INSERT column list, MERGE assignments)."""


def parse_statement(sql: str, dialect: Dialect, label: str) -> Statement:
    """Parse one statement and find its query, marking the columns the SQL names.

    >>> from sqlglot.dialects.dialect import Dialect
    >>> s = parse_statement("INSERT INTO t (a) SELECT x FROM s", Dialect.get_or_raise(None), "")
    >>> s.names, s.query.sql()
    (('a',), 'SELECT x FROM s')
    """
    try:
        parsed = [e for e in sqlglot.parse(sql, dialect=dialect) if e is not None]
    except SqlglotError as exc:
        raise SqlLineageError(f"cannot parse SQL ({label}): {sql_error_text(exc)}") from exc
    if len(parsed) != 1:
        raise SqlLineageError(f"expected one SQL statement ({label}), got {len(parsed)}")
    statement = parsed[0]
    for column in statement.find_all(exp.Column):
        if not isinstance(column.this, exp.Star):
            column.meta[NAMED] = True
    for join in statement.find_all(exp.Join):
        using = join.args.get("using")
        if using:
            join.meta[USING] = frozenset(display_name(_identifier(u)) for u in using)
    if isinstance(statement, exp.Subquery):
        statement = statement.unnest()
    if isinstance(statement, exp.Query):
        return Statement("SELECT", statement, None)
    if isinstance(statement, exp.Insert):
        return _insert(statement)
    if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
        table, names = _target(statement.this)
        return Statement("CREATE", statement.expression, table, names)
    if isinstance(statement, exp.Merge):
        return _merge(statement, label)
    if isinstance(statement, exp.Command):  # sqlglot's fallback for syntax it cannot parse
        raise SqlLineageError(
            f"cannot parse SQL ({label}): unsupported syntax in this {statement.name} statement"
        )
    kind = statement.key.upper()
    raise SqlLineageError(f"cannot trace a {kind} statement ({label}); supported: {SUPPORTED}")


def sql_error_text(exc: SqlglotError) -> str:
    """A sqlglot error's message on one line (its first error, with line and column)."""
    if isinstance(exc, ParseError) and exc.errors:
        first = exc.errors[0]
        where = f" at line {first.get('line')}, column {first.get('col')}"
        return f"{first.get('description')}{where}" if first.get("line") else str(first)
    return " ".join(str(exc).split())


def _insert(insert: exp.Insert) -> Statement:
    table, names = _target(insert.this)
    query = insert.expression
    with_ = insert.args.get("with_")
    if isinstance(query, exp.Query) and with_ is not None and not query.args.get("with_"):
        query.set("with_", with_)
    return Statement(
        "INSERT",
        query if isinstance(query, exp.Query) else None,
        table,
        names,
        by_position=not names and not insert.args.get("by_name"),
        target_columns=names,
    )


def _target(node: exp.Expr) -> tuple[exp.Table | None, tuple[str, ...]]:
    """The written table and its column list, if the statement gives one."""
    if isinstance(node, exp.Schema):
        names = tuple(display_name(_identifier(c)) for c in node.expressions)
        return (node.this if isinstance(node.this, exp.Table) else None), names
    return (node if isinstance(node, exp.Table) else None), ()


def _identifier(node: exp.Expr) -> exp.Identifier:
    if isinstance(node, exp.Identifier):
        return node
    if isinstance(node, (exp.Column, exp.ColumnDef)) and isinstance(node.this, exp.Identifier):
        return node.this
    return exp.to_identifier(node.name)


def _merge(merge: exp.Merge, label: str) -> Statement:
    """MERGE as ``SELECT <assigned values>, <conditions>[, s.*] FROM target JOIN source ON``."""
    target, using = merge.this, merge.args.get("using")
    if not isinstance(target, exp.Table) or not isinstance(using, (exp.Table, exp.Subquery)):
        raise SqlLineageError(f"cannot trace this MERGE ({label}): unsupported target or source")
    names: list[str] = []
    values: list[exp.Expr] = []
    conditions: list[exp.Expr] = []
    star = False
    whens = merge.args.get("whens")
    for when in whens.expressions if whens else []:
        if when.args.get("condition") is not None:
            conditions.append(when.args["condition"])
        then = when.args.get("then")
        pairs: list[tuple[exp.Expr, exp.Expr]] = []
        if isinstance(then, exp.Update):
            star = star or any(isinstance(e, exp.Star) for e in then.expressions)
            pairs = [(e.this, e.expression) for e in then.expressions if isinstance(e, exp.EQ)]
        elif isinstance(then, exp.Insert) and isinstance(then.this, exp.Star):
            star = True
        elif isinstance(then, exp.Insert):
            columns = then.this.expressions if isinstance(then.this, exp.Tuple) else []
            row = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
            if len(columns) != len(row):
                raise SqlLineageError(
                    f"MERGE INSERT lists {len(columns)} columns and {len(row)} values ({label})"
                )
            pairs = list(zip(columns, row, strict=True))
        for column, value in pairs:
            names.append(display_name(_identifier(column)))
            values.append(value)
    projections = [exp.alias_(v, f"_tl_value_{i}", copy=False) for i, v in enumerate(values)]
    projections += [
        exp.alias_(c, f"_tl_condition_{i}", copy=False) for i, c in enumerate(conditions)
    ]
    if star:
        projections.append(
            exp.Column(this=exp.Star(), table=exp.to_identifier(using.alias_or_name))
        )
    elif not projections:  # only DELETE: nothing is written, but the SQL still names columns
        projections.append(exp.alias_(exp.Literal.number(1), "_tl_condition_0", copy=False))
        conditions.append(projections[0])
    select = exp.Select(expressions=projections).from_(target, copy=False)
    select = select.join(using, on=merge.args.get("on"), copy=False)
    with_ = merge.args.get("with_")
    if with_ is not None:
        select.set("with_", with_)
    return Statement(
        "MERGE",
        select,
        target,
        tuple(names),
        conditions=len(conditions),
        target_columns=tuple(dict.fromkeys(names)),
    )
