"""The stored tables an ingestion's SQL names, and their schemas at event times, read once
per transaction.

Column lineage from a job's SQL needs the schema of every table the SQL reads, as of the
event's time. A file of 100,000 events names the same few hundred tables thousands of
times: reading each table row and its schema head per event was half of ingestion's time
once the tables were known (``bench/ingestion.py``, ``sqlite_known_tables``).
"""

from __future__ import annotations

import bisect
from datetime import datetime

from sqlalchemy import Connection

from temporal_lineage.model import Schema, TableRef
from temporal_lineage.store.reads import schema_of_version, schema_timeline
from temporal_lineage.store.run_reads import stored_tables


class TableSchemas:
    """Table refs and schema timelines by table id, as ``conn``'s transaction sees them.

    Keep one per transaction: a sync may store new schemas between two.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # table id -> (ref, start of each schema head, its schema version key; None: a drop)
        self._tables: dict[int, tuple[TableRef, list[datetime], list[int | None]]] = {}
        self._schemas: dict[int, Schema] = {}

    def at(self, table_id: int, moment: datetime) -> tuple[TableRef, Schema | None]:
        """The table's ref and its schema in force at ``moment`` (None: none yet, or dropped)."""
        if table_id not in self._tables:
            ref = stored_tables(self._conn, [table_id])[table_id].ref
            timeline = schema_timeline(self._conn, table_id)
            self._tables[table_id] = (ref, [s for s, _ in timeline], [v for _, v in timeline])
        ref, starts, versions = self._tables[table_id]
        index = bisect.bisect_right(starts, moment) - 1
        version = versions[index] if index >= 0 else None
        if version is None:
            return ref, None
        if version not in self._schemas:
            self._schemas[version] = schema_of_version(self._conn, version)
        return ref, self._schemas[version]
