"""Initial sync of a Delta table with a long commit history, against a plain-json floor.

Every commit is real: ``deltalake.write_deltalake(..., mode="append")`` once per commit,
each tagged with a run id (``CommitProperties``), and one commit half-way evolves the
schema (``schema_mode="merge"``). Building 1,000 commits takes a while, so the table is
cached under ``bench/.cache/`` keyed by ``VERSION``, the commit count and the deltalake
version; the sync only reads it.

Floor: read every ``_delta_log/*.json`` file and ``json.loads`` every line of it.
Measure: ``sync(store, settings)`` of the root into a fresh SQLite store.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import measure

VERSION = "v1"
"""Bump when the way the table is built changes (invalidates the cache)."""
TABLE = "events"
RUN_ID_KEY = "lineage.run-id"
COMPLETE = "complete.json"


@dataclass(frozen=True)
class DeltaHistory:
    """A root holding one Delta table with ``commits`` commits (versions 0 .. commits-1)."""

    root: Path
    table_dir: Path
    commits: int
    built_now: bool

    @property
    def log_dir(self) -> Path:
        """The table's ``_delta_log``."""
        return self.table_dir / "_delta_log"

    def log_bytes(self) -> int:
        """Total size of the JSON commit files."""
        return sum(p.stat().st_size for p in self.log_dir.glob("*.json"))


def cache_key(commits: int) -> str:
    """The cache folder name of a table with ``commits`` commits."""
    import deltalake

    return f"delta-{commits}-{VERSION}-deltalake{deltalake.__version__}"


def _batch(version: int, wide: bool) -> Any:
    import pyarrow as pa

    rows = 3
    columns: dict[str, Any] = {
        "event_id": pa.array(range(version * rows, version * rows + rows), pa.int64()),
        "kind": pa.array(["click", "view", "click"], pa.string()),
        "at": pa.array([1_700_000_000_000_000 + version] * rows, pa.timestamp("us", tz="UTC")),
    }
    if wide:
        columns["score"] = pa.array([0.5, 1.5, 2.5], pa.float64())
    return pa.table(columns)


def _write(table_dir: Path, commits: int) -> None:
    from deltalake import CommitProperties, write_deltalake

    evolve_at = commits // 2
    for version in range(commits):
        write_deltalake(
            str(table_dir),
            _batch(version, wide=version >= evolve_at > 0),
            mode="append",
            schema_mode="merge" if version == evolve_at > 0 else None,
            commit_properties=CommitProperties(custom_metadata={RUN_ID_KEY: f"run-{version:06d}"}),
        )


def ensure(commits: int, cache_dir: Path | None = None) -> DeltaHistory:
    """The cached table with ``commits`` commits, built first when the cache lacks it."""
    folder = (cache_dir or measure.CACHE_DIR) / cache_key(commits)
    root = folder / "root"
    table_dir = root / TABLE
    built_now = False
    if not (folder / COMPLETE).is_file():
        shutil.rmtree(folder, ignore_errors=True)
        table_dir.mkdir(parents=True)
        _write(table_dir, commits)
        (folder / COMPLETE).write_text(json.dumps({"commits": commits}), encoding="utf-8")
        built_now = True
    history = DeltaHistory(root, table_dir, commits, built_now)
    found = len(list(history.log_dir.glob("*.json")))
    if found != commits:
        raise RuntimeError(f"{history.log_dir}: {found} commit files, expected {commits}")
    return history


def floor(log_dir: Path) -> int:
    """The json floor: parse every line of every JSON log file; returns the action count."""
    actions = 0
    for path in sorted(log_dir.glob("*.json")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                json.loads(line)
                actions += 1
    return actions


def config(history: DeltaHistory, folder: Path) -> Path:
    """A ``lineage.yaml`` with the history's root as the only source."""
    return measure.write_config(
        folder,
        [{"name": "dl", "format": "delta", "root": str(history.root)}],
        measure.sqlite_url(folder / "lineage.db"),
    )


def run(workdir: Path, commits: int, repeats: int, cache_dir: Path | None = None) -> dict[str, Any]:
    """Build (or reuse), then time the floor and the initial sync (best of ``repeats``)."""
    history, build_seconds = measure.time_call(lambda: ensure(commits, cache_dir))
    cfg = config(history, workdir / "config")
    stores = measure.FreshStores(workdir / "stores", cfg)
    (workdir / "stores").mkdir(parents=True, exist_ok=True)
    timings = measure.interleaved(
        repeats,
        {
            "floor": measure.Case(floor, lambda: history.log_dir),
            "sync": measure.Case(stores.run, stores.setup, stores.teardown),
        },
    )
    floor_timing, sync_timing = timings["floor"], timings["sync"]
    for report in stores.reports:
        measure.check_report(report, tables=1, new_snapshots=commits)
    return {
        "commits": commits,
        "log_json_bytes": history.log_bytes(),
        "checkpoints": len(list(history.log_dir.glob("*.checkpoint*"))),
        "cached": not history.built_now,
        "build_s": round(build_seconds, 3),
        "floor": floor_timing.as_json(),
        "sync": sync_timing.as_json(),
        "open_store": measure.Timing(tuple(stores.open_seconds)).as_json(),
        "ratio": round(measure.ratio(sync_timing.best, floor_timing.best), 3),
        "new_schema_versions": stores.reports[-1].new_schema_versions,
        "config": str(cfg),
        "root": str(history.root),
    }
