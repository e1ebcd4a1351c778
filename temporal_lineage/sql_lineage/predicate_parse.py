"""A row predicate from its SQL text (``customer_id = 42 AND country IN ('DE', 'FR')``).

Only what every format library can push down is accepted: a column compared with a literal
(``=``, ``!=``/``<>``, ``<``, ``<=``, ``>``, ``>=``, either side), ``[NOT] IN`` a list of
literals, ``[NOT] BETWEEN`` literals, ``IS [NOT] NULL``, ``AND``, ``OR``, ``NOT`` and
parentheses. Literals: numbers, strings, TRUE / FALSE, ``DATE '...'``, ``TIMESTAMP '...'``.
Identifiers are lower-cased unless double-quoted, as in the SQL the lineage reads.
Anything else raises ``BadPredicate`` naming the predicate and the fault.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from temporal_lineage.errors import BadPredicate
from temporal_lineage.predicate import (
    And,
    Column,
    Comparison,
    Date,
    InList,
    IsNull,
    Not,
    Op,
    Or,
    Predicate,
    Timestamp,
    Value,
)
from temporal_lineage.sql_lineage.catalog import display_name
from temporal_lineage.sql_lineage.statements import sql_error_text

_OPS: dict[type[exp.Expr], Op] = {
    exp.EQ: Op.EQ,
    exp.NEQ: Op.NE,
    exp.LT: Op.LT,
    exp.LTE: Op.LE,
    exp.GT: Op.GT,
    exp.GTE: Op.GE,
}
_FLIPPED = {Op.EQ: Op.EQ, Op.NE: Op.NE, Op.LT: Op.GT, Op.LE: Op.GE, Op.GT: Op.LT, Op.GE: Op.LE}
"""``3 < a`` is ``a > 3``."""

_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Neg)
_TIMESTAMPS = (
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ,
    exp.DataType.Type.TIMESTAMPLTZ,
    exp.DataType.Type.TIMESTAMPNTZ,
    exp.DataType.Type.DATETIME,
)
_SUPPORTED = "column <op> literal, [NOT] IN, [NOT] BETWEEN, IS [NOT] NULL, AND, OR, NOT"


class _Refused(Exception):
    """What is wrong with one part of the predicate (turned into ``BadPredicate``)."""


def parse_predicate(text: str) -> Predicate:
    """The predicate ``text`` says.

    >>> print(parse_predicate("Email = 'a@b.c' AND country IN ('DE','FR')"))
    "email" = 'a@b.c' AND "country" IN ('DE', 'FR')
    >>> print(parse_predicate('NOT ("A" < 3 OR b >= \\'q\\')'))
    NOT ("A" < 3 OR "b" >= 'q')

    Raises:
        BadPredicate: empty or unparsable text, or a construct outside the supported set.
    """
    shown = " ".join(text.split())
    if not shown:
        raise BadPredicate("bad predicate: empty text")
    try:
        tree = sqlglot.parse_one(text, into=exp.Condition)
    except SqlglotError as exc:
        raise BadPredicate(f"bad predicate {shown!r}: cannot parse: {sql_error_text(exc)}") from exc
    try:
        return _predicate(tree)
    except (_Refused, BadPredicate) as exc:
        raise BadPredicate(f"bad predicate {shown!r}: {exc}") from exc


def _predicate(node: exp.Expr) -> Predicate:
    if isinstance(node, exp.Paren):
        return _predicate(node.this)
    if isinstance(node, exp.And | exp.Or):
        kind = And if isinstance(node, exp.And) else Or
        return kind(tuple(_predicate(part) for part in node.flatten()))
    if isinstance(node, exp.Not):
        return _negated(node.this)
    if type(node) in _OPS:
        return _comparison(node, _OPS[type(node)])
    if isinstance(node, exp.In):
        return _in(node, negated=False)
    if isinstance(node, exp.Is):
        return _is_null(node, negated=False)
    if isinstance(node, exp.Between):
        return _between(node)
    raise _Refused(f"{_what(node)} is not supported (supported: {_SUPPORTED})")


def _negated(node: exp.Expr) -> Predicate:
    """``NOT x``: folded into IN and IS NULL (``x NOT IN``, ``x IS NOT NULL``)."""
    inner = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.In):
        return _in(inner, negated=True)
    if isinstance(inner, exp.Is):
        return _is_null(inner, negated=True)
    return Not(_predicate(node))


def _comparison(node: exp.Expr, op: Op) -> Comparison:
    left, right = node.this, node.expression
    if not isinstance(left, exp.Column) and isinstance(right, exp.Column):
        left, right, op = right, left, _FLIPPED[op]
    if isinstance(right, exp.Null):
        raise _Refused(f"{node.sql()} is never true: write IS NULL or IS NOT NULL")
    return Comparison(_column(left), op, _value(right))


def _in(node: exp.In, negated: bool) -> InList:
    if node.args.get("query") is not None or node.args.get("unnest") is not None:
        raise _Refused("IN (SELECT ...) is not supported: list the values")
    values = node.expressions
    if any(isinstance(v, exp.Null) for v in values):
        raise _Refused("NULL in an IN list is never matched: use IS NULL")
    return InList(_column(node.this), tuple(_value(v) for v in values), negated)


def _is_null(node: exp.Is, negated: bool) -> IsNull:
    if not isinstance(node.expression, exp.Null):
        raise _Refused(f"{node.sql()} is not supported: only IS [NOT] NULL")
    return IsNull(_column(node.this), negated)


def _between(node: exp.Between) -> And:
    column = _column(node.this)
    low, high = _value(node.args["low"]), _value(node.args["high"])
    return And((Comparison(column, Op.GE, low), Comparison(column, Op.LE, high)))


def _column(node: exp.Expr) -> Column:
    if not isinstance(node, exp.Column):
        raise _Refused(f"{_what(node)} where a column was expected (write <column> <op> <value>)")
    if node.table or not isinstance(node.this, exp.Identifier):
        raise _Refused(f"{node.sql()}: only top-level columns, without a table or struct path")
    return Column(display_name(node.this))


def _value(node: exp.Expr) -> Value:
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        number = _number(node.this)
        return -number if negative else number
    if negative:
        raise _Refused(f"-{node.sql()}: only a number can be negated")
    if isinstance(node, exp.Literal):
        return str(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        if node.to.is_type(exp.DataType.Type.DATE):
            return Date(str(node.this.this))
        if node.to.is_type(*_TIMESTAMPS):
            return Timestamp(str(node.this.this))
    if isinstance(node, exp.Column):
        raise _Refused(f"{node.sql()}: a column compared with a column is not supported")
    raise _Refused(f"{_what(node)} where a literal was expected")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _what(node: exp.Expr) -> str:
    """How a message names a construct: ``function upper(x)``, ``subquery (SELECT 1)``."""
    if isinstance(node, exp.Subquery | exp.Query | exp.Exists):
        return f"subquery {node.sql()}"
    if isinstance(node, exp.Func):
        return f"function {node.sql()}"
    if isinstance(node, _ARITHMETIC):
        return f"arithmetic {node.sql()}"
    if isinstance(node, exp.Block):
        return "more than one condition (separated by ';')"
    return node.sql() or type(node).__name__
