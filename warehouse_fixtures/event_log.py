"""The warehouse's OpenLineage event log: a real openlineage-python client appending NDJSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.transport.file import FileConfig, FileTransport

from warehouse_fixtures.timeline import EVENTS_FILE


def events_path(root: Path) -> Path:
    """Return the path of the events file of the warehouse at ROOT."""
    return root / EVENTS_FILE


def open_event_client(root: Path) -> OpenLineageClient:
    """Return a client whose file transport appends one JSON event per line, in emission order.

    The client still merges ``openlineage.yml`` and ``OPENLINEAGE__*`` settings from the
    environment (tags, environment-variable facets); ``OPENLINEAGE_DISABLED=true`` makes it
    drop every event, which ``count_events`` after the build notices.
    """
    path = events_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return OpenLineageClient(
        transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
    )


def read_events(root: Path) -> list[dict[str, Any]]:
    """Return every event of the warehouse at ROOT, in emission order."""
    text = events_path(root).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def count_events(root: Path) -> int:
    """Return how many events the events file holds."""
    with events_path(root).open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())
