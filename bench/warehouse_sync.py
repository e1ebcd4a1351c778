"""Initial sync of a mixed warehouse, against the plain-json floor of the metadata it reads.

The warehouse (cached under ``bench/.cache/``, keyed by ``VERSION``, the sizes and the
library versions):

* ``lake``: ``SMALL_TABLES`` real Iceberg tables in one pyiceberg SQL catalog on SQLite,
  ``SMALL_APPENDS`` appends each;
* ``ice``: one Iceberg table of ``SNAPSHOTS`` snapshots, built by ``iceberg_history.build``;
* ``dl``: one Delta table of ``COMMITS`` real commits, built by ``delta_history.ensure``.

Measured, samples alternated with the floor, best of N:

* in process: ``sync()`` into a fresh store (SQLite; PostgreSQL too when a server is given);
  creating and migrating the store happens outside the clock and is timed apart;
* as a CLI minus start-up: the wall time of ``temporal-lineage sync`` on the warehouse minus
  that of the same command on a config without sources (each on a fresh store file, so the
  store's creation is in both and cancels);
* the 10k-snapshot table alone, in process, against its own floor.

Floor: read and ``json.loads`` every metadata file the sync reads (each Iceberg table's
current file and the older files its ``metadata-log`` names; every line of the Delta log).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import delta_history
import iceberg_history
import measure

VERSION = "v1"
"""Bump when the way the warehouse is built changes (invalidates the cache)."""
SMALL_TABLES = 300
SMALL_APPENDS = 3
SNAPSHOTS = 10_000
COMMITS = 1_000
NAMESPACE = "small"
COMPLETE = "complete.json"
WAREHOUSE_TARGET = 3.0
BIG_TABLE_TARGET = 2.0


@dataclass(frozen=True)
class Warehouse:
    """The folders of one cached warehouse."""

    folder: Path
    small_tables: int
    snapshots: int
    commits: int
    delta: delta_history.DeltaHistory
    built_now: bool

    @property
    def catalog_db(self) -> Path:
        """The SQL catalog of the small tables."""
        return self.folder / "catalog" / "catalog.db"

    @property
    def warehouse_uri(self) -> str:
        """The SQL catalog's warehouse folder."""
        return f"file://{(self.folder / 'catalog' / 'warehouse').resolve()}"

    @property
    def big_root(self) -> Path:
        """The Hadoop-layout root of the 10k-snapshot table."""
        return self.folder / "big" / "iceberg-root"

    @property
    def big_metadata_dir(self) -> Path:
        """The metadata folder of the 10k-snapshot table."""
        return self.big_root / iceberg_history.TABLE / "metadata"

    def sources(self) -> list[dict[str, Any]]:
        """The three sources, in ``lineage.yaml`` form."""
        return [
            {
                "name": "lake",
                "format": "iceberg",
                "catalog": {
                    "type": "sql",
                    "uri": measure.sqlite_url(self.catalog_db),
                    "warehouse": self.warehouse_uri,
                },
            },
            {"name": "ice", "format": "iceberg", "root": str(self.big_root)},
            {"name": "dl", "format": "delta", "root": str(self.delta.root)},
        ]

    @property
    def table_count(self) -> int:
        """Tables the sources list together."""
        return self.small_tables + 2

    @property
    def snapshot_count(self) -> int:
        """Snapshots (and Delta versions) an initial sync records."""
        return self.small_tables * SMALL_APPENDS + self.snapshots + self.commits


def cache_key(small_tables: int, snapshots: int) -> str:
    """The cache folder name of a warehouse of these sizes (the Delta table has its own)."""
    import pyiceberg

    sizes = f"{small_tables}x{SMALL_APPENDS}-{snapshots}"
    return f"warehouse-{sizes}-{VERSION}-pyiceberg{pyiceberg.__version__}"


def _small_tables(folder: Path, count: int) -> None:
    import pyarrow as pa
    from pyiceberg.catalog.sql import SqlCatalog

    (folder / "catalog").mkdir(parents=True, exist_ok=True)
    catalog = SqlCatalog(
        "lake",
        uri=measure.sqlite_url(folder / "catalog" / "catalog.db"),
        warehouse=f"file://{(folder / 'catalog' / 'warehouse').resolve()}",
    )
    try:
        catalog.create_namespace(NAMESPACE)
        for index in range(count):
            batch = pa.table(
                {
                    "id": pa.array([index, index + 1], pa.int64()),
                    "name": pa.array(["a", "b"], pa.string()),
                }
            )
            table = catalog.create_table(f"{NAMESPACE}.tbl_{index:04d}", schema=batch.schema)
            for append in range(SMALL_APPENDS):
                table.append(
                    batch,
                    snapshot_properties={iceberg_history.RUN_ID_KEY: f"run-{index}-{append}"},
                )
    finally:
        catalog.engine.dispose()


