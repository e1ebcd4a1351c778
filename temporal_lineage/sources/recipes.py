"""Snippets a user can paste to read one pinned snapshot, per format and reader.

polars, the format's own library (pyiceberg / deltalake), Spark SQL and Trino SQL. Python
snippets leave a polars frame in ``df`` or a pyarrow table in ``table``; storage option
values are never written out (placeholders name the keys).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from temporal_lineage.model import Field, TableRef


def iceberg_recipes(
    ref: TableRef, location: str, n: int, storage: Mapping[str, str], fields: Sequence[Field]
) -> dict[str, str]:
    """Reading Iceberg snapshot ``n`` from its metadata file ``location``."""
    parts = ref.identifier.split(".")
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
        "spark_sql": f"SELECT * FROM {_spark_name([ref.source, *parts])} VERSION AS OF {n}",
        "trino_sql": f"SELECT * FROM {_trino_name(ref.source, parts)} FOR VERSION AS OF {n}",
    }


def delta_recipes(
    ref: TableRef, location: str, n: int, storage: Mapping[str, str], fields: Sequence[Field]
) -> dict[str, str]:
    """Reading Delta version ``n`` of the table at ``location``; a column-mapped table
    (fields with physical names) through deltalake's QueryBuilder."""
    parts = ref.identifier.split(".")
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
    schema = ".".join(parts[:-1]) or "default"
    trino_table = _trino_name(ref.source, [schema, parts[-1]])
    return {
        "polars": polars,
        "deltalake": (
            "# QueryBuilder, not to_pyarrow_table(): that returns all-null columns for\n"
            f"# column-mapped tables\n{query_builder}"
        ),
        "spark_sql": f"SELECT * FROM delta.{_spark_quote(location)} VERSION AS OF {n}",
        "trino_sql": (
            f"-- register the table first: CALL {_trino_quote(ref.source)}.system.register_table("
            f"schema_name => {_sql_string(schema)}, table_name => {_sql_string(parts[-1])}, "
            f"table_location => {_sql_string(location)})\n"
            f"SELECT * FROM {trino_table} FOR VERSION AS OF {n}"
        ),
    }


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


def _trino_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _trino_name(catalog: str, parts: Sequence[str]) -> str:
    """Catalog, schema (nested namespaces joined with dots, as Trino spells them), table.

    >>> _trino_name("lake", ["raw", "events"])
    '"lake"."raw"."events"'
    """
    schema = ".".join(parts[:-1])
    names = [catalog, schema, parts[-1]] if schema else [catalog, parts[-1]]
    return ".".join(_trino_quote(name) for name in names)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
