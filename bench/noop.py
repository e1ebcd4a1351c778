"""No-op re-sync of many small tables: the cost of polling when nothing changed.

Fixture (cached under ``bench/.cache/``, keyed by ``VERSION`` and the sizes):

* ``delta/tbl_NNN``: small Delta tables, two real commits each (one source, ``root``);
* ``iceberg/tbl_NNN``: small Iceberg tables made by pyiceberg (two appends each) at explicit
  locations below a root, listed by a Hadoop-layout ``root`` source (no version hint:
  the current file is the highest ``NNNNN-<uuid>.metadata.json``) and, the same tables,
  by a ``catalog`` source (pyiceberg SQL catalog on SQLite).

The store is synced once, then re-synced with nothing changed: the ``sync()`` call
(store already open) and the whole CLI process (``temporal-lineage sync --format json``,
Python start-up included) are timed and divided by the number of tables. The CLI is also
timed with a config without sources and with the same three sources over one table each
(a cached 1 + 1 fixture): the difference to the full fixture is the CLI's per-table slope,
the rest its fixed cost (start-up, imports, store migration check), and ``-X importtime``
of one run says which imports that fixed cost is made of.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import measure

VERSION = "v1"
"""Bump when the way the fixture is built changes (invalidates the cache)."""
COMPLETE = "complete.json"
RUN_ID_KEY = "lineage.run-id"


@dataclass(frozen=True)
class NoopFixture:
    """The folders and catalog of the no-op fixture."""

    folder: Path
    delta_tables: int
    iceberg_tables: int
    built_now: bool

    @property
    def delta_root(self) -> Path:
        """Root of the Delta tables."""
        return self.folder / "delta"

    @property
    def iceberg_root(self) -> Path:
        """Root of the Iceberg tables (Hadoop layout)."""
        return self.folder / "iceberg"

    @property
    def catalog_uri(self) -> str:
        """The SQL catalog that lists the same Iceberg tables."""
        return measure.sqlite_url(self.folder / "catalog" / "catalog.db")

    @property
    def warehouse(self) -> str:
        """The catalog's (unused) default warehouse."""
        return f"file://{(self.folder / 'catalog' / 'warehouse').resolve()}"

    def sources(self) -> list[dict[str, Any]]:
        """The three sources of the fixture, in ``lineage.yaml`` form."""
        return [
            {"name": "dl", "format": "delta", "root": str(self.delta_root)},
            {"name": "ice", "format": "iceberg", "root": str(self.iceberg_root)},
            {
                "name": "lake",
                "format": "iceberg",
                "catalog": {"type": "sql", "uri": self.catalog_uri, "warehouse": self.warehouse},
            },
        ]

    @property
    def table_count(self) -> int:
        """Tables the three sources list together."""
        return self.delta_tables + 2 * self.iceberg_tables

    def per_source(self) -> dict[str, int]:
        """Tables each source lists."""
        return {"dl": self.delta_tables, "ice": self.iceberg_tables, "lake": self.iceberg_tables}


def cache_key(delta_tables: int, iceberg_tables: int) -> str:
    """The cache folder name of a fixture of this size."""
    return f"noop-{delta_tables}d-{iceberg_tables}i-{VERSION}"


def _batch(seed: int) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "id": pa.array([seed, seed + 1], pa.int64()),
            "name": pa.array(["a", "b"], pa.string()),
        }
    )


def _build(fixture: NoopFixture) -> None:
    from deltalake import CommitProperties, write_deltalake
    from pyiceberg.catalog.sql import SqlCatalog

    for index in range(fixture.delta_tables):
        path = fixture.delta_root / f"tbl_{index:04d}"
        path.mkdir(parents=True)
        for commit in range(2):
            write_deltalake(
                str(path),
                _batch(commit),
                mode="append",
                commit_properties=CommitProperties(
                    custom_metadata={RUN_ID_KEY: f"run-{index}-{commit}"}
                ),
            )
    (fixture.folder / "catalog").mkdir(parents=True)
    fixture.iceberg_root.mkdir(parents=True)
    catalog = SqlCatalog("lake", uri=fixture.catalog_uri, warehouse=fixture.warehouse)
    try:
        catalog.create_namespace("bench")
        for index in range(fixture.iceberg_tables):
            name = f"tbl_{index:04d}"
            table = catalog.create_table(
                f"bench.{name}",
                schema=_batch(0).schema,
                location=f"file://{(fixture.iceberg_root / name).resolve()}",
            )
            for commit in range(2):
                table.append(
                    _batch(commit), snapshot_properties={RUN_ID_KEY: f"run-{index}-{commit}"}
                )
    finally:
        catalog.engine.dispose()


def ensure(delta_tables: int, iceberg_tables: int, cache_dir: Path | None = None) -> NoopFixture:
    """The cached fixture of this size, built first when the cache lacks it.

    It is built in place (the catalog stores absolute paths, so it cannot be moved).
    """
    folder = ((cache_dir or measure.CACHE_DIR) / cache_key(delta_tables, iceberg_tables)).resolve()
    fixture = NoopFixture(folder, delta_tables, iceberg_tables, built_now=False)
    if not (folder / COMPLETE).is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _build(fixture)
        (folder / COMPLETE).write_text(
            json.dumps({"delta": delta_tables, "iceberg": iceberg_tables}), encoding="utf-8"
        )
        fixture = NoopFixture(folder, delta_tables, iceberg_tables, built_now=True)
    return fixture


