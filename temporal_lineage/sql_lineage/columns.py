"""Column lineage of one SQL statement, resolved against its input schemas as of a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, find_all_in_scope

from temporal_lineage.errors import SqlLineageError
from temporal_lineage.sql_lineage.catalog import InputSchemas, display_name, display_table
from temporal_lineage.sql_lineage.model import (
    CONDITIONAL,
    INDIRECT_SUBTYPES,
    ColumnEdge,
    UnresolvedColumn,
)
from temporal_lineage.sql_lineage.statements import (
    NAMED,
    USING,
    Statement,
    parse_statement,
    sql_error_text,
)
from temporal_lineage.sql_lineage.trace import Contribution, ScopeTracer, Trace, leaves

_KINDS = {"DIRECT": 0, "INDIRECT": 1}
_SUBTYPE_ORDER = {s: i for i, s in enumerate(("IDENTITY", "TRANSFORMATION", "AGGREGATION"))}
_SUBTYPE_ORDER.update({s: 3 + i for i, s in enumerate(INDIRECT_SUBTYPES)})


def column_lineage(
    sql: str,
    *,
    dialect: str | None = None,
    schemas: Mapping[str, Sequence[str]] | None = None,
    output_table: str | None = None,
) -> tuple[ColumnEdge, ...]:
    """Every edge from an input column to an output column of one statement.

    Direct edges: the input's value flows into the output (IDENTITY, TRANSFORMATION,
    AGGREGATION: the strongest met between input and output). Indirect edges: the input
    decides which rows or which branch produce the output (JOIN, FILTER, GROUP_BY, SORT,
    WINDOW, CONDITIONAL), from any SELECT the rows pass through; each is attached to every
    output column, as OpenLineage does for dataset-wide dependencies.

    Args:
        sql: one SELECT, INSERT ... SELECT, CREATE TABLE/VIEW AS SELECT or MERGE INTO.
        dialect: a sqlglot dialect name ("spark", "trino", ...); None for sqlglot's own.
        schemas: input table (as the SQL writes it) -> its column names as of the run;
            ``*`` expands to them and every column the SQL names is checked against them.
            A table without an entry is taken on trust.
        output_table: the written table's key in ``schemas`` when the SQL does not name it
            the same way; an INSERT without a column list names its outputs by position
            after that table's columns when ``schemas`` has them.

    Raises:
        SqlLineageError: the SQL cannot be parsed or traced; or it names a column the
            schemas lack (``.table`` / ``.column`` say which: "still names the old column").

    >>> edges = column_lineage(
    ...     "SELECT id, SUM(amount) AS total FROM raw.orders GROUP BY id",
    ...     schemas={"raw.orders": ["id", "amount"]},
    ... )
    >>> for e in edges:
    ...     print(e.output, e.source_table, e.source_column, e.kind, e.subtype)
    id raw.orders id DIRECT IDENTITY
    id raw.orders id INDIRECT GROUP_BY
    total raw.orders amount DIRECT AGGREGATION
    total raw.orders id INDIRECT GROUP_BY
    """
    analysis = _Analysis(sql, dialect, schemas)
    unresolved = analysis.unresolved()
    if unresolved:
        first = unresolved[0]
        more = f" (and {len(unresolved) - 1} more)" if len(unresolved) > 1 else ""
        raise SqlLineageError(
            f"{first.describe()} as of the run{more} ({analysis.label})",
            table=first.table,
            column=first.column,
        )
    return analysis.edges(output_table)


def referenced_columns(
    sql: str,
    *,
    dialect: str | None = None,
    schemas: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, frozenset[str]]:
    """Every input table -> the columns the SQL names explicitly (``*`` names none).

    A name counts where it is written and where it reaches a table unchanged through
    CTEs and subqueries (``WITH c AS (SELECT * FROM t) SELECT a FROM c`` names ``t.a``).
    The columns an INSERT or MERGE assigns count under the written table. Names the schemas
    lack still count under the table they were looked up in; nothing is raised for them.

    >>> named = referenced_columns("WITH c AS (SELECT * FROM raw.t) SELECT a, b + 1 AS x FROM c")
    >>> {table: sorted(columns) for table, columns in named.items()}
    {'raw.t': ['a', 'b']}
    """
    return _Analysis(sql, dialect, schemas).referenced()


def unresolved_columns(
    sql: str,
    *,
    dialect: str | None = None,
    schemas: Mapping[str, Sequence[str]] | None = None,
) -> tuple[UnresolvedColumn, ...]:
    """The columns the SQL names that its inputs lack as of the run (the schemas given).

    >>> missing = unresolved_columns("SELECT total FROM raw.orders", schemas={"raw.orders": ["id"]})
    >>> [(m.table, m.column) for m in missing]
    [('raw.orders', 'total')]
    """
    return _Analysis(sql, dialect, schemas).unresolved()


class _Analysis:
    """One statement parsed, qualified against the schemas and split into scopes."""

    def __init__(
        self, sql: str, dialect: str | None, schemas: Mapping[str, Sequence[str]] | None
    ) -> None:
        self.label = f"dialect {dialect}" if dialect else "default dialect"
        try:
            self.dialect = Dialect.get_or_raise(dialect)
        except ValueError as exc:
            raise SqlLineageError(f"unknown SQL dialect {dialect!r}") from exc
        self.statement: Statement = parse_statement(sql, self.dialect, self.label)
        self.inputs = InputSchemas(schemas, self.dialect)
        self.tracer = ScopeTracer(self.inputs)
        self.root: Scope | None = None
        if self.statement.query is not None:
            try:
                query = qualify(
                    self.statement.query,
                    dialect=self.dialect,
                    schema=self.inputs.schema,
                    validate_qualify_columns=False,
                    allow_partial_qualification=True,  # we report unknown columns ourselves
                    quote_identifiers=False,
                    identify=False,
                )
                self.root = build_scope(query)
            except SqlglotError as exc:
                raise SqlLineageError(
                    f"cannot resolve SQL ({self.label}): {sql_error_text(exc)}"
                ) from exc
        self._named: tuple[dict[str, set[str]], list[UnresolvedColumn]] | None = None

    def referenced(self) -> dict[str, frozenset[str]]:
        """Table -> the columns the SQL names (see :func:`referenced_columns`)."""
        referenced = self._names()[0]
        target = self.statement.target
        if target is not None and self.statement.target_columns:
            written = referenced.setdefault(display_table(target), set())
            written.update(self.statement.target_columns)
        return {table: frozenset(columns) for table, columns in sorted(referenced.items())}

    def unresolved(self) -> tuple[UnresolvedColumn, ...]:
        """The named columns no input holds, in the order the scopes are walked."""
        return tuple(self._names()[1])

    def edges(self, output_table: str | None) -> tuple[ColumnEdge, ...]:
        """The statement's column lineage (see :func:`column_lineage`)."""
        root = self.root
        if root is None:
            return ()
        if any(scope.pivots for scope in root.traverse()):
            raise SqlLineageError(f"cannot trace columns through PIVOT / UNPIVOT ({self.label})")
        outputs, conditions = self._outputs(root, output_table)
        traces: list[tuple[str, Trace]] = [(n, self.tracer.output(root, i)) for i, n in outputs]
        indirect: set[Contribution] = set(self.tracer.rows(root))
        for _, trace in traces:
            indirect.update(trace.indirect)
        for index in conditions:
            indirect.update(self.tracer.output(root, index).as_indirect(CONDITIONAL))
        order = {name: position for position, (name, _) in reversed(list(enumerate(traces)))}
        edges = {
            ColumnEdge(name, table, column, "DIRECT", subtype)
            for name, trace in traces
            for table, column, subtype in trace.direct
        }
        edges.update(
            ColumnEdge(name, table, column, "INDIRECT", subtype)
            for name in order
            for table, column, subtype in indirect
        )
        return tuple(
            sorted(
                edges,
                key=lambda e: (
                    order[e.output],
                    _KINDS[e.kind],
                    e.source_table,
                    e.source_column,
                    _SUBTYPE_ORDER[e.subtype],
                ),
            )
        )

    def _outputs(
        self, root: Scope, output_table: str | None
    ) -> tuple[list[tuple[int, str]], list[int]]:
        """(projection index, output name) of every output, and the MERGE condition indexes."""
        expression = root.expression
        assert isinstance(expression, exp.Query)
        self._check_expanded(root)
        projections = expression.selects
        statement = self.statement
        names = list(statement.names)
        if statement.kind in ("INSERT", "CREATE") and names and len(names) != len(projections):
            raise SqlLineageError(
                f"{statement.kind} lists {len(names)} columns but its query selects "
                f"{len(projections)} ({self.label})"
            )
        if statement.by_position and statement.target is not None:
            written = self.inputs.written_columns(statement.target)
            if written is None and output_table is not None:
                written = self.inputs.written_columns(output_table)
            if written is not None and len(written) == len(projections):
                names = written
        first = len(names) + statement.conditions
        conditions = list(range(len(names), first))
        outputs = list(enumerate(names))
        leftmost = next(leaves(root))
        outputs += [
            (i, self._output_name(leftmost, p)) for i, p in enumerate(projections) if i >= first
        ]
        return outputs, conditions

    def _output_name(self, scope: Scope, projection: exp.Expr) -> str:
        """A projection's alias; a column passed through unchanged keeps its schema spelling."""
        inner = projection.unalias()
        if isinstance(inner, exp.Column) and inner.name == projection.alias_or_name:
            location = self.tracer.locate(scope, inner)
            spelled = {column for _, column in self.tracer.named_inputs(location)}
            if len(spelled) == 1:
                return spelled.pop()
        alias = projection.args.get("alias") if isinstance(projection, exp.Alias) else None
        if isinstance(alias, exp.Identifier):
            return display_name(alias)
        if isinstance(inner, exp.Column) and isinstance(inner.this, exp.Identifier):
            return display_name(inner.this)
        return projection.alias_or_name

    def _check_expanded(self, root: Scope) -> None:
        """Refuse a ``*`` left in the outputs: its columns are unknown without a schema."""
        for scope in leaves(root):
            expression = scope.expression
            if not isinstance(expression, exp.Select) or not expression.is_star:
                continue
            missing = sorted(
                display_table(source)
                for _, source in scope.selected_sources.values()
                if isinstance(source, exp.Table) and self.inputs.columns(source) is None
            )
            raise SqlLineageError(
                f"cannot expand * in the statement's outputs ({self.label}): no schema as of "
                f"the run for {', '.join(missing) or 'its sources'}"
            )

    def _names(self) -> tuple[dict[str, set[str]], list[UnresolvedColumn]]:
        """One walk over every column the SQL names: what it references, what is missing."""
        if self._named is not None:
            return self._named
        referenced: dict[str, set[str]] = {}
        unresolved: dict[UnresolvedColumn, None] = {}
        seen: set[int] = set()
        for scope in self.root.traverse() if self.root is not None else []:
            for column in find_all_in_scope(scope.expression, exp.Column):
                if id(column) in seen or isinstance(column.this, exp.Star) or not _named(column):
                    continue
                seen.add(id(column))
                location = self.tracer.locate(scope, column)
                missing = self.tracer.unresolved(location, column)
                if missing is not None:
                    unresolved[missing] = None
                for table, name in self.tracer.named_inputs(location):
                    referenced.setdefault(table, set()).add(name)
        self._named = (referenced, list(unresolved))
        return self._named


def _named(column: exp.Column) -> bool:
    """Whether the SQL writes this column by name (not expanded from ``*`` or a position)."""
    if column.meta.get(NAMED) or isinstance(column.parent, exp.Dot):
        return True  # sqlglot rebuilds a written struct access (a.b.c) as Dot(Column)
    join = column.find_ancestor(exp.Join)
    return join is not None and display_name(column.this) in join.meta.get(USING, ())
