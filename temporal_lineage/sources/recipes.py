"""Snippets a user can paste to read one pinned snapshot, per format and reader, and SQL
counting the rows of a snapshot that match a predicate.

polars, the format's own library (pyiceberg / deltalake), Spark SQL and Trino SQL. Python
snippets leave a polars frame in ``df`` or a pyarrow table in ``table``; storage option
values are never written out (placeholders name the keys).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from temporal_lineage.model import Field, TableRef
from temporal_lineage.predicate import Predicate, ansi_quote, ansi_string, to_sql


@dataclass(frozen=True)
class _SqlTable:
    """How Spark SQL and Trino name one pinned snapshot (the FROM clause, version included)."""

    spark: str
    trino: str
    trino_setup: str = ""
    """Comment lines to put before a Trino query (registering a path-based table)."""


def _iceberg_table(ref: TableRef, n: int) -> _SqlTable:
    parts = ref.identifier.split(".")
    return _SqlTable(
        spark=f"{_spark_name([ref.source, *parts])} VERSION AS OF {n}",
        trino=f"{_trino_name(ref.source, parts)} FOR VERSION AS OF {n}",
    )


def _delta_table(ref: TableRef, location: str, n: int) -> _SqlTable:
    parts = ref.identifier.split(".")
    schema = ".".join(parts[:-1]) or "default"
    return _SqlTable(
        spark=f"delta.{_spark_quote(location)} VERSION AS OF {n}",
        trino=f"{_trino_name(ref.source, [schema, parts[-1]])} FOR VERSION AS OF {n}",
        trino_setup=(
            f"-- register the table first: CALL {ansi_quote(ref.source)}.system.register_table("
            f"schema_name => {ansi_string(schema)}, table_name => {ansi_string(parts[-1])}, "
            f"table_location => {ansi_string(location)})\n"
        ),
    )


def _sql_reads(table: _SqlTable) -> dict[str, str]:
    return {
        "spark_sql": f"SELECT * FROM {table.spark}",
        "trino_sql": f"{table.trino_setup}SELECT * FROM {table.trino}",
    }


def _sql_counts(table: _SqlTable, predicate: Predicate) -> dict[str, str]:
    spark_where = to_sql(predicate, _spark_quote, _spark_string)
    trino_where = to_sql(predicate, ansi_quote, ansi_string)
    return {
        "spark_sql": f"SELECT COUNT(*) FROM {table.spark} WHERE {spark_where}",
        "trino_sql": f"{table.trino_setup}SELECT COUNT(*) FROM {table.trino} WHERE {trino_where}",
    }


def iceberg_recipes(
    ref: TableRef, location: str, n: int, storage: Mapping[str, str], fields: Sequence[Field]
) -> dict[str, str]:
    """Reading Iceberg snapshot ``n`` from its metadata file ``location``."""
    where = json.dumps(location)
    properties = _options_argument("properties", storage)
    options = _options_argument("storage_options", storage)
    return {
        "polars": (
            "# set POLARS_ICEBERG_PLANNER=pyiceberg in the environment (else polars warns)\n"
            "import polars as pl\n"
            f"df = pl.scan_iceberg({where}, snapshot_id={n}{options}).collect()"
        ),
        "pyiceberg": (
            "from pyiceberg.table import StaticTable\n"
            f"table = StaticTable.from_metadata({where}{properties})"
            f".scan(snapshot_id={n}).to_arrow()"
        ),
        **_sql_reads(_iceberg_table(ref, n)),
    }


def iceberg_count_recipes(
    ref: TableRef, location: str, n: int, predicate: Predicate
) -> dict[str, str]:
    """Spark SQL and Trino queries counting the rows of Iceberg snapshot ``n`` that match.

    >>> from temporal_lineage.predicate import Column, Comparison, Op
    >>> recipes = iceberg_count_recipes(TableRef("lake", "raw.events"), "/m.json", 123,
    ...                                 Comparison(Column("customer_id"), Op.EQ, 42))
    >>> print(recipes["spark_sql"])
    SELECT COUNT(*) FROM `lake`.`raw`.`events` VERSION AS OF 123 WHERE `customer_id` = 42
    >>> print(recipes["trino_sql"])
    SELECT COUNT(*) FROM "lake"."raw"."events" FOR VERSION AS OF 123 WHERE "customer_id" = 42
    """
    return _sql_counts(_iceberg_table(ref, n), predicate)


def delta_recipes(
    ref: TableRef, location: str, n: int, storage: Mapping[str, str], fields: Sequence[Field]
) -> dict[str, str]:
    """Reading Delta version ``n`` of the table at ``location``; a column-mapped table
    (fields with physical names) through deltalake's QueryBuilder."""
    where = json.dumps(location)
    options = _options_argument("storage_options", storage)
    query_builder = (
        "import pyarrow as pa\n"
        "from deltalake import DeltaTable, QueryBuilder\n"
        f"dt = DeltaTable({where}, version={n}{options})\n"
        'table = pa.table(QueryBuilder().register("t", dt).execute("select * from t"))'
    )
    if any(f.physical_name for f in fields):
        polars = (
            "# polars refuses column-mapped Delta tables (delta.columnMapping.mode):\n"
            "# read through deltalake's QueryBuilder, which maps physical column names\n"
            f"import polars as pl\n{query_builder}\ndf = pl.from_arrow(table)"
        )
    else:
        polars = f"import polars as pl\ndf = pl.read_delta({where}, version={n}{options})"
    return {
        "polars": polars,
        "deltalake": (
            "# QueryBuilder, not to_pyarrow_table(): that returns all-null columns for\n"
            f"# column-mapped tables\n{query_builder}"
        ),
        **_sql_reads(_delta_table(ref, location, n)),
    }


