"""Reading a table's data at one snapshot, per format, as data: what reproduce, verify and
the readability check ask of a format, so that no code outside ``sources/`` branches on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from temporal_lineage.model import Field, Format, TableRef
from temporal_lineage.predicate import Predicate
from temporal_lineage.sources import delta_data, iceberg_data, recipes
from temporal_lineage.sources.iceberg_metadata import IcebergCursor

Progress = Callable[[int], None]


Options = Mapping[str, str] | None
_Read = Callable[[str, str, int, Options], pa.Table]
"""(table, location, snapshot id, storage options) -> every row."""
_Stream = Callable[[str, str, int, Options], pa.RecordBatchReader]
_Unreadable = Callable[[str, Iterable[int], Options, Progress | None], dict[int, str | None]]
Recipes = Callable[[TableRef, str, int, Mapping[str, str], Sequence[Field]], dict[str, str]]
_Count = Callable[[str, str, int, Options, Predicate], int]
"""(table, location, snapshot id, storage options, predicate) -> rows matching."""
CountRecipes = Callable[[TableRef, str, int, Predicate], dict[str, str]]
"""(table, location, snapshot id, predicate) -> ``spark_sql`` / ``trino_sql`` counting queries."""


@dataclass(frozen=True)
class SnapshotData:
    """One format's way to name, read, check and describe reading a snapshot by id.

    ``location`` is where its data is read from: Iceberg's current metadata file, Delta's
    table root (see ``read_location``).
    """

    label: Callable[[str, int], str]
    """How messages name a pinned snapshot: ``<table> snapshot <id>`` / ``version <n>``."""
    read: _Read
    """Every row at the snapshot (``DataUnavailable`` naming table, snapshot and cause)."""
    stream: _Stream
    """The rows at the snapshot as a stream (memory bounded by a batch)."""
    unreadable: _Unreadable
    """Why each snapshot can no longer be read (None: it can), by file checks only."""
    recipes: Recipes
    """Snippets a user can paste to read the snapshot (polars, the format's library, SQL)."""
    count: _Count
    """How many rows at the snapshot match a predicate, pushed down into the format library
    (``ColumnNotFound`` / ``BadPredicate`` for a predicate the snapshot's schema refuses)."""
    count_recipes: CountRecipes
    """The Spark SQL and Trino queries an engine can run to count the same rows."""
    cursor_location: Callable[[str | None], str | None]
    """Where the last sync read the table from, decoded from its stored cursor."""

    def read_location(self, location: str, cursor: str | None) -> str:
        """Where to read the table's snapshots: what the last sync read, else ``location``."""
        return self.cursor_location(cursor) or location


def _iceberg_metadata_file(cursor: str | None) -> str | None:
    decoded = IcebergCursor.decode(cursor)
    return decoded.location if decoded is not None else None


SNAPSHOT_DATA: Mapping[Format, SnapshotData] = {
    Format.ICEBERG: SnapshotData(
        label=iceberg_data.snapshot_label,
        read=iceberg_data.read_snapshot,
        stream=iceberg_data.snapshot_reader,
        unreadable=iceberg_data.unreadable_snapshots,
        recipes=recipes.iceberg_recipes,
        count=iceberg_data.count_matching,
        count_recipes=recipes.iceberg_count_recipes,
        cursor_location=_iceberg_metadata_file,
    ),
    Format.DELTA: SnapshotData(
        label=delta_data.version_label,
        read=delta_data.read_version,
        stream=delta_data.version_reader,
        unreadable=delta_data.unreadable_versions,
        recipes=recipes.delta_recipes,
        count=delta_data.count_matching,
        count_recipes=recipes.delta_count_recipes,
        cursor_location=lambda _cursor: None,  # the table root is where every version is
    ),
}
