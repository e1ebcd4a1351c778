"""From a provenance to the pinned tables a manifest re-reads (where each table's data is)."""

from __future__ import annotations

from temporal_lineage.config import Settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.query.provenance import Provenance
from temporal_lineage.query.reproduce import PinnedTable
from temporal_lineage.sources.factory import read_options
from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA
from temporal_lineage.store import Store


def pinned_tables(store: Store, settings: Settings, graph: Provenance) -> list[PinnedTable]:
    """Every stored table of the provenance at its snapshot, with where to read it."""
    pinned: list[PinnedTable] = []
    seen: set[tuple[str, int]] = set()
    with store.reader() as reader:
        for node in graph.nodes:
            table, snap = node.table, node.snapshot
            if table is None or snap is None:
                continue
            key = (str(table.ref), snap.snapshot.snapshot_id)
            if key in seen:
                continue
            seen.add(key)
            cursor = reader.table_cursor(table)
            location = SNAPSHOT_DATA[table.format].read_location(table.location, cursor)
            schema_id = snap.snapshot.schema_id
            schema = (
                reader.schema_by_id(table, snap.incarnation, schema_id)
                if schema_id is not None
                else None
            )
            try:
                options = read_options(settings.source(table.ref.source))
            except ConfigError:
                options = {}  # a source no longer configured: local files still read
            pinned.append(
                PinnedTable(
                    table=str(table.ref),
                    format=table.format,
                    location=location,
                    snapshot_id=snap.snapshot.snapshot_id,
                    committed_at=snap.snapshot.committed_at,
                    schema_id=schema_id,
                    fields=schema.fields if schema is not None else (),
                    storage_options=options,
                )
            )
    return pinned