def delta_count_recipes(
    ref: TableRef, location: str, n: int, predicate: Predicate
) -> dict[str, str]:
    """Spark SQL and Trino queries counting the rows of Delta version ``n`` that match.

    >>> from temporal_lineage.predicate import Column, InList
    >>> recipes = delta_count_recipes(TableRef("dl", "users"), "/w/u", 3,
    ...                               InList(Column("mail"), ("o'hara@x.eu",)))
    >>> print(recipes["spark_sql"])
    SELECT COUNT(*) FROM delta.`/w/u` VERSION AS OF 3 WHERE `mail` IN ('o\\'hara@x.eu')
    >>> print(recipes["trino_sql"].splitlines()[1])
    SELECT COUNT(*) FROM "dl"."default"."users" FOR VERSION AS OF 3 WHERE "mail" IN ('o''hara@x.eu')
    """
    return _sql_counts(_delta_table(ref, location, n), predicate)


def _options_argument(name: str, options: Mapping[str, str]) -> str:
    """``, name={"KEY": "..."}`` with placeholders for the values (credentials stay out)."""
    if not options:
        return ""
    return f", {name}={{" + ", ".join(f'{json.dumps(k)}: "..."' for k in sorted(options)) + "}"


def _spark_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _spark_name(parts: Sequence[str]) -> str:
    """``lake.raw.events`` as Spark names it (catalog, namespace levels, table).

    >>> _spark_name(["lake", "raw", "events"])
    '`lake`.`raw`.`events`'
    """
    return ".".join(_spark_quote(part) for part in parts)


def _trino_name(catalog: str, parts: Sequence[str]) -> str:
    """Catalog, schema (nested namespaces joined with dots, as Trino spells them), table.

    >>> _trino_name("lake", ["raw", "events"])
    '"lake"."raw"."events"'
    """
    schema = ".".join(parts[:-1])
    names = [catalog, schema, parts[-1]] if schema else [catalog, parts[-1]]
    return ".".join(ansi_quote(name) for name in names)


def _spark_string(text: str) -> str:
    """A Spark SQL string literal: backslash escapes (``''`` would end it and start another).

    >>> print(_spark_string("it's a \\\\ path"))
    'it\\'s a \\\\ path'
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
