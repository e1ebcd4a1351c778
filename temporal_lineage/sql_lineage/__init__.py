"""Column lineage from a job's SQL, parsed with sqlglot against its input schemas as of a run.

:func:`column_lineage` answers which input columns feed which output columns, typed as in
the OpenLineage column lineage facet; :func:`referenced_columns` which input columns the
SQL names (what a rename or drop breaks); :func:`unresolved_columns` which named columns
the inputs do not have as of the run.

Choices, shown by the golden files under ``tests/sql_lineage/golden``:

- The SQL is qualified with sqlglot's optimizer (``qualify``, ``*`` expanded with the
  schemas given) and its scopes are walked here, once, memoised per (scope, column); this
  is ~5x faster than ``sqlglot.lineage`` for all columns at once, which also has no
  indirect edges and no transformation types.
- DIRECT edges carry the strongest transformation between input and output: IDENTITY
  (the bare column, renamed or not), TRANSFORMATION (computed), AGGREGATION (under an
  aggregate function, window aggregates included).
- INDIRECT edges (JOIN keys, WHERE / HAVING / QUALIFY as FILTER, GROUP BY and DISTINCT ON
  as GROUP_BY, ORDER BY as SORT, window PARTITION BY / ORDER BY as WINDOW, CASE / IF
  conditions and aggregate FILTER clauses as CONDITIONAL, MERGE WHEN conditions as
  CONDITIONAL) are attached to every output column, as OpenLineage does for dataset-wide
  dependencies; they are collected from every SELECT whose rows reach the output (CTEs,
  subqueries, set operation branches). WINDOW and CONDITIONAL sources of a CTE or
  subquery column count only if that column is used.
- A column the SQL names that the schemas lack (a column renamed or dropped since the
  SQL was written) makes :func:`column_lineage` raise
  :class:`~temporal_lineage.errors.SqlLineageError` with ``.table`` and ``.column`` set;
  :func:`unresolved_columns` lists them all without raising, and :func:`referenced_columns`
  still counts them. Tables without a schema entry are taken on trust.
- Names: tables as the SQL writes them, identifiers lower-cased unless quoted; input
  columns spelled as their schema spells them; outputs named by the INSERT / CREATE column
  list, else (INSERT without a list) by the written table's columns by position when the
  schemas hold it, else by the SELECT aliases (a bare column keeps its schema spelling).

Limitations: PIVOT / UNPIVOT and UPDATE / DELETE statements are refused; a recursive
CTE's recursive branch adds nothing; struct field access (``payload.user.id``) is traced
to the top-level column (TRANSFORMATION); NATURAL JOIN keys are not counted as named;
two outputs with the same name merge their edges.
"""

from __future__ import annotations

from temporal_lineage.sql_lineage.columns import (
    column_lineage,
    referenced_columns,
    unresolved_columns,
)
from temporal_lineage.sql_lineage.model import ColumnEdge, UnresolvedColumn

__all__ = [
    "ColumnEdge",
    "UnresolvedColumn",
    "column_lineage",
    "referenced_columns",
    "unresolved_columns",
]
