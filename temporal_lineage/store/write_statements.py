"""The driver SQL of the writes a sync repeats for every table, built once per dialect.

Built with SQLAlchemy's expression language at every table, these statements cost more
than the database's own work for a small table (``bench/warehouse_sync.py``); they run
through ``bulk.Driver`` with driver-ready values.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from temporal_lineage.store import bulk
from temporal_lineage.store import tables as t

FIELD_COLUMNS = (
    "schema_version_pk",
    "position",
    "field_id",
    "path",
    "type",
    "nullable",
    "doc",
    "physical_name",
    "recorded_at",
)


@dataclass(frozen=True)
class Statements:
    """The driver SQL of the per-table writes, for one dialect."""

    insert_table: str
    insert_new_table: str
    insert_incarnation: str
    insert_version: str
    insert_schema_head: str
    finish_table: str


@functools.cache
def statements(dialect: str) -> Statements:
    """The statements for ``dialect`` (``sqlite`` or ``postgresql``)."""
    mark = bulk.placeholder(dialect)
    insert_sql = functools.partial(bulk.insert_sql, dialect)
    table_columns = ("source_id", "identifier", "format", "location", "recorded_at")
    key = ("source_id", "identifier")
    return Statements(
        insert_table=insert_sql(t.tables, table_columns, returning=("id",)),
        insert_new_table=insert_sql(t.tables, table_columns, conflict=key, returning=("id",)),
        insert_incarnation=insert_sql(
            t.incarnations,
            ("table_id", "uuid", "location", "format_version", "recorded_at"),
            returning=("id",),
        ),
        insert_version=insert_sql(
            t.schema_versions,
            ("incarnation_id", "schema_id", "fingerprint", "recorded_at"),
            returning=("id",),
        ),
        insert_schema_head=insert_sql(
            t.schema_heads,
            (
                "table_id",
                "incarnation_id",
                "schema_version_pk",
                "effective_at",
                "dated_by",
                "snapshot_id",
                "recorded_at",
            ),
        ),
        finish_table=(
            f'UPDATE "tables" SET "cursor" = {mark}, "location" = {mark}, '
            f'"current_incarnation_id" = {mark}, "dropped_at" = NULL WHERE "id" = {mark}'
        ),
    )