def cli_command(config: Path) -> list[str]:
    """``temporal-lineage sync --config CONFIG --format json`` (the venv's console script)."""
    script = Path(sys.executable).with_name("temporal-lineage")
    prefix = [str(script)] if script.is_file() else [sys.executable, "-m", "temporal_lineage"]
    return [*prefix, "sync", "--config", str(config), "--format", "json"]


IMPORTS_OF_INTEREST = (
    "temporal_lineage.cli.main",
    "alembic",
    "sqlalchemy",
    "sqlalchemy.orm",
    "pyiceberg.catalog.sql",
    "pyiceberg.catalog",
    "pyiceberg.table",
    "pyarrow",
    "click",
    "yaml",
    "rich",
)


def import_times(config: Path, cwd: Path) -> dict[str, float]:
    """Cumulative import time (ms, ``-X importtime``, first import) of the big dependencies
    in one no-op CLI run: what the CLI's fixed start-up cost is made of. Imports nest, so
    the figures overlap."""
    command = cli_command(config)
    if command[0] != sys.executable:
        command = [sys.executable, "-X", "importtime", "-m", "temporal_lineage", *command[1:]]
    else:
        command = [sys.executable, "-X", "importtime", *command[1:]]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        name = parts[2].strip()
        if name in IMPORTS_OF_INTEREST and name not in found:
            try:
                found[name] = round(int(parts[1].strip()) / 1000, 1)
            except ValueError:
                continue
    return found


def run(
    workdir: Path,
    delta_tables: int,
    iceberg_tables: int,
    repeats: int,
    cli_repeats: int,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Initial sync once, then time no-op re-syncs in process and through the CLI."""
    from temporal_lineage.config import load_settings
    from temporal_lineage.store import open_store
    from temporal_lineage.sync import sync

    fixture, build_seconds = measure.time_call(
        lambda: ensure(delta_tables, iceberg_tables, cache_dir)
    )
    tables = fixture.table_count
    db_path = workdir / "noop.db"
    cfg = measure.write_config(workdir / "config", fixture.sources(), measure.sqlite_url(db_path))
    empty_cfg = measure.write_config(workdir / "empty", [], measure.sqlite_url(db_path))
    settings = load_settings(cfg)
    store = open_store(settings.store_url)
    try:
        initial, initial_seconds = measure.time_call(lambda: sync(store, settings))
        measure.check_report(initial, tables=tables, new_snapshots=None)
        if initial.new_snapshots != 2 * tables:
            raise RuntimeError(f"initial sync recorded {initial.new_snapshots} snapshots")
        reports: list[Any] = []
        noop = measure.best_of(
            repeats, lambda _: reports.append(sync(store, settings)), setup=lambda: None
        )
        for report in reports:
            measure.check_report(report, tables=tables, new_snapshots=0)
        per_source: dict[str, Any] = {}
        for name, count in fixture.per_source().items():

            def one_source(_: None, source: str = name) -> None:
                sync(store, settings, source=source)

            timing = measure.best_of(repeats, one_source, setup=lambda: None)
            per_source[name] = {
                "tables": count,
                "sync": timing.as_json(),
                "ms_per_table": round(timing.best * 1000 / count, 4),
            }
    finally:
        store.close()
    # The CLI: the full fixture, a one-table-per-source fixture (the same sources, so the
    # same lazy imports) and a config without sources. Each store is synced first.
    small = ensure(1, 1, cache_dir)
    small_cfg = measure.write_config(
        workdir / "small", small.sources(), measure.sqlite_url(workdir / "small.db")
    )
    measure.time_processes({"initial": cli_command(small_cfg)}, 1, cwd=workdir)
    clis = measure.time_processes(
        {
            "full": cli_command(cfg),
            "small": cli_command(small_cfg),
            "empty": cli_command(empty_cfg),
        },
        cli_repeats,
        cwd=workdir,
    )
    cli, cli_small, cli_empty = clis["full"], clis["small"], clis["empty"]
    extra_tables = tables - small.table_count
    slope = (cli.best - cli_small.best) / extra_tables if extra_tables > 0 else 0.0
    return {
        "tables": tables,
        "delta_tables": delta_tables,
        "iceberg_tables": iceberg_tables,
        "iceberg_listed_twice": True,
        "cached": not fixture.built_now,
        "build_s": round(build_seconds, 3),
        "initial_sync_s": round(initial_seconds, 3),
        "sync": noop.as_json(),
        "ms_per_table": round(noop.best * 1000 / tables, 4),
        "per_source": per_source,
        "cli": cli.as_json(),
        "cli_ms_per_table": round(cli.best * 1000 / tables, 4),
        "cli_empty_config": cli_empty.as_json(),
        "cli_small_config": {**cli_small.as_json(), "tables": small.table_count},
        "cli_per_table_slope_ms": round(slope * 1000, 4),
        "cli_fixed_ms": round((cli_small.best - slope * small.table_count) * 1000, 1),
        "cli_command": " ".join(cli_command(cfg)),
        "cli_import_ms": import_times(cfg, workdir),
    }


def profile(workdir: Path, out: Path) -> dict[str, Any]:
    """cProfile one more no-op re-sync of the store ``run`` left in ``workdir``."""
    import cProfile

    from temporal_lineage.config import load_settings
    from temporal_lineage.store import open_store
    from temporal_lineage.sync import sync

    settings = load_settings(workdir / "config" / "lineage.yaml")
    store = open_store(settings.store_url)
    try:
        sync(store, settings)  # warm: connections pooled, statements compiled
        profiler = cProfile.Profile()
        profiler.enable()
        report = sync(store, settings)
        profiler.disable()
    finally:
        store.close()
    measure.check_report(report, tables=report.tables, new_snapshots=0)
    return measure.profile_summary(profiler, out)