def ensure(
    cache_dir: Path | None = None,
    *,
    small_tables: int = SMALL_TABLES,
    snapshots: int = SNAPSHOTS,
    commits: int = COMMITS,
) -> Warehouse:
    """The cached warehouse of these sizes, built first when the cache lacks it."""
    cache = cache_dir or measure.CACHE_DIR
    folder = cache / cache_key(small_tables, snapshots)
    built_now = False
    if not (folder / COMPLETE).is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _small_tables(folder, small_tables)
        iceberg_history.build(folder / "big", snapshots)
        (folder / COMPLETE).write_text(json.dumps({"small_tables": small_tables}), "utf-8")
        built_now = True
    delta = delta_history.ensure(commits, cache)
    return Warehouse(folder, small_tables, snapshots, commits, delta, built_now or delta.built_now)


# -- floor ---------------------------------------------------------------------------------


def iceberg_files(current: Path) -> list[Path]:
    """A table's current metadata file and the older ones its ``metadata-log`` names."""
    metadata = json.loads(current.read_bytes())
    older = [
        current.parent / Path(str(e["metadata-file"]).removeprefix("file://")).name
        for e in metadata.get("metadata-log") or []
    ]
    return [current, *(p for p in older if p.is_file())]


def metadata_files(warehouse: Warehouse) -> list[Path]:
    """Every Iceberg metadata file the initial sync reads."""
    with sqlite3.connect(warehouse.catalog_db) as conn:
        rows = conn.execute("SELECT metadata_location FROM iceberg_tables").fetchall()
    currents = [Path(str(r[0]).removeprefix("file://")) for r in rows]
    hint = (warehouse.big_metadata_dir / "version-hint.text").read_text().strip()
    currents.append(warehouse.big_metadata_dir / f"v{hint}.metadata.json")
    return [p for current in currents for p in iceberg_files(current)]


def big_files(warehouse: Warehouse) -> list[Path]:
    """The metadata files the sync of the 10k-snapshot table alone reads."""
    hint = (warehouse.big_metadata_dir / "version-hint.text").read_text().strip()
    return iceberg_files(warehouse.big_metadata_dir / f"v{hint}.metadata.json")


def floor_files(files: list[Path]) -> int:
    """Read and parse every file; returns how many."""
    for path in files:
        json.loads(path.read_bytes())
    return len(files)


def floor(files: list[Path], log_dir: Path | None) -> int:
    """The json floor of a sync: the Iceberg files, then every Delta log line."""
    parsed = floor_files(files)
    return parsed + (delta_history.floor(log_dir) if log_dir is not None else 0)


# -- in-process sync ---------------------------------------------------------------------


class Stores:
    """Setup / run / teardown of one sample: a fresh store, created outside the clock.

    ``synchronous`` (SQLite only) overrides the store's ``PRAGMA synchronous`` for the
    sample, to compare the settings; None keeps the product's.
    """

    def __init__(
        self,
        folder: Path,
        config: Path,
        *,
        pg_url: str | None = None,
        source: str | None = None,
        synchronous: str | None = None,
    ) -> None:
        from temporal_lineage.config import load_settings

        self.folder = folder
        self.settings = load_settings(config)
        self.pg_url = pg_url
        self.source = source
        self.synchronous = synchronous
        self.open_seconds: list[float] = []
        self.reports: list[Any] = []
        self._count = 0

    def setup(self) -> tuple[Any, Callable[[], None]]:
        from temporal_lineage.store import open_store

        self._count += 1
        if self.pg_url is None:
            db_path = self.folder / f"fresh-{self._count}.db"
            measure.remove_sqlite(db_path)
            store, seconds = measure.time_call(lambda: open_store(measure.sqlite_url(db_path)))
            if self.synchronous is not None:
                _override_synchronous(store, self.synchronous)

            def drop() -> None:
                store.close()
                measure.remove_sqlite(db_path)

            self.open_seconds.append(seconds)
            return store, drop
        import synthetic_store

        database = synthetic_store.pg_database(self.pg_url, "sync_writes")
        url = database.__enter__()
        store, seconds = measure.time_call(lambda: open_store(url))
        self.open_seconds.append(seconds)

        def drop_pg() -> None:
            store.close()
            database.__exit__(None, None, None)

        return store, drop_pg

    def run(self, state: tuple[Any, Callable[[], None]]) -> None:
        from temporal_lineage.sync import sync

        self.reports.append(sync(state[0], self.settings, source=self.source))

    def teardown(self, state: tuple[Any, Callable[[], None]]) -> None:
        state[1]()


