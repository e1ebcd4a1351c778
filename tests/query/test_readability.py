"""`snapshots --check-readable`: which stored snapshots the source can still read, and why
not (VACUUM, deleted files, expiry, re-creation), from file existence checks only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
from click.testing import CliRunner
from deltalake import DeltaTable, write_deltalake

from temporal_lineage.cli.main import cli
from temporal_lineage.store import Store
from temporal_lineage.sync import sync
from tests.test_resilience import write_config


def _check(config: Path, table: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["snapshots", table, "--check-readable", "--config", str(config), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def _readable(rows: list[dict[str, Any]]) -> list[tuple[int, bool]]:
    return [(r["snapshot"], r["readable"]) for r in rows]


def test_vacuum_and_re_creation_make_delta_versions_unreadable(
    tmp_path: Path, store: Store
) -> None:
    path = tmp_path / "delta" / "t"
    for value in (1, 2, 3):
        write_deltalake(path, pa.table({"a": pa.array([value], pa.int64())}), mode="overwrite")
    settings = write_config(
        tmp_path,
        "  - {name: dl, format: delta, root: delta}\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    assert sync(store, settings).errors == []
    config = tmp_path / "lineage.yaml"
    assert _readable(_check(config, "dl.t")) == [(0, True), (1, True), (2, True)]

    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    rows = _check(config, "dl.t")
    assert _readable(rows) == [(0, False), (1, False), (2, True)]
    assert rows[0]["unreadable_because"].startswith("data file vanished: ")
    assert rows[2]["unreadable_because"] is None

    shutil.rmtree(path)
    write_deltalake(path, pa.table({"b": pa.array(["x"])}))
    assert sync(store, settings).errors == []
    rows = _check(config, "dl.t")
    assert _readable(rows) == [(0, False), (1, False), (2, False), (0, True)]
    assert "re-created" in rows[2]["unreadable_because"]


def test_a_deleted_iceberg_data_file_and_an_expired_snapshot(tmp_path: Path, store: Store) -> None:
    from pyiceberg.catalog import load_catalog

    props = {
        "type": "sql",
        "uri": f"sqlite:///{tmp_path}/cat.db",
        "warehouse": f"file://{tmp_path}",
    }
    catalog = load_catalog("lake", **props)
    catalog.create_namespace("ns")
    data = pa.table({"a": pa.array([1], pa.int64())})
    table = catalog.create_table("ns.t", schema=data.schema)
    table.append(data)
    table.append(data)
    settings = write_config(
        tmp_path,
        "  - name: lake\n    format: iceberg\n    catalog: " + json.dumps(props) + "\n",
        store.engine.url.render_as_string(hide_password=False),
    )
    assert sync(store, settings).errors == []
    config = tmp_path / "lineage.yaml"
    rows = _check(config, "lake.ns.t")
    assert [r["readable"] for r in rows] == [True, True]

    table = catalog.load_table("ns.t")
    first, second = (s.snapshot_id for s in table.snapshots())
    (task,) = table.scan(snapshot_id=first).plan_files()
    shared = task.file.file_path
    Path(shared.removeprefix("file://")).unlink()
    rows = _check(config, "lake.ns.t")
    assert [r["readable"] for r in rows] == [False, False]  # both snapshots hold that file
    assert rows[0]["unreadable_because"] == f"data file vanished: {shared.removeprefix('file://')}"

    table.maintenance.expire_snapshots().by_id(first).commit()
    assert sync(store, settings).errors == []
    rows = _check(config, "lake.ns.t")
    assert rows[0]["snapshot"] == first and rows[0]["expired_in_source"] is not None
    assert rows[0]["unreadable_because"].startswith(
        "snapshot expired: no longer in the table metadata "
    )
    assert rows[1]["snapshot"] == second
