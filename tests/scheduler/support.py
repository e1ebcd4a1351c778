"""Helpers of the scheduler tests: real Delta tables, configs, waiting on conditions."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from sqlalchemy import select

from temporal_lineage.config import Settings, load_settings
from temporal_lineage.store import Store
from temporal_lineage.store import tables as t

PATIENCE = 120.0
"""Seconds a test waits for a condition before it fails (generous: the machine is shared)."""


def delta_commits(path: Path, values: Sequence[int]) -> None:
    """Append one commit per value to the Delta table at ``path`` (created by the first)."""
    from deltalake import write_deltalake

    for value in values:
        write_deltalake(path, pa.table({"a": pa.array([value], pa.int64())}), mode="append")


def write_settings(folder: Path, store_url: str, sources: Sequence[dict[str, Any]]) -> Settings:
    """A ``lineage.yaml`` in ``folder`` with these sources, loaded."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lineage.yaml"
    path.write_text(yaml.safe_dump({"store": store_url, "sources": list(sources)}), "utf-8")
    return load_settings(path)


def wait_until(
    condition: Callable[[], bool],
    what: str,
    patience: float = PATIENCE,
    state: Callable[[], object] | None = None,
) -> None:
    """Poll ``condition`` until it holds; fail (naming ``what``) after ``patience`` seconds.

    ``state`` describes what was seen instead, for the failure message.
    """
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            seen = f" (seen: {state()})" if state is not None else ""
            raise AssertionError(f"timed out waiting for {what}{seen}")
        time.sleep(0.05)


def sync_runs(store: Store, source: str | None = None) -> list[Any]:
    """The recorded passes (of ``source``), oldest first."""
    query = select(t.sync_runs).order_by(t.sync_runs.c.started_at, t.sync_runs.c.id)
    if source is not None:
        query = query.where(t.sync_runs.c.source == source)
    with store.connect() as conn:
        return list(conn.execute(query))


def snapshot_count(store: Store) -> int:
    """Snapshots in the store."""
    with store.connect() as conn:
        return len(conn.execute(select(t.snapshots.c.id)).all())
