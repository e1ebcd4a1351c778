"""Whether stored snapshots can still be read at the source (before anything is promised).

File existence checks only, no data reads: Iceberg (still in the metadata; manifest list,
manifests, data and delete files exist), Delta (commit file or covering checkpoint in the
log; data files exist). Snapshots of an older incarnation, or of a dropped table, are not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from temporal_lineage.config import Settings
from temporal_lineage.errors import ConfigError
from temporal_lineage.model import Format, StoredSnapshot, TableRef
from temporal_lineage.sources.factory import read_options
from temporal_lineage.sources.snapshot_data import SNAPSHOT_DATA
from temporal_lineage.store import Store
from temporal_lineage.times import format_time


def unreadable_at_source(
    table_format: Format,
    location: str,
    snapshot_ids: Sequence[int],
    options: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
) -> dict[int, str | None]:
    """Why each snapshot of one table can no longer be read (None: it can), by the format's
    own file checks; ``location`` is the Iceberg metadata file or the Delta root."""
    return SNAPSHOT_DATA[table_format].unreadable(location, snapshot_ids, options, progress)


def unreadable(
    store: Store,
    settings: Settings,
    ref: TableRef,
    snapshots: Sequence[StoredSnapshot],
    progress: Callable[[int], None] | None = None,
) -> dict[tuple[str, int], str | None]:
    """Why each snapshot can no longer be read at the source, by (incarnation, snapshot id);
    None for one that still can.

    Raises:
        TableNotFound: the store has never seen ``ref``.
    """
    with store.reader() as reader:
        table = reader.get_table(ref)
        current = reader.current_incarnation(table)
        cursor = reader.table_cursor(table)
    found: dict[tuple[str, int], str | None] = {}
    alive: list[int] = []
    for snap in snapshots:
        key = (snap.incarnation, snap.snapshot.snapshot_id)
        if table.dropped_at is not None:
            found[key] = f"table dropped at the source ({format_time(table.dropped_at)})"
        elif snap.incarnation != current:
            found[key] = "table re-created since: the source holds a newer incarnation"
        else:
            alive.append(snap.snapshot.snapshot_id)
            continue
        if progress is not None:
            progress(1)
    if not alive or current is None:
        return found
    try:
        options = read_options(settings.source(ref.source))
    except ConfigError:
        options = {}  # a source no longer configured: local files can still be checked
    location = SNAPSHOT_DATA[table.format].read_location(table.location, cursor)
    causes = unreadable_at_source(table.format, location, alive, options, progress)
    found.update({(current, snapshot_id): why for snapshot_id, why in causes.items()})
    return found
