"""Which output columns of a job's SQL mask their inputs: computed by a masking function
(sha2, md5, ...) or counted (COUNT), so a classification tag of the input stops there."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import expressions as exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from temporal_lineage.errors import LineageError
from temporal_lineage.sql_lineage.statements import parse_statement


@dataclass(frozen=True)
class Masked:
    """An output column whose value no longer carries its inputs' tags, and why."""

    function: str
    """The masking function's name as configured, or ``count``."""
    counted: bool


def masked_outputs(
    sql: str, dialect: str | None, functions: tuple[str, ...]
) -> Mapping[str, Masked]:
    """Output column (lower-cased) -> how its outermost SELECT masks it; empty when the SQL
    does not parse (the tag then flows: a stop must be proven)."""
    return _masked(sql, dialect, tuple(sorted(f.lower() for f in functions)))


@functools.lru_cache(maxsize=1024)
def _masked(sql: str, dialect: str | None, functions: tuple[str, ...]) -> Mapping[str, Masked]:
    try:
        statement = parse_statement(sql, Dialect.get_or_raise(dialect), "masking")
    except (LineageError, SqlglotError, ValueError):
        return {}
    select = statement.query
    if not isinstance(select, exp.Select):
        return {}  # a set operation: a stop must hold in every branch; not proven here
    found: dict[str, Masked] = {}
    for index, projection in enumerate(select.expressions):
        named = index < len(statement.names)
        name = (statement.names[index] if named else projection.alias_or_name).lower()
        how = _how(projection.unalias(), functions)
        if name and how is not None:
            found[name] = how
    return found


def _names(node: exp.Func) -> set[str]:
    names = {n.lower() for n in getattr(type(node), "_sql_names", ())}
    if isinstance(node, exp.Anonymous):
        names.add(str(node.name).lower())
    names.add(type(node).__name__.lower())
    return names


def _how(expression: exp.Expression, functions: tuple[str, ...]) -> Masked | None:
    """Masked when every column the expression reads is under a masking function, or when
    the expression is a COUNT."""
    if isinstance(expression, exp.Count):
        return Masked("count", counted=True)
    columns = list(expression.find_all(exp.Column))
    if not columns:
        return None
    used: str | None = None
    for column in columns:
        masking = None
        for parent in _ancestors(column, expression):
            if isinstance(parent, exp.Func):
                hit = sorted(_names(parent) & set(functions))
                if hit:
                    masking = hit[0]
                    break
        if masking is None:
            return None
        used = used or masking
    return Masked(used, counted=False) if used else None


def _ancestors(node: exp.Expression, top: exp.Expression) -> list[exp.Expression]:
    found: list[exp.Expression] = []
    parent = node.parent
    while isinstance(parent, exp.Expression):
        found.append(parent)
        if parent is top:
            break
        parent = parent.parent
    return found