def _override_synchronous(store: Any, mode: str) -> None:
    """Every later connection of ``store`` uses ``PRAGMA synchronous=mode``."""
    from sqlalchemy import event

    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA synchronous={mode}")
        cursor.close()

    event.listen(store.engine, "connect", connect)
    store.engine.dispose()  # the migration's pooled connections had the product's setting


def cli_command(config: Path) -> list[str]:
    """``temporal-lineage sync --config CONFIG --format json`` (the venv's console script)."""
    script = Path(sys.executable).with_name("temporal-lineage")
    prefix = [str(script)] if script.is_file() else [sys.executable, "-m", "temporal_lineage"]
    return [*prefix, "sync", "--config", str(config), "--format", "json"]


def _cli_case(config: Path, db_path: Path, cwd: Path) -> measure.Case:
    def setup() -> None:
        measure.remove_sqlite(db_path)

    def run(_: object) -> None:
        done = subprocess.run(cli_command(config), capture_output=True, text=True, cwd=cwd)
        if done.returncode != 0:
            raise RuntimeError(f"CLI sync exited {done.returncode}: {done.stderr[-2000:]}")

    return measure.Case(run, setup, lambda _: measure.remove_sqlite(db_path))


def _check(reports: list[Any], tables: int, snapshots: int) -> None:
    for report in reports:
        measure.check_report(report, tables=tables, new_snapshots=snapshots)


