"""Column lineage and referenced columns: errors, naming and the choices the golden files show."""

from __future__ import annotations

import pytest

from temporal_lineage.errors import LineageError, SqlLineageError
from temporal_lineage.sql_lineage import (
    ColumnEdge,
    UnresolvedColumn,
    column_lineage,
    referenced_columns,
    unresolved_columns,
)

ORDERS = {"raw.orders": ["order_id", "customer_id", "amount_sum", "status"]}
RENAMED = {"raw.orders": ["order_id", "customer_id", "total_amount", "status"]}
SQL = "SELECT customer_id, SUM(amount_sum) AS total FROM raw.orders GROUP BY customer_id"


def triples(edges: tuple[ColumnEdge, ...]) -> set[tuple[str, str, str]]:
    return {(e.output, e.source_column, e.subtype) for e in edges}


def test_a_renamed_column_is_reported_by_table_and_name() -> None:
    assert ("total", "amount_sum", "AGGREGATION") in triples(column_lineage(SQL, schemas=ORDERS))
    with pytest.raises(SqlLineageError) as raised:
        column_lineage(SQL, schemas=RENAMED)
    assert isinstance(raised.value, LineageError)
    assert (raised.value.table, raised.value.column) == ("raw.orders", "amount_sum")
    assert "\n" not in str(raised.value) and "amount_sum" in str(raised.value)
    assert unresolved_columns(SQL, schemas=RENAMED) == (
        UnresolvedColumn("raw.orders", "amount_sum"),
    )
    # The SQL still names the old column: a rename of it breaks this consumer.
    assert referenced_columns(SQL, schemas=RENAMED) == {
        "raw.orders": frozenset({"customer_id", "amount_sum"})
    }


def test_a_qualified_missing_column_is_reported_too() -> None:
    with pytest.raises(SqlLineageError) as raised:
        column_lineage("SELECT o.amount_sum FROM raw.orders AS o", schemas=RENAMED)
    assert (raised.value.table, raised.value.column) == ("raw.orders", "amount_sum")


def test_every_missing_name_is_listed_and_the_error_counts_them() -> None:
    sql = "SELECT amount_sum, o.nope FROM raw.orders AS o WHERE o.gone > 0"
    missing = unresolved_columns(sql, schemas=RENAMED)
    assert {u.column for u in missing} == {"amount_sum", "nope", "gone"}
    with pytest.raises(SqlLineageError, match=r"\(and 2 more\)"):
        column_lineage(sql, schemas=RENAMED)


def test_an_unqualified_name_no_input_has_names_no_table() -> None:
    sql = "SELECT amount_sum, c.name FROM raw.orders o JOIN raw.customers c USING (customer_id)"
    schemas = {**RENAMED, "raw.customers": ["customer_id", "name"]}
    with pytest.raises(SqlLineageError) as raised:
        column_lineage(sql, schemas=schemas)
    assert (raised.value.table, raised.value.column) == (None, "amount_sum")
    assert "raw.orders, raw.customers" in str(raised.value)


def test_an_unqualified_name_over_two_tables_without_schema_is_ambiguous() -> None:
    sql = "SELECT a FROM raw.x JOIN raw.y ON x.id = y.id"
    (missing,) = unresolved_columns(sql)
    assert missing.ambiguous and missing.candidates == ("raw.x", "raw.y")
    # Either table may hold it, so both count as naming it.
    assert referenced_columns(sql) == {
        "raw.x": frozenset({"a", "id"}),
        "raw.y": frozenset({"a", "id"}),
    }


def test_an_unknown_qualifier_is_reported() -> None:
    with pytest.raises(SqlLineageError) as raised:
        column_lineage("SELECT zz.amount_sum FROM raw.orders AS o", schemas=ORDERS)
    assert (raised.value.table, raised.value.column) == ("zz", "amount_sum")


def test_tables_without_schema_are_taken_on_trust() -> None:
    edges = column_lineage("SELECT a, b + 1 AS c FROM raw.unknown")
    assert triples(edges) == {("a", "a", "IDENTITY"), ("c", "b", "TRANSFORMATION")}


def test_star_names_no_column_but_a_name_through_a_star_does() -> None:
    sql = "WITH c AS (SELECT * FROM raw.orders) SELECT status FROM c"
    assert referenced_columns("SELECT * FROM raw.orders", schemas=ORDERS) == {}
    assert referenced_columns(sql, schemas=ORDERS) == {"raw.orders": frozenset({"status"})}
    assert referenced_columns(sql) == {"raw.orders": frozenset({"status"})}  # unexpanded *
    renamed = "WITH c AS (SELECT status AS s FROM raw.orders) SELECT s FROM c"
    assert referenced_columns(renamed, schemas=ORDERS) == {"raw.orders": frozenset({"status"})}


