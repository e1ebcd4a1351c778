"""build_warehouse: prepare the directory, play the story, write lineage.yaml and timeline.json.

The job runs' OpenLineage events are written to ``openlineage/events.ndjson`` as they happen.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from warehouse_fixtures.event_log import count_events, open_event_client
from warehouse_fixtures.iceberg_tables import close_catalog, open_catalog
from warehouse_fixtures.lineage_config import write_lineage_config
from warehouse_fixtures.pacing import CommitPacer
from warehouse_fixtures.story import Story
from warehouse_fixtures.timeline import Timeline, TimelineRecorder


class WarehouseDirectoryError(Exception):
    """The target directory cannot be used for a new warehouse."""


def prepare_directory(path: Path, force: bool) -> Path:
    """Return the absolute, empty warehouse directory (wiping it first only when forced)."""
    root = path.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise WarehouseDirectoryError(f"{root} exists and is not a directory")
    if root.is_dir() and any(root.iterdir()):
        if not force:
            raise WarehouseDirectoryError(f"{root} is not empty (use --force to wipe it)")
        if root == Path(root.anchor) or root == Path.home().resolve():
            raise WarehouseDirectoryError(f"refusing to wipe {root}")
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    root.mkdir(parents=True, exist_ok=True)
    return root


def build_warehouse(path: Path, *, force: bool = False) -> Timeline:
    """Build the warehouse at PATH with real pyiceberg / delta-rs writes and return its timeline."""
    root = prepare_directory(path, force)
    recorder = TimelineRecorder(root=root)
    catalog = open_catalog(root)
    client = open_event_client(root)
    try:
        Story(root, catalog, recorder, CommitPacer(), client).run()
    finally:
        client.close()
        close_catalog(catalog)
    expected = 2 * len(recorder.runs)
    if count_events(root) != expected:
        raise RuntimeError(
            f"the events file holds {count_events(root)} events, expected {expected} "
            "(is OPENLINEAGE_DISABLED set?)"
        )
    write_lineage_config(root)
    timeline = recorder.freeze()
    timeline.write()
    return timeline