def run(
    workdir: Path,
    repeats: int,
    cache_dir: Path | None = None,
    pg_url: str | None = None,
    *,
    small_tables: int = SMALL_TABLES,
    snapshots: int = SNAPSHOTS,
    commits: int = COMMITS,
    cli_repeats: int | None = None,
    synchronous: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build (or reuse) the warehouse, then time the floors and the initial syncs.

    Args:
        synchronous: SQLite ``synchronous`` settings to compare (e.g. FULL, NORMAL, OFF),
            each timed in process like the product's own.
    """
    warehouse, build_seconds = measure.time_call(
        lambda: ensure(cache_dir, small_tables=small_tables, snapshots=snapshots, commits=commits)
    )
    workdir.mkdir(parents=True, exist_ok=True)
    files = metadata_files(warehouse)
    big = big_files(warehouse)
    stores_dir = workdir / "stores"
    stores_dir.mkdir(parents=True, exist_ok=True)
    db = workdir / "config" / "lineage.db"
    cfg = measure.write_config(workdir / "config", warehouse.sources(), measure.sqlite_url(db))
    empty_db = workdir / "empty" / "lineage.db"
    empty = measure.write_config(workdir / "empty", [], measure.sqlite_url(empty_db))
    whole = Stores(stores_dir, cfg)
    alone = Stores(stores_dir, cfg, source="ice")
    cases = {
        "floor": measure.Case(lambda _: floor(files, warehouse.delta.log_dir)),
        "sync": measure.Case(whole.run, whole.setup, whole.teardown),
        "big_floor": measure.Case(lambda _: floor_files(big)),
        "big_sync": measure.Case(alone.run, alone.setup, alone.teardown),
    }
    variants = {mode: Stores(stores_dir, cfg, synchronous=mode) for mode in synchronous}
    for mode, stores in variants.items():
        cases[f"sync_{mode.lower()}"] = measure.Case(stores.run, stores.setup, stores.teardown)
    timings = measure.interleaved(repeats, cases)
    _check(whole.reports, warehouse.table_count, warehouse.snapshot_count)
    _check(alone.reports, 1, snapshots)
    clis = measure.interleaved(
        cli_repeats or repeats,
        {
            "cli_floor": measure.Case(lambda _: floor(files, warehouse.delta.log_dir)),
            "cli": _cli_case(cfg, db, workdir),
            "cli_empty": _cli_case(empty, empty_db, workdir),
        },
    )
    floor_best, sync_best = timings["floor"].best, timings["sync"].best
    cli_net = clis["cli"].best - clis["cli_empty"].best
    result: dict[str, Any] = {
        "tables": warehouse.table_count,
        "snapshots": warehouse.snapshot_count,
        "metadata_files": len(files),
        "cached": not warehouse.built_now,
        "build_s": round(build_seconds, 3),
        "floor": timings["floor"].as_json(),
        "sync": timings["sync"].as_json(),
        "open_store": measure.Timing(tuple(whole.open_seconds)).as_json(),
        "ratio": round(measure.ratio(sync_best, floor_best), 3),
        "per_table_ms": round(sync_best * 1000 / warehouse.table_count, 3),
        "big_floor": timings["big_floor"].as_json(),
        "big_sync": timings["big_sync"].as_json(),
        "big_ratio": round(measure.ratio(timings["big_sync"].best, timings["big_floor"].best), 3),
        "cli": clis["cli"].as_json(),
        "cli_empty": clis["cli_empty"].as_json(),
        "cli_floor": clis["cli_floor"].as_json(),
        "cli_net_ms": round(cli_net * 1000, 3),
        "cli_ratio": round(measure.ratio(cli_net, clis["cli_floor"].best), 3),
        "config": str(cfg),
    }
    if variants:
        result["synchronous"] = {
            mode: {
                **timings[f"sync_{mode.lower()}"].as_json(),
                "ratio": round(measure.ratio(timings[f"sync_{mode.lower()}"].best, floor_best), 3),
            }
            for mode in variants
        }
    if pg_url is not None:
        result["postgresql"] = _postgres(warehouse, files, cfg, stores_dir, repeats, pg_url)
    return result


def _postgres(
    warehouse: Warehouse, files: list[Path], cfg: Path, folder: Path, repeats: int, pg_url: str
) -> dict[str, Any]:
    whole = Stores(folder, cfg, pg_url=pg_url)
    alone = Stores(folder, cfg, pg_url=pg_url, source="ice")
    big = big_files(warehouse)
    timings = measure.interleaved(
        repeats,
        {
            "floor": measure.Case(lambda _: floor(files, warehouse.delta.log_dir)),
            "sync": measure.Case(whole.run, whole.setup, whole.teardown),
            "big_floor": measure.Case(lambda _: floor_files(big)),
            "big_sync": measure.Case(alone.run, alone.setup, alone.teardown),
        },
    )
    _check(whole.reports, warehouse.table_count, warehouse.snapshot_count)
    _check(alone.reports, 1, warehouse.snapshots)
    return {
        "floor": timings["floor"].as_json(),
        "sync": timings["sync"].as_json(),
        "open_store": measure.Timing(tuple(whole.open_seconds)).as_json(),
        "ratio": round(measure.ratio(timings["sync"].best, timings["floor"].best), 3),
        "big_floor": timings["big_floor"].as_json(),
        "big_sync": timings["big_sync"].as_json(),
        "big_ratio": round(measure.ratio(timings["big_sync"].best, timings["big_floor"].best), 3),
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's limits: the warehouse <= 3x its floor (in process, CLI minus start-up),
    the 10k-snapshot table <= 2x its own."""
    rows = [
        {
            "name": "warehouse_sync_in_process",
            "value": result["ratio"],
            "target": WAREHOUSE_TARGET,
            "unit": "x floor",
            "what": "initial sync of the warehouse in process / json floor (SQLite)",
        },
        {
            "name": "warehouse_sync_cli",
            "value": result["cli_ratio"],
            "target": WAREHOUSE_TARGET,
            "unit": "x floor",
            "what": "CLI sync minus CLI start-up (no sources) / json floor (SQLite)",
        },
        {
            "name": "big_table_sync",
            "value": result["big_ratio"],
            "target": BIG_TABLE_TARGET,
            "unit": "x floor",
            "what": "initial sync of the 10k-snapshot table alone / its json floor (SQLite)",
        },
    ]
    pg = result.get("postgresql")
    if pg is not None:
        rows += [
            {
                "name": "warehouse_sync_postgresql",
                "value": pg["ratio"],
                "target": WAREHOUSE_TARGET,
                "unit": "x floor",
                "what": "initial sync of the warehouse in process / json floor (PostgreSQL)",
            },
            {
                "name": "big_table_sync_postgresql",
                "value": pg["big_ratio"],
                "target": BIG_TABLE_TARGET,
                "unit": "x floor",
                "what": "the 10k-snapshot table alone / its json floor (PostgreSQL)",
            },
        ]
    return rows


def main() -> None:
    """Run alone: ``python bench/warehouse_sync.py [--repeats N] [--postgres]``."""
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cli-repeats", type=int, default=None)
    parser.add_argument("--small-tables", type=int, default=SMALL_TABLES)
    parser.add_argument("--snapshots", type=int, default=SNAPSHOTS)
    parser.add_argument("--commits", type=int, default=COMMITS)
    parser.add_argument("--cache-dir", type=Path, default=measure.CACHE_DIR)
    parser.add_argument("--pg-url", default=None, help="also measure on this PostgreSQL server")
    parser.add_argument(
        "--synchronous", action="append", default=[], help="SQLite setting to compare (repeat)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="warehouse-sync-") as folder:
        result = run(
            Path(folder),
            args.repeats,
            args.cache_dir,
            args.pg_url,
            small_tables=args.small_tables,
            snapshots=args.snapshots,
            commits=args.commits,
            cli_repeats=args.cli_repeats,
            synchronous=tuple(args.synchronous),
        )
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))
    print("\n".join(measure.verdict_lines(targets(result))))


if __name__ == "__main__":
    main()
