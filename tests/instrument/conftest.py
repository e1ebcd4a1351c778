"""A real openlineage-python client whose file transport appends NDJSON to a temporary file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.transport.file import FileConfig, FileTransport


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every event of an NDJSON file, in file order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    return tmp_path / "openlineage" / "events.ndjson"


@pytest.fixture
def client(events_file: Path) -> OpenLineageClient:
    events_file.parent.mkdir(parents=True, exist_ok=True)
    config = FileConfig(log_file_path=str(events_file), append=True)
    return OpenLineageClient(transport=FileTransport(config))
