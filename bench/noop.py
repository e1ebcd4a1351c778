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

Two figures of issue 14 besides (``targets``):

* the issue's warehouse shape: 300 Iceberg tables in one SQL catalog plus one Delta table
  (the same cached fixture, ``noop-1d-300i``, sources ``lake`` and ``dl``), re-synced with
  nothing new in process and as a CLI *minus start-up*: the CLI's wall time less that of
  the same CLI with a config without sources, the two alternated, best of N each (target
  <= 0.3 s);
The no-op of a 10,000-table warehouse (target <= 1 s in process) is ``bench/scale.py``'s.
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

ISSUE_CATALOG_TABLES = 300
"""The issue's no-op warehouse: 300 Iceberg tables in one SQL catalog (plus one Delta table)."""
TARGET_ISSUE_NET_S = 0.3
"""No-op re-sync of those 301 tables, CLI minus start-up (and in process)."""
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


def issue_figure(
    workdir: Path,
    repeats: int,
    cli_repeats: int,
    cache_dir: Path | None = None,
    catalog_tables: int = ISSUE_CATALOG_TABLES,
) -> dict[str, Any]:
    """No-op re-sync of ``catalog_tables`` SQL-catalog tables + 1 Delta table: in process,
    and as a CLI minus the same CLI with no sources (start-up), alternated."""
    from temporal_lineage.config import load_settings
    from temporal_lineage.store import open_store
    from temporal_lineage.sync import sync

    workdir.mkdir(parents=True, exist_ok=True)
    fixture = ensure(1, catalog_tables, cache_dir)
    sources = [s for s in fixture.sources() if s["name"] in ("lake", "dl")]
    tables = catalog_tables + 1
    db_path = workdir / "issue.db"
    cfg = measure.write_config(workdir / "issue", sources, measure.sqlite_url(db_path))
    empty_cfg = measure.write_config(workdir / "issue-empty", [], measure.sqlite_url(db_path))
    settings = load_settings(cfg)
    store = open_store(settings.store_url)
    try:
        initial = sync(store, settings)
        measure.check_report(initial, tables=tables, new_snapshots=2 * tables)
        reports: list[Any] = []
        in_process = measure.best_of(
            repeats, lambda _: reports.append(sync(store, settings)), setup=lambda: None
        )
    finally:
        store.close()
    for report in reports:
        measure.check_report(report, tables=tables, new_snapshots=0)
    clis = measure.time_processes(
        {"full": cli_command(cfg), "empty": cli_command(empty_cfg)}, cli_repeats, cwd=workdir
    )
    net = max(clis["full"].best - clis["empty"].best, 0.0)
    return {
        "tables": tables,
        "catalog_tables": catalog_tables,
        "cached": not fixture.built_now,
        "in_process": in_process.as_json(),
        "in_process_s": round(in_process.best, 4),
        "cli": clis["full"].as_json(),
        "cli_empty_config": clis["empty"].as_json(),
        "cli_net_s": round(net, 4),
        "cli_command": " ".join(cli_command(cfg)),
        "cli_empty_command": " ".join(cli_command(empty_cfg)),
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's no-op targets among ``run``'s figures (rows for the summary)."""
    rows: list[dict[str, Any]] = []
    issue = result.get("issue")
    if issue:
        shape = f"{issue['tables']} tables ({issue['catalog_tables']} in one SQL catalog + 1)"
        rows.append(
            {
                "name": "noop_issue_cli_net",
                "what": f"no-op re-sync of {shape}, CLI minus start-up",
                "value": issue["cli_net_s"],
                "target": TARGET_ISSUE_NET_S,
                "unit": "s",
            }
        )
        rows.append(
            {
                "name": "noop_issue_in_process",
                "what": f"no-op re-sync of {shape}, sync() in process",
                "value": issue["in_process_s"],
                "target": TARGET_ISSUE_NET_S,
                "unit": "s",
            }
        )
    return rows


def run(
    workdir: Path,
    delta_tables: int,
    iceberg_tables: int,
    repeats: int,
    cli_repeats: int,
    cache_dir: Path | None = None,
    *,
    issue_tables: int = ISSUE_CATALOG_TABLES,
) -> dict[str, Any]:
    """Initial sync once, then time no-op re-syncs in process and through the CLI.

    Args:
        issue_tables: SQL-catalog tables of the issue's figure (0 leaves it out).
    """
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
    extra: dict[str, Any] = {}
    if issue_tables:
        extra["issue"] = issue_figure(
            workdir / "issue", repeats, cli_repeats, cache_dir, issue_tables
        )
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
        **extra,
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


def main(argv: list[str] | None = None) -> int:
    """``python bench/noop.py``: the no-op figures and targets."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--delta-tables", type=int, default=200)
    parser.add_argument("--iceberg-tables", type=int, default=100)
    parser.add_argument("--issue-tables", type=int, default=ISSUE_CATALOG_TABLES)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cli-repeats", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=measure.CACHE_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tl-noop-") as folder:
        result = run(
            Path(folder),
            args.delta_tables,
            args.iceberg_tables,
            args.repeats,
            args.cli_repeats,
            args.cache_dir,
            issue_tables=args.issue_tables,
        )
    result["targets"] = measure.judged(targets(result))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