def test_star_over_a_table_without_schema_cannot_name_outputs() -> None:
    with pytest.raises(SqlLineageError, match="no schema as of the run for raw.unknown") as raised:
        column_lineage("SELECT * FROM raw.unknown")
    assert raised.value.column is None


def test_indirect_sources_are_attached_to_every_output() -> None:
    sql = "SELECT order_id, CASE WHEN status = 'x' THEN 1 END AS flag FROM raw.orders"
    edges = column_lineage(sql, schemas=ORDERS)
    assert ("order_id", "status", "CONDITIONAL") in triples(edges)
    assert ("flag", "status", "CONDITIONAL") in triples(edges)
    assert all(e.kind == "INDIRECT" for e in edges if e.output == "flag")


def test_unparseable_sql_is_one_line_with_the_dialect_and_the_parser_message() -> None:
    with pytest.raises(SqlLineageError) as raised:
        column_lineage("SELECT a, FROM WHERE", dialect="trino")
    message = str(raised.value)
    assert "\n" not in message and "dialect trino" in message and "line 1" in message
    assert raised.value.column is None


@pytest.mark.parametrize(
    ("sql", "dialect", "expected"),
    [
        ("SELECT 1", "no-such-dialect", "unknown SQL dialect"),
        ("SELECT 1; SELECT 2", None, "expected one SQL statement"),
        ("UPDATE raw.orders SET status = 'x'", None, "cannot trace a UPDATE statement"),
        ("CREATE mart.x AS SELECT 1", None, "cannot parse SQL .* unsupported syntax"),
        ("SELECT 'open", "spark", r"cannot parse SQL \(dialect spark\)"),
        ("INSERT INTO t (a, b) SELECT order_id FROM raw.orders", None, "lists 2 columns"),
    ],
)
def test_statements_that_cannot_be_traced(sql: str, dialect: str | None, expected: str) -> None:
    with pytest.raises(SqlLineageError, match=expected):
        column_lineage(sql, dialect=dialect, schemas=ORDERS)


def test_a_schema_key_that_is_not_a_table_name() -> None:
    with pytest.raises(SqlLineageError, match="schemas"):
        column_lineage("SELECT 1", schemas={"a.b.c.d": ["x"]})


def test_insert_without_column_list_names_outputs_by_the_written_tables_columns() -> None:
    sql = "INSERT INTO staging SELECT order_id, UPPER(status) FROM raw.orders"
    schemas = {**ORDERS, "warehouse.final": ["id", "label"]}
    assert {e.output for e in column_lineage(sql, schemas=ORDERS)} == {"order_id", "_col_1"}
    edges = column_lineage(sql, schemas=schemas, output_table="warehouse.final")
    assert triples(edges) == {("id", "order_id", "IDENTITY"), ("label", "status", "TRANSFORMATION")}


def test_insert_values_and_delete_only_merge_have_no_edges() -> None:
    assert column_lineage("INSERT INTO t VALUES (1, 2)") == ()
    merge = "MERGE INTO t USING raw.orders s ON t.id = s.order_id WHEN MATCHED THEN DELETE"
    assert column_lineage(merge, schemas=ORDERS) == ()
    assert referenced_columns(merge, schemas=ORDERS) == {
        "raw.orders": frozenset({"order_id"}),
        "t": frozenset({"id"}),
    }


def test_merge_insert_star_expands_the_source_with_its_schema() -> None:
    merge = (
        "MERGE INTO mart.t USING raw.orders s ON t.order_id = s.order_id "
        "WHEN NOT MATCHED THEN INSERT *"
    )
    edges = column_lineage(merge, dialect="databricks", schemas=ORDERS)
    assert {e.output for e in edges} == set(ORDERS["raw.orders"])


def test_names_are_lower_cased_unless_quoted_and_keep_the_schema_spelling() -> None:
    schemas = {"Raw.Users": ["userId", "Country"]}
    edges = column_lineage('SELECT USERID, "Country" AS c FROM Raw.Users', schemas=schemas)
    assert {(e.output, e.source_table, e.source_column) for e in edges} == {
        ("userId", "raw.users", "userId"),
        ("c", "raw.users", "Country"),
    }
    quoted = column_lineage('SELECT x FROM "Lake"."Users"', dialect="postgres")
    assert quoted[0].source_table == "Lake.Users"


def test_a_recursive_cte_terminates() -> None:
    sql = (
        "WITH RECURSIVE r AS (SELECT order_id FROM raw.orders UNION ALL "
        "SELECT order_id + 1 FROM r WHERE order_id < 10) SELECT order_id FROM r"
    )
    assert ("order_id", "order_id", "IDENTITY") in triples(column_lineage(sql, schemas=ORDERS))


def test_column_edge_rejects_a_subtype_of_the_other_kind() -> None:
    with pytest.raises(ValueError):
        ColumnEdge("a", "t", "c", "DIRECT", "JOIN")
