"""Trace columns of qualified SQL through sqlglot scopes down to the input tables' columns.

A column's :class:`Trace` holds its direct contributions (input columns whose values flow
into it, with the strongest transformation met on the way) and the value-level indirect
ones (window PARTITION BY / ORDER BY, CASE / IF conditions, aggregate FILTER clauses).
Row-level indirect contributions (JOIN keys, WHERE / HAVING / QUALIFY, GROUP BY,
ORDER BY) belong to a scope rather than a column: :meth:`ScopeTracer.rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from temporal_lineage.sql_lineage.catalog import InputSchemas, display_name, display_table, spelling
from temporal_lineage.sql_lineage.model import (
    AGGREGATION,
    CONDITIONAL,
    FILTER,
    GROUP_BY,
    IDENTITY,
    JOIN,
    SORT,
    TRANSFORMATION,
    WINDOW,
    UnresolvedColumn,
)

Contribution = tuple[str, str, str]
"""(source table, source column, subtype)."""

_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}
_CLAUSES = (exp.Order, exp.Group, exp.Having, exp.Qualify)


@dataclass(frozen=True)
class Trace:
    """What one column is made of: direct and value-level indirect contributions."""

    direct: frozenset[Contribution] = frozenset()
    indirect: frozenset[Contribution] = frozenset()

    def __or__(self, other: Trace) -> Trace:
        return Trace(self.direct | other.direct, self.indirect | other.indirect)

    def as_indirect(self, subtype: str) -> frozenset[Contribution]:
        """Every contribution as an indirect one: direct sources take ``subtype``."""
        return frozenset((t, c, subtype) for t, c, _ in self.direct) | self.indirect


EMPTY = Trace()


@dataclass(frozen=True, eq=False)
class TableColumn:
    """A column of an input table."""

    table: exp.Table
    identifier: exp.Identifier


@dataclass(frozen=True, eq=False)
class ScopeColumn:
    """An output of a CTE, derived table, set operation or table function."""

    scope: Scope
    name: str
    alias: str


@dataclass(frozen=True, eq=False)
class ProjectionRef:
    """An ORDER BY / GROUP BY / HAVING / QUALIFY reference to a projection's alias."""

    projection: exp.Expr


@dataclass(frozen=True, eq=False)
class Nowhere:
    """A column no single source can hold.

    ``alias`` is the qualifier the SQL gave it, if any; else ``candidates`` are the sources
    it was looked up in, and ``ambiguous`` says several of them lack a schema.
    """

    alias: str | None
    candidates: tuple[str, ...] = ()
    ambiguous: bool = False
    tables: tuple[exp.Table, ...] = ()
    """When ambiguous: the input tables (without a schema) that may hold it."""
    identifier: exp.Identifier | None = None


Location = TableColumn | ScopeColumn | ProjectionRef | Nowhere


class _Sink:
    """Contributions gathered while visiting one expression."""

    __slots__ = ("direct", "indirect")

    def __init__(self) -> None:
        self.direct: set[Contribution] = set()
        self.indirect: set[Contribution] = set()

    def add(self, trace: Trace, kind: str | None, hop: str) -> None:
        if kind is None:
            self.direct.update(
                (t, c, s if _RANK[s] >= _RANK[hop] else hop) for t, c, s in trace.direct
            )
            self.indirect.update(trace.indirect)
        else:
            self.indirect.update(trace.as_indirect(kind))

    def trace(self) -> Trace:
        return Trace(frozenset(self.direct), frozenset(self.indirect))


