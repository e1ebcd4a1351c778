"""The synthetic store as a SQLite file, cached in ``bench/.cache/``."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import measure

from .layout import encode
from .load import Generated, Log, load, migrate
from .plan import SEED, Plan, make_plan, table_count
from .rows import Rows

VERSION = "v2"
"""Bump when the way the store is generated changes (invalidates the cached SQLite file)."""


def cache_key(scale: float, seed: int = SEED) -> str:
    """The cached SQLite file's name for this scale."""
    from temporal_lineage.store.database import HEAD_REVISION

    return f"synthetic-{table_count(scale)}t-{VERSION}-seed{seed}-schema{HEAD_REVISION}.db"


def _chunks(rows: Iterable[tuple[Any, ...]], size: int = 20_000) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def insert_rows(connection: sqlite3.Connection, rows: Rows) -> int:
    """Insert one table's rows (in the caller's transaction); how many there were."""
    encoded = encode(rows.table, rows.rows(), "sqlite")
    if encoded is None:
        return 0
    names = ", ".join(f'"{name}"' for name in encoded.columns)
    marks = ", ".join("?" for _ in encoded.columns)
    sql = f'INSERT INTO "{encoded.table}" ({names}) VALUES ({marks})'
    count = 0
    for chunk in _chunks(encoded.rows):
        connection.executemany(sql, chunk)
        count += len(chunk)
    return count


def _write(path: Path, plan: Plan, log: Log) -> dict[str, Any]:
    seconds = {"migrate": migrate(measure.sqlite_url(path))}
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A fresh file nobody reads yet: no journal while loading, then back to WAL.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1048576")
        connection.execute("PRAGMA temp_store=MEMORY")

        def write(rows: Rows) -> int:
            connection.execute("BEGIN")
            count = insert_rows(connection, rows)
            connection.execute("COMMIT")
            return count

        counts, table_seconds = load(plan, write, log)
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return {"rows": counts, "seconds": seconds | table_seconds}


def ensure_sqlite(
    scale: float,
    cache_dir: Path | None = None,
    seed: int = SEED,
    log: Log = lambda _: None,
) -> Generated:
    """The cached SQLite store at ``scale``, generated first when the cache lacks it."""
    folder = cache_dir or measure.CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / cache_key(scale, seed)).resolve()
    meta = path.with_suffix(".json")
    plan_started = time.perf_counter()
    plan = make_plan(scale, seed)
    plan_seconds = time.perf_counter() - plan_started
    if path.is_file() and meta.is_file():
        done = json.loads(meta.read_text(encoding="utf-8"))
        return Generated(measure.sqlite_url(path), plan, done["rows"], done["seconds"], True, path)
    building = path.with_name(path.name + ".building")
    measure.remove_sqlite(building)
    started = time.perf_counter()
    written = _write(building, plan, log)
    written["seconds"]["plan"] = plan_seconds
    written["seconds"]["total"] = time.perf_counter() - started + plan_seconds
    measure.remove_sqlite(path)
    building.rename(path)
    measure.remove_sqlite(building)
    meta.write_text(json.dumps(written), encoding="utf-8")
    for stale in folder.glob(f"synthetic-{table_count(scale)}t-*.db"):
        if stale.resolve() != path:  # an older version of this size: gigabytes at scale 1
            measure.remove_sqlite(stale)
            stale.with_suffix(".json").unlink(missing_ok=True)
    return Generated(
        measure.sqlite_url(path), plan, written["rows"], written["seconds"], False, path
    )