class ScopeTracer:
    """Memoised traces of every scope of one qualified statement."""

    def __init__(self, inputs: InputSchemas) -> None:
        self._inputs = inputs
        self._traces: dict[tuple[int, str | int], Trace] = {}
        self._rows: dict[int, frozenset[Contribution]] = {}
        self._tables: dict[int, str] = {}

    # -- where a column comes from --------------------------------------------------------

    def locate(self, scope: Scope, column: exp.Column) -> Location:
        """The source a (qualified) column reads, looking outwards for correlated ones."""
        alias = column.table
        if alias:
            outer: Scope | None = scope
            while outer is not None:
                source = outer.sources.get(alias)
                if source is not None:
                    return self._at(source, column.this, alias)
                outer = outer.parent
            return Nowhere(alias)
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            return ScopeColumn(scope, column.name, "")
        projection = _alias_reference(expression, column)
        if projection is not None:
            return ProjectionRef(projection)
        sources = [(name, source) for name, (_, source) in scope.selected_sources.items()]
        if not sources and scope.parent is not None:
            return self.locate(scope.parent, column)
        holders = [(n, s) for n, s in sources if self.may_hold(s, column.name)]
        if len(sources) == 1 or len(holders) == 1:
            name, source = (sources if len(sources) == 1 else holders)[0]
            return self._at(source, column.this, name)
        names = tuple(self._source_name(n, s) for n, s in holders or sources)
        tables = tuple(s for _, s in holders if isinstance(s, exp.Table))
        ambiguous = len(holders) > 1
        return Nowhere(None, names, ambiguous, tables, _identifier(column))

    def may_hold(self, source: exp.Table | Scope, name: str) -> bool:
        """Whether a source has (or, its columns unknown, may have) a column of that name."""
        if isinstance(source, exp.Table):
            columns = self._inputs.columns(source)
            return columns is None or spelling(columns, name) is not None
        if source.is_udtf:
            return True
        if name in _output_names(source):
            return True
        return any(self.may_hold(s, name) for _, s in _star_sources(source))

    def unresolved(self, location: Location, column: exp.Column) -> UnresolvedColumn | None:
        """The column as unresolved when its location cannot hold it, else None."""
        if isinstance(location, TableColumn):
            columns = self._inputs.columns(location.table)
            if columns is None or spelling(columns, location.identifier.name) is not None:
                return None
            return UnresolvedColumn(self.table_name(location.table), self.spell(location))
        if isinstance(location, ScopeColumn):
            if self.may_hold(location.scope, location.name):
                return None
            return UnresolvedColumn(location.alias, display_name(column.this))
        if isinstance(location, Nowhere):
            name = display_name(column.this)
            return UnresolvedColumn(location.alias, name, location.candidates, location.ambiguous)
        return None

    def named_inputs(
        self, location: Location, seen: frozenset[int] = frozenset()
    ) -> Iterator[tuple[str, str]]:
        """The input columns a name reaches unchanged (through pass-through projections).

        An ambiguous name (several inputs without a schema) reaches each of those tables.
        """
        if isinstance(location, TableColumn):
            yield self.table_name(location.table), self.spell(location)
            return
        if isinstance(location, Nowhere) and location.identifier is not None:
            for table in location.tables if location.ambiguous else ():
                yield self.table_name(table), display_name(location.identifier)
            return
        if not isinstance(location, ScopeColumn) or id(location.scope) in seen:
            return
        scope, name = location.scope, location.name
        seen = seen | {id(scope)}
        branches = list(leaves(scope))
        index = _output_names(scope).index(name) if name in _output_names(scope) else None
        for branch in branches:
            if not isinstance(branch.expression, exp.Select):
                continue
            if index is None:
                for alias, source in _star_sources(branch):
                    if self.may_hold(source, name):
                        target = self._at(source, exp.to_identifier(name), alias)
                        yield from self.named_inputs(target, seen)
                continue
            selects = branch.expression.selects
            inner = selects[index].unalias() if index < len(selects) else None
            if isinstance(inner, exp.Column) and inner.name == name:
                yield from self.named_inputs(self.locate(branch, inner), seen)

    # -- traces --------------------------------------------------------------------------

    def column(self, scope: Scope, name: str) -> Trace:
        """The trace of a named output of a scope."""
        key = (id(scope), name)
        if key in self._traces:
            return self._traces[key]
        self._traces[key] = EMPTY  # a recursive CTE reaching itself adds nothing new
        if scope.is_udtf:
            trace = self._udtf(scope)
        elif name in (names := _output_names(scope)):
            trace = self.output(scope, names.index(name))
        else:
            trace = EMPTY
            identifier = exp.to_identifier(name)
            for alias, source in _star_sources(scope):
                if self.may_hold(source, name):
                    trace = trace | self._location(self._at(source, identifier, alias), scope)
        self._traces[key] = trace
        return trace

    def output(self, scope: Scope, index: int) -> Trace:
        """The trace of a scope's projection by position (set operations: every branch)."""
        key = (id(scope), index)
        if key in self._traces:
            return self._traces[key]
        self._traces[key] = EMPTY
        expression = scope.expression
        trace = EMPTY
        if scope.set_operation_scopes:
            for branch in scope.set_operation_scopes:
                trace = trace | self.output(branch, index)
        elif isinstance(expression, exp.Select) and index < len(expression.selects):
            projection = expression.selects[index]
            if not projection.is_star:
                trace = self.expression(scope, projection.unalias())
        self._traces[key] = trace
        return trace

    def expression(self, scope: Scope, node: exp.Expr, kind: str | None = None) -> Trace:
        """The trace of an expression evaluated in a scope (``kind``: as that indirect)."""
        sink = _Sink()
        self._visit(scope, node, sink, kind, aggregated=False, whole=True)
        return sink.trace()

    def rows(self, scope: Scope) -> frozenset[Contribution]:
        """Row-level indirect contributions: what decides which rows a scope produces."""
        key = id(scope)
        if key in self._rows:
            return self._rows[key]
        self._rows[key] = frozenset()
        sink = _Sink()
        expression = scope.expression
        for branch in scope.set_operation_scopes:
            sink.indirect.update(self.rows(branch))
        if isinstance(expression, exp.Select):
            for join in expression.args.get("joins") or []:
                self._clause(scope, join.args.get("on"), JOIN, sink)
            self._clause(scope, expression.args.get("where"), FILTER, sink)
            self._clause(scope, expression.args.get("having"), FILTER, sink)
            self._clause(scope, expression.args.get("qualify"), FILTER, sink)
            self._clause(scope, expression.args.get("group"), GROUP_BY, sink)
            distinct = expression.args.get("distinct")
            self._clause(scope, distinct.args.get("on") if distinct else None, GROUP_BY, sink)
            sources = [source for _, source in scope.selected_sources.values()]
            sources += [
                scope.sources[n] for n in scope.semi_or_anti_join_tables if n in scope.sources
            ]
            for source in sources:
                if isinstance(source, Scope) and not source.is_udtf:
                    sink.indirect.update(self.rows(source))
        if isinstance(expression, exp.Query):
            self._clause(scope, expression.args.get("order"), SORT, sink)
        rows = frozenset(sink.indirect)
        self._rows[key] = rows
        return rows

    def table_name(self, table: exp.Table) -> str:
        """An input table as answers show it."""
        name = self._tables.get(id(table))
        if name is None:
            name = self._tables[id(table)] = display_table(table)
        return name

    def spell(self, location: TableColumn) -> str:
        """An input column spelled as its schema spells it, else as the SQL writes it."""
        columns = self._inputs.columns(location.table)
        spelled = spelling(columns, location.identifier.name) if columns else None
        return spelled if spelled is not None else display_name(location.identifier)

    # -- internals ----------------------------------------------------------------------

    def _source_name(self, alias: str, source: exp.Table | Scope) -> str:
        return self.table_name(source) if isinstance(source, exp.Table) else alias

    def _at(self, source: exp.Table | Scope, identifier: exp.Expr, alias: str) -> Location:
        if isinstance(source, exp.Table):
            if not isinstance(identifier, exp.Identifier):
                identifier = exp.to_identifier(identifier.name)
            return TableColumn(source, identifier)
        return ScopeColumn(source, identifier.name, alias)

    def _location(self, location: Location, scope: Scope) -> Trace:
        if isinstance(location, TableColumn):
            table = self.table_name(location.table)
            return Trace(frozenset({(table, self.spell(location), IDENTITY)}))
        if isinstance(location, ScopeColumn):
            return self.column(location.scope, location.name)
        if isinstance(location, ProjectionRef):
            return self.expression(scope, location.projection.unalias())
        return EMPTY

    def _udtf(self, scope: Scope) -> Trace:
        """A table function's columns derive from every column its arguments read."""
        sink = _Sink()
        self._visit(scope, scope.expression, sink, None, aggregated=False, whole=False)
        return sink.trace()

    def _clause(self, scope: Scope, node: exp.Expr | None, kind: str, sink: _Sink) -> None:
        if node is not None:
            self._visit(scope, node, sink, kind, aggregated=False, whole=False)

    def _visit(
        self,
        scope: Scope,
        node: exp.Expr,
        sink: _Sink,
        kind: str | None,
        *,
        aggregated: bool,
        whole: bool,
    ) -> None:
        hop = AGGREGATION if aggregated else IDENTITY if whole else TRANSFORMATION
        if isinstance(node, exp.Column):
            if not isinstance(node.this, exp.Star):
                sink.add(self._location(self.locate(scope, node), scope), kind, hop)
            return
        if isinstance(node, (exp.Subquery, exp.Query)):
            sub = _subquery_scope(scope, node)
            if sub is not None:
                for index in range(len(_output_names(sub))):
                    sink.add(self.output(sub, index), kind, hop)
                sink.indirect.update(self.rows(sub))
            return

        def visit(child: exp.Expr | None, as_kind: str | None, agg: bool, top: bool) -> None:
            if child is not None:
                self._visit(scope, child, sink, as_kind, aggregated=agg, whole=top)

        if isinstance(node, exp.Window):
            visit(node.this, kind, aggregated, False)
            for window in [node, *_named_windows(scope, node)]:
                for partition in window.args.get("partition_by") or []:
                    visit(partition, kind or WINDOW, False, False)
                visit(window.args.get("order"), kind or WINDOW, False, False)
        elif isinstance(node, exp.Case):
            visit(node.this, kind or CONDITIONAL, False, False)
            for branch in node.args.get("ifs") or []:
                visit(branch.this, kind or CONDITIONAL, False, False)
                visit(branch.args.get("true"), kind, aggregated, False)
            visit(node.args.get("default"), kind, aggregated, False)
        elif isinstance(node, exp.If):
            visit(node.this, kind or CONDITIONAL, False, False)
            visit(node.args.get("true"), kind, aggregated, False)
            visit(node.args.get("false"), kind, aggregated, False)
        elif isinstance(node, exp.Filter):
            visit(node.this, kind, aggregated, False)
            visit(node.expression, kind or CONDITIONAL, False, False)
        elif isinstance(node, (exp.Paren, exp.Alias)):
            visit(node.this, kind, aggregated, whole)
        else:
            agg = aggregated or isinstance(node, (exp.AggFunc, exp.WithinGroup))
            for child in node.iter_expressions():
                visit(child, kind, agg, False)


def _output_names(scope: Scope) -> list[str]:
    expression = scope.expression
    if isinstance(expression, exp.Query):
        return [name for name in expression.named_selects if name != "*"]
    return []


def leaves(scope: Scope) -> Iterator[Scope]:
    """The SELECT scopes a set operation's outputs come from (the scope itself otherwise)."""
    if scope.set_operation_scopes:
        for branch in scope.set_operation_scopes:
            yield from leaves(branch)
    else:
        yield scope


def _star_sources(scope: Scope) -> list[tuple[str, exp.Table | Scope]]:
    """The sources an unexpanded ``*`` / ``t.*`` projection of a SELECT scope passes through."""
    expression = scope.expression
    if not isinstance(expression, exp.Select):
        return []
    found: dict[str, exp.Table | Scope] = {}
    for projection in expression.selects:
        if isinstance(projection, exp.Star):
            found.update((n, s) for n, (_, s) in scope.selected_sources.items())
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            source = scope.sources.get(projection.table)
            if source is not None:
                found[projection.table] = source
    return list(found.items())


def _alias_reference(expression: exp.Expr, column: exp.Column) -> exp.Expr | None:
    """The projection an unqualified ORDER BY / GROUP BY / HAVING name refers to, if any."""
    if not isinstance(expression, exp.Select):
        return None
    clause = column.find_ancestor(*_CLAUSES, exp.Window, exp.Select)
    if not isinstance(clause, _CLAUSES) or clause.parent is not expression:
        return None
    return next((p for p in expression.selects if p.alias_or_name == column.name), None)


def _identifier(column: exp.Column) -> exp.Identifier | None:
    return column.this if isinstance(column.this, exp.Identifier) else None


def _named_windows(scope: Scope, window: exp.Window) -> list[exp.Expr]:
    """The ``WINDOW w AS (...)`` definitions an ``OVER w`` refers to."""
    name = window.args.get("alias")
    if not isinstance(name, exp.Identifier):
        return []
    defined = scope.expression.args.get("windows") or []
    return [w for w in defined if isinstance(w, exp.Window) and w.this.name == name.name]


def _subquery_scope(scope: Scope, node: exp.Expr) -> Scope | None:
    target = node.unnest() if isinstance(node, exp.Subquery) else node
    return next((s for s in scope.subquery_scopes if s.expression is target), None)
